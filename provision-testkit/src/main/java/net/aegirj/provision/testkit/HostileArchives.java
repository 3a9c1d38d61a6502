package net.aegirj.provision.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Seeded site archives ({@code .tar.gz} in Aegir's backup layout: members start with {@code ./},
 * {@code ./database.sql} among them) for the tests of restore and deploy: valid-looking ones with
 * awkward but legitimate members, and hostile ones with one bad member each (see {@link Flaw})
 * among benign ones. Every method draws only from the {@link Random} it is given, so a seed
 * reproduces an archive byte for byte:
 *
 * <pre>{@code
 * Archive a = HostileArchives.generate(Generators.random(seed));
 * if (a.flaw() != Flaw.NONE) {
 *   // restore must refuse it, naming a.member(), and change nothing
 * }
 * }</pre>
 *
 * <p>Archives are written by a small tar writer of its own (ustar headers, pax records for long
 * names and sizes), not by a library that might refuse or repair what a hostile archive holds.
 * Also: {@link #hostileDump} for dumps that try to leave the database through the {@code mysql}
 * client.
 */
public final class HostileArchives {
  private HostileArchives() {}

  /** What is wrong with an archive. */
  public enum Flaw {
    /** Nothing: the archive must be accepted. */
    NONE(false),
    /** A member with an absolute path ({@code /tmp/…}). */
    ABSOLUTE_PATH(false),
    /** A member whose path climbs out with {@code ..}. */
    DOT_DOT(false),
    /** A symbolic link to an absolute path. */
    LINK_ABSOLUTE(false),
    /** A symbolic link whose relative target leaves the site. */
    LINK_OUT(false),
    /**
     * Links that each stay inside when read alone, but together lead out ({@code a -> .} and
     * {@code files/esc -> ../a/a/..}).
     */
    LINK_CHAIN_OUT(false),
    /** A link to the site's settings.php (which holds its database password). */
    LINK_TO_SETTINGS(false),
    /** A hard link. */
    HARD_LINK(false),
    /** A character device ({@code /dev/null}'s numbers). */
    CHAR_DEVICE(false),
    /** A block device. */
    BLOCK_DEVICE(false),
    /** A FIFO. */
    FIFO(false),
    /** A member of a type tar does not define (tar cannot hold sockets; this stands for them). */
    UNKNOWN_TYPE(false),
    /** A set-uid root executable. */
    SETUID(false),
    /** A set-gid file. */
    SETGID(false),
    /** A sticky, world-writable directory. */
    STICKY(false),
    /** The site's {@code files} as a symbolic link to a directory outside the site. */
    FILES_LINK(false),
    /** The site's {@code private} as a symbolic link. */
    PRIVATE_LINK(false),
    /** The dump as a symbolic link (the import would read what it points to). */
    DUMP_LINK(false),
    /** A file written through a symbolic link the archive made. */
    UNDER_LINK(false),
    /** The same member twice. */
    DUPLICATE(false),
    /** A path longer than 4,096 characters. */
    LONG_PATH(false),
    /** A member that claims more than 64 GiB (a gzip bomb's header). */
    HUGE_MEMBER(false),
    /** Four MiB of pax records before one member (metadata bomb). */
    PAX_BOMB(false),
    /** No {@code ./database.sql}. */
    NO_DUMP(false),
    /** Not gzip at all. */
    NOT_GZIP(false),
    /** Cut off in the middle. */
    TRUNCATED(false),
    /** 1,001 members: over a limit of 1,000 ({@code Limits} of a test; the default is far higher). */
    MANY_MEMBERS(true);

    private final boolean smallLimits;

    Flaw(boolean smallLimits) {
      this.smallLimits = smallLimits;
    }

    /** @return true when only a check with test-sized limits (1,000 members) refuses it */
    public boolean needsSmallLimits() {
      return smallLimits;
    }
  }

  /**
   * A generated archive.
   *
   * @param gzip its bytes
   * @param flaw what is wrong with it
   * @param member the name of the member a refusal must name, as written in the archive; null
   *     when the flaw belongs to the archive as a whole (or for {@link Flaw#NONE})
   * @param members the names of all members written, in order
   */
  public record Archive(byte[] gzip, Flaw flaw, String member, List<String> members) {
    /** Copies the lists. */
    public Archive {
      members = List.copyOf(members);
    }

    @Override
    public String toString() {
      return flaw + (member == null ? "" : " at " + member) + " (" + members.size() + " members, " + gzip.length
          + " bytes)";
    }
  }

  private static final String[] WORDS = {"logo", "report", "Ünïcødé", "with space", "-rf", "--help", "a'quote",
      "dq\"uote", "$(id)", "`id`", "semi;colon", "back\\slash", "new\nline", "tab\tbed", "%s%n", "*", "?",
      "[x]", "~user", ".hidden", "...", "..hidden", "UPPER", "日本語", "emoji😀", "#hash", "a=b", "x,y"};
  private static final String[] EXTS = {".txt", ".png", ".pdf", ".php", ".html", ".sql", "", ".tar.gz"};

  /** The dump of a valid-looking archive: what mysqldump writes for one small table. */
  public static String validDump(Random random) {
    int rows = 1 + random.nextInt(5);
    StringBuilder b = new StringBuilder("/*M!999999\\- enable the sandbox mode */\n-- MariaDB dump\n")
        .append("DROP TABLE IF EXISTS `node`;\n")
        .append("CREATE TABLE `node` (`nid` int NOT NULL, `title` varchar(200), PRIMARY KEY (`nid`));\n")
        .append("INSERT INTO `node` VALUES ");
    for (int i = 1; i <= rows; i++) {
      b.append(i > 1 ? "," : "").append('(').append(i).append(",'row ").append(random.nextInt(1000)).append("')");
    }
    return b.append(";\n").toString();
  }

  /** @return an archive of any kind, hostile ones about four times in five */
  public static Archive generate(Random random) {
    Flaw[] all = Flaw.values();
    Flaw flaw = random.nextInt(5) == 0 ? Flaw.NONE : all[1 + random.nextInt(all.length - 1)];
    return of(random, flaw);
  }

  /** @return an archive of any kind whose refusal does not depend on test-sized limits */
  public static Archive generateForDefaultLimits(Random random) {
    Archive a;
    do {
      a = generate(random);
    } while (a.flaw().needsSmallLimits());
    return a;
  }

  /** @return a valid-looking archive, with awkward but legitimate members */
  public static Archive valid(Random random) {
    return of(random, Flaw.NONE);
  }

  /**
   * @param random the source of every choice
   * @param flaw what to put wrong in it
   * @return an archive with benign members around the one bad member
   */
  public static Archive of(Random random, Flaw flaw) {
    return of(random, flaw, validDump(random));
  }

  /**
   * @param random the source of every choice
   * @param flaw what to put wrong in it
   * @param dump the {@code database.sql} to put in it
   * @return an archive with benign members around the one bad member
   */
  public static Archive of(Random random, Flaw flaw, String dump) {
    Objects.requireNonNull(flaw, "flaw");
    Tar t = new Tar();
    t.dir("./", 0755);
    List<Runnable> benign = new ArrayList<>();
    benign.add(() -> t.file("./settings.php", 0444, "<?php $databases = [];\n"));
    benign.add(() -> {
      t.dir("./files/", mode(random, 02770, 0770, 0775, 0755, 0777));
      int n = random.nextInt(6);
      for (int i = 0; i < n; i++) {
        t.file("./files/" + name(random, i), mode(random, 0644, 0600, 0664, 0666, 0755, 0400), text(random));
      }
      t.dir("./files/sub dir/", mode(random, 0755, 02775, 0777));
      t.file("./files/sub dir/" + name(random, 99), 0644, text(random));
      if (random.nextBoolean()) {
        t.link("./files/inside-link", "sub dir/" + name(random, 99));
      }
      if (random.nextBoolean()) {
        t.link("./files/dir-link", "./sub dir/../sub dir");
      }
    });
    benign.add(() -> {
      t.dir("./private/", 02770);
      t.dir("./private/files/", 02770);
      t.file("./private/files/secret.txt", 0600, text(random));
      if (random.nextBoolean()) {
        t.link("./private/files/also", "secret.txt");
      }
    });
    benign.add(() -> {
      t.dir("./modules/", 02775);
      if (random.nextBoolean()) {
        t.file("./modules/custom.module", 0664, "<?php\n");
      }
      t.dir("./themes/", 0755);
      t.dir("./libraries/", 0755);
    });
    // Files without their directories before them (tar -T lists do this).
    benign.add(() -> t.file("./files/deep/er/still/" + name(random, 7), 0644, text(random)));
    benign.add(() -> {
      if (flaw != Flaw.NO_DUMP && flaw != Flaw.DUMP_LINK) {
        t.file("./database.sql", mode(random, 0600, 0644), dump);
      }
    });
    shuffleKeepingFirst(random, benign);
    String[] bad = {null};
    Runnable flawed = () -> bad[0] = flaw(random, t, flaw);
    int at = random.nextInt(benign.size() + 1);
    for (int i = 0; i <= benign.size(); i++) {
      if (i == at) {
        flawed.run();
      }
      if (i < benign.size()) {
        benign.get(i).run();
      }
    }
    byte[] gz = gzip(t.finish());
    if (flaw == Flaw.NOT_GZIP) {
      gz = t.finish();
    } else if (flaw == Flaw.TRUNCATED) {
      gz = Arrays.copyOf(gz, Math.max(10, gz.length / 2));
    }
    return new Archive(gz, flaw, bad[0], t.names);
  }

  private static void shuffleKeepingFirst(Random random, List<Runnable> l) {
    for (int i = l.size() - 1; i > 1; i--) {
      int j = 1 + random.nextInt(i);
      Runnable x = l.get(i);
      l.set(i, l.get(j));
      l.set(j, x);
    }
  }

  /** Writes the bad member(s); returns the name a refusal must give, or null. */
  private static String flaw(Random random, Tar t, Flaw flaw) {
    String w = name(random, 3);
    switch (flaw) {
      case NONE, NO_DUMP, NOT_GZIP, TRUNCATED:
        return null;
      case ABSOLUTE_PATH: {
        String n = pick(random, "/tmp/provision-pwned-" + random.nextInt(1000), "/etc/cron.d/pwned", "//root/x");
        t.file(n, 0644, "* * * * * root id\n");
        return n;
      }
      case DOT_DOT: {
        String n = pick(random, "./../../pwned", "./files/../../x", "../x", "./files/a/../../../../etc/x", "./..");
        t.file(n, 0644, "x\n");
        return n;
      }
      case LINK_ABSOLUTE: {
        String n = "./files/" + w;
        t.link(n, pick(random, "/etc/passwd", "/", "/var/aegir/.ssh", "/root"));
        return n;
      }
      case LINK_OUT: {
        String n = "./files/" + w;
        t.link(n, pick(random, "../../../../etc/passwd", "../..", "sub/../../../x", "./../../other.example.com"));
        return n;
      }
      case LINK_CHAIN_OUT: {
        t.link("./a", ".");
        String n = "./files/esc-" + w;
        t.link(n, "../a/a/..");
        return n;
      }
      case LINK_TO_SETTINGS: {
        String n = "./files/" + w + ".txt";
        t.link(n, pick(random, "../settings.php", "../drushrc.php", "../database.sql"));
        return n;
      }
      case HARD_LINK: {
        String n = "./files/" + w;
        t.entry(n, '1', 0644, 0, pick(random, "./settings.php", "/etc/shadow", "../../x"), null);
        return n;
      }
      case CHAR_DEVICE: {
        String n = "./files/" + w;
        t.device(n, '3', 0666, 1, 3);
        return n;
      }
      case BLOCK_DEVICE: {
        String n = "./files/" + w;
        t.device(n, '4', 0660, 8, 0);
        return n;
      }
      case FIFO: {
        String n = "./files/" + w;
        t.entry(n, '6', 0644, 0, "", null);
        return n;
      }
      case UNKNOWN_TYPE: {
        String n = "./files/" + w;
        t.entry(n, type(random, '9', 'Z', '7', 'V'), 0644, 0, "", null);
        return n;
      }
      case SETUID: {
        String n = "./files/" + w;
        t.file(n, mode(random, 04755, 04777, 06755), "\u007fELF");
        return n;
      }
      case SETGID: {
        String n = "./files/" + w;
        t.file(n, 02755, "#!/bin/sh\nid\n");
        return n;
      }
      case STICKY: {
        String n = "./files/" + w + "/";
        t.dir(n, mode(random, 01777, 01755));
        return n;
      }
      case FILES_LINK: {
        t.link("./files", pick(random, "/tmp", "/etc", "../../other.example.com/files", "/var/aegir/.ssh"));
        return "./files";
      }
      case PRIVATE_LINK: {
        t.link("./private", pick(random, "/root", "files", "../x"));
        return "./private";
      }
      case DUMP_LINK: {
        t.link("./database.sql", pick(random, "/etc/shadow", "files/x.sql"));
        return "./database.sql";
      }
      case UNDER_LINK: {
        String target = pick(random, "/tmp", "..", "sub dir");
        t.link("./files/via", target);
        String n = "./files/via/" + w;
        t.file(n, 0644, "x\n");
        // An absolute link is refused first; else the file under the link.
        return target.startsWith("/") ? "./files/via" : n;
      }
      case DUPLICATE: {
        String n = "./files/twice-" + w;
        t.file(n, 0644, "one\n");
        t.file(n, 0644, "two\n");
        return n;
      }
      case LONG_PATH: {
        StringBuilder b = new StringBuilder("./files");
        while (b.length() <= 4200) {
          b.append("/d").append(b.length());
        }
        String n = b.append("/x").toString();
        t.file(n, 0644, "x\n");
        return n;
      }
      case HUGE_MEMBER: {
        String n = "./files/bomb-" + w;
        t.entry(n, '0', 0644, (64L << 30) + 1 + random.nextInt(1000), null, null); // no content follows
        return n;
      }
      case PAX_BOMB: {
        String n = "./files/pax-" + w;
        t.paxBomb(n, 4 << 20);
        return null;
      }
      case MANY_MEMBERS: {
        for (int i = 0; i < 1001; i++) {
          t.file("./files/many-" + i, 0644, "");
        }
        return null;
      }
      default:
        throw new IllegalArgumentException(flaw.name());
    }
  }

  @SafeVarargs
  private static <T> T pick(Random random, T... choices) {
    return choices[random.nextInt(choices.length)];
  }

  private static int mode(Random random, int... choices) {
    return choices[random.nextInt(choices.length)];
  }

  private static char type(Random random, char... choices) {
    return choices[random.nextInt(choices.length)];
  }

  private static String name(Random random, int salt) {
    return WORDS[random.nextInt(WORDS.length)] + "-" + salt + "-" + random.nextInt(100) + EXTS[random.nextInt(EXTS.length)];
  }

  private static String text(Random random) {
    byte[] b = new byte[random.nextInt(200)];
    random.nextBytes(b);
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  private static byte[] gzip(byte[] tar) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(tar);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  // ------------------------------------------------------------------ hostile dumps

  /** How a dump tries to reach beyond its database. */
  public enum DumpFlaw {
    /** {@code \! touch MARKER}: a shell command. */
    SHELL_ESCAPE("\\! touch %1$s\n"),
    /** {@code system touch MARKER}: the same, spelled out. */
    SYSTEM("system touch %1$s\n"),
    /** {@code \. FILE}: runs another file as SQL. */
    SOURCE_SHORT("\\. %2$s\n"),
    /** {@code source FILE}. */
    SOURCE("source %2$s\n"),
    /** {@code \T MARKER}: copies the output to a file. */
    TEE("\\T %1$s\nSELECT 1;\n"),
    /**
     * {@code pager}: output through a program. The batch-mode client ignores it (the import may
     * succeed), but the program never runs.
     */
    PAGER("pager touch %1$s\nSELECT 1;\n"),
    /** Reads a local file into a table. */
    LOAD_DATA_LOCAL("CREATE TABLE `stolen` (`line` TEXT);\n"
        + "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE `stolen`;\n"),
    /** The server's own file access (needs FILE, which a site's account lacks). */
    OUTFILE("SELECT 'x' INTO OUTFILE '%1$s';\n"),
    /** Another database. */
    OTHER_DATABASE("CREATE DATABASE `provision_pwned`;\n"),
    /** The server's accounts. */
    GRANT("GRANT ALL PRIVILEGES ON *.* TO CURRENT_USER();\n");

    private final String template;

    DumpFlaw(String template) {
      this.template = template;
    }

    /** @return false for a line the batch-mode client ignores: the import may succeed */
    public boolean failsTheImport() {
      return this != PAGER;
    }

    /**
     * @param marker a path that must never be created
     * @param sourced a file of SQL that must never be run
     * @return the hostile line(s)
     */
    public String line(String marker, String sourced) {
      return String.format(template, marker, sourced);
    }
  }

  /**
   * A dump.
   *
   * @param sql its text
   * @param flaw what it tries
   */
  public record Dump(String sql, DumpFlaw flaw) {}

  /**
   * A dump that looks like mysqldump's (without its sandbox line) with one hostile line at a
   * random place among its statements.
   *
   * @param random the source of every choice
   * @param flaw what it tries
   * @param marker a path that must never be created
   * @param sourced a file of SQL that must never be run
   * @return the dump
   */
  public static Dump hostileDump(Random random, DumpFlaw flaw, String marker, String sourced) {
    String valid = validDump(random).replace("/*M!999999\\- enable the sandbox mode */\n", "");
    List<String> lines = new ArrayList<>(List.of(valid.split("\n")));
    int at = 1 + random.nextInt(lines.size());
    lines.add(at, flaw.line(marker, sourced).stripTrailing());
    return new Dump(String.join("\n", lines) + "\n", flaw);
  }

  // ------------------------------------------------------------------ tar

  /** A tar writer that writes what it is told, however wrong. */
  private static final class Tar {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final List<String> names = new ArrayList<>();

    void dir(String name, int mode) {
      entry(name, '5', mode, 0, "", null);
    }

    void file(String name, int mode, String content) {
      byte[] b = content.getBytes(StandardCharsets.UTF_8);
      entry(name, '0', mode, b.length, "", b);
    }

    void link(String name, String target) {
      entry(name, '2', 0777, 0, target, null);
    }

    void device(String name, char type, int mode, int major, int minor) {
      byte[] h = header(name, type, mode, 0, "", major, minor);
      write(h);
      names.add(name);
    }

    void entry(String name, char type, int mode, long size, String link, byte[] content) {
      List<String> pax = new ArrayList<>();
      if (utf8(name).length > 99) {
        pax.add(record("path", name));
      }
      if (link != null && utf8(link).length > 99) {
        pax.add(record("linkpath", link));
      }
      if (size > 077777777777L) {
        pax.add(record("size", Long.toString(size)));
      }
      if (!pax.isEmpty()) {
        byte[] body = String.join("", pax).getBytes(StandardCharsets.UTF_8);
        write(header("./PaxHeaders/x", 'x', 0644, body.length, "", 0, 0));
        write(padded(body));
      }
      write(header(name, type, mode, size, link == null ? "" : link, 0, 0));
      if (content != null) {
        write(padded(content));
      }
      names.add(name);
    }

    void paxBomb(String name, int bytes) {
      StringBuilder b = new StringBuilder();
      while (b.length() < bytes) {
        b.append(record("comment", "x".repeat(8000)));
      }
      byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
      write(header("./PaxHeaders/bomb", 'x', 0644, body.length, "", 0, 0));
      write(padded(body));
      file(name, 0644, "x\n");
    }

    private static String record(String key, String value) {
      String rest = " " + key + "=" + value + "\n";
      int len = utf8(rest).length;
      int total = len + Integer.toString(len).length();
      if (Integer.toString(total).length() != Integer.toString(len).length()) {
        total++;
      }
      return total + rest;
    }

    private static byte[] utf8(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] header(String name, char type, int mode, long size, String link, int major, int minor) {
      byte[] h = new byte[512];
      put(h, 0, 100, utf8(name));
      octal(h, 100, 8, mode);
      octal(h, 108, 8, 0);
      octal(h, 116, 8, 0);
      octal(h, 124, 12, size > 077777777777L ? 0 : size);
      octal(h, 136, 12, 1_700_000_000L);
      h[156] = (byte) type;
      put(h, 157, 100, utf8(link));
      put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
      put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
      put(h, 265, 32, utf8("root"));
      put(h, 297, 32, utf8("root"));
      octal(h, 329, 8, major);
      octal(h, 337, 8, minor);
      Arrays.fill(h, 148, 156, (byte) ' ');
      long sum = 0;
      for (byte b : h) {
        sum += b & 0xff;
      }
      String c = String.format("%06o", sum);
      put(h, 148, 8, (c + "\0 ").getBytes(StandardCharsets.US_ASCII));
      return h;
    }

    private static void put(byte[] h, int off, int len, byte[] value) {
      System.arraycopy(value, 0, h, off, Math.min(len, value.length));
    }

    private static void octal(byte[] h, int off, int len, long value) {
      String s = String.format("%0" + (len - 1) + "o", value);
      put(h, off, len - 1, s.substring(Math.max(0, s.length() - (len - 1))).getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] padded(byte[] b) {
      int n = (b.length + 511) / 512 * 512;
      return Arrays.copyOf(b, n);
    }

    private void write(byte[] b) {
      out.write(b, 0, b.length);
    }

    byte[] finish() {
      ByteArrayOutputStream copy = new ByteArrayOutputStream();
      copy.write(out.toByteArray(), 0, out.size());
      copy.write(new byte[1024], 0, 1024);
      return copy.toByteArray();
    }
  }
}
