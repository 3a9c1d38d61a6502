package net.aegirj.provision.core.host;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.FileInfo;

/**
 * The one remote command that gathers the state of many trees for {@link SshHost#prefetch}, and
 * the strict reading of what it prints. The roots go to the command on standard input, separated
 * by NUL, and come back in every record, so no path is ever part of the command line. It prints
 * the user's primary group, whether each root's parent is a directory, one record per entry of
 * the roots' trees (type, mode, owner, group, size, modification time, path; a link's target as
 * the next field), the names of the owners and groups found, and the SHA-256 of each regular
 * file up to {@link #HASHED_SIZE} bytes. Every field ends in NUL, so names with newlines or any
 * other byte cannot shift a record. The output is bounded; anything out of shape is refused.
 */
final class SshProbe {
  /** Files up to this size are hashed: configuration and settings files, not uploads. */
  static final long HASHED_SIZE = 1 << 20;
  /** The most output the command may print. */
  static final int MAX_OUTPUT = 64 << 20;

  /**
   * One run of {@code find} over roots that exist (given as arguments, with {@code $t} a private
   * temporary directory), in one traversal: {@code R} and a record per entry, owners and groups as
   * numbers; {@code I} and the name of each number found ({@code u1000}, {@code aegir}); {@code H}
   * and the hash of each regular file up to {@link #HASHED_SIZE} bytes. The files to hash go from
   * {@code find} straight to {@code sha256sum} through a pipe, so hashing runs while the traversal
   * goes on (the records and hashes are kept in {@code $t} and printed after; {@code find}'s status
   * comes back through a file, {@code sh} having no {@code pipefail}): 0.82 s → 0.64–0.74 s for a
   * probe of 24,000 entries. Names are looked up once a number, not once a file ({@code find}'s
   * {@code %u} asks the name service for every entry: 1.4 s of a probe of 24,000 entries), and all
   * numbers with one {@code getent} for owners and one for groups (each process costs a few
   * milliseconds, so a probe of a few sites is mostly its processes: 0.10–0.12 s for 21 roots
   * before, 0.09 s after). The numbers are digits only ({@code %U}, {@code %G}), so they are
   * split on white space safely. No single quote in it: {@link #SCRIPT} quotes it with them.
   */
  static final String LIST = String.join("\n",
      "{ find \"$@\" -fprintf \"$t/ids\" \"u%U\\ng%G\\n\" \\( -type f -size -" + (HASHED_SIZE + 1) + "c -print0 \\) ,"
          + " \\( -type l -fprintf \"$t/rec\" \"l %m %U %G %s %T@ %p\\0%l\\0\" \\)"
          + " -o -fprintf \"$t/rec\" \"%y %m %U %G %s %T@ %p\\0\"; echo $? > \"$t/st\"; }"
          + " | xargs -0 -r sha256sum -z -- > \"$t/h\" 2>/dev/null",
      "read -r s < \"$t/st\" && [ \"$s\" = 0 ] || exit 255",
      "printf \"R\\0\"",
      "cat \"$t/rec\" || exit 255",
      "printf \"I\\0\"",
      "u=; g=",
      "for i in $(sort -u \"$t/ids\"); do case $i in u*) u=\"$u ${i#u}\" ;; *) g=\"$g ${i#g}\" ;; esac; done",
      "{ [ -z \"$u\" ] || getent passwd $u; echo =; [ -z \"$g\" ] || getent group $g; } | {",
      "  k=u; while IFS=: read -r n x i r; do",
      "    if [ \"$n\" = = ]; then k=g; else printf \"%s%s\\0%s\\0\" \"$k\" \"$i\" \"$n\"; fi",
      "  done; }",
      "printf \"H\\0\"",
      "cat \"$t/h\"",
      "exit 0");

  /**
   * The script, run by {@code xargs -0} (which may split a long list of roots into several runs,
   * one after another). For each root whose parent is a directory (once for siblings, which come
   * together since the roots are sorted) it prints {@code P} and the parent's record; then runs
   * {@link #LIST} over the roots that exist (again through {@code xargs}: collecting them in
   * {@code "$@"} is quadratic in {@code dash}, 1.7 s for 2,000 roots).
   */
  static final String SCRIPT = String.join("\n",
      "last=",
      "for r; do",
      "  p=${r%/*}; [ -n \"$p\" ] || p=/",
      "  if [ \"$p\" != \"$last\" ] && [ -d \"$p\" ]; then",
      "    printf 'P\\0'; find \"$p\" -maxdepth 0 -printf '%y %m %u %g %s %T@ %p\\0' || exit 5",
      "  fi",
      "  last=$p",
      "done",
      "t=$(mktemp -d) || exit 7",
      "trap 'rm -rf \"$t\"' EXIT",
      "trap 'exit 9' HUP INT TERM",
      "export t",
      "for r; do if [ -e \"$r\" ] || [ -L \"$r\" ]; then printf '%s\\0' \"$r\"; fi; done"
          + " | xargs -0 -r /bin/sh -c '" + LIST + "' sh || exit 5",
      "exit 0");

  /** Prints the remote user's primary group, then runs {@link #SCRIPT} over the roots on stdin. */
  private static final String OUTER = "g=$(id -gn) || exit 6; printf 'G\\0%s\\0' \"$g\"; exec xargs -0 -r /bin/sh -c \"$1\" sh";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}\\$?");
  private static final Pattern MTIME = Pattern.compile("[0-9]{1,19}(\\.[0-9]{1,10})?");
  private static final Pattern ID = Pattern.compile("[ug][0-9]{1,10}");
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  private SshProbe() {}

  /** What the probe found at one path. */
  record Entry(FileInfo info, String mtime, String sha256) {}

  /**
   * What one probe found.
   *
   * @param roots the roots probed: every entry of their trees is in {@code entries}
   * @param entries by absolute path
   * @param opaque directories holding an entry whose name is not UTF-8 (it cannot be named here)
   * @param parents the parents of roots that are directories, with their state
   * @param group the remote user's primary group (new files get it unless their directory is set-group-id)
   */
  record Snapshot(Set<String> roots, Map<String, Entry> entries, Set<String> opaque, Map<String, FileInfo> parents,
      String group) {}

  /**
   * @param roots the roots, checked (absolute, normalised, not {@code /})
   * @return the command
   */
  static Command command(Collection<String> roots) {
    ByteArrayOutputStream in = new ByteArrayOutputStream();
    for (String r : roots) {
      in.writeBytes(r.getBytes(StandardCharsets.UTF_8));
      in.write(0);
    }
    return Command.of("/bin/sh", "-c", OUTER, "sh", SCRIPT).withStdin(in.toByteArray())
        .withTimeout(SshSyncPlan.LIST_TIMEOUT).withDisplay("probe " + roots.size() + " path(s)");
  }

  /** Collects the output up to {@link #MAX_OUTPUT} bytes and notes whether there was more. */
  static final class Bounded extends OutputStream {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private boolean overflow;

    @Override
    public synchronized void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      if (overflow || bytes.size() + len > MAX_OUTPUT) {
        overflow = true;
        return;
      }
      bytes.write(b, off, len);
    }

    synchronized boolean overflowed() {
      return overflow;
    }

    synchronized byte[] toByteArray() {
      return bytes.toByteArray();
    }
  }

  /**
   * @param out what the command printed
   * @param asked the roots it was given
   * @return what it found
   * @throws IllegalArgumentException naming the first thing out of shape
   */
  static Snapshot parse(byte[] out, Set<String> asked) {
    List<byte[]> fields = split(out);
    Map<String, Entry> entries = new HashMap<>();
    Map<String, String> hashes = new HashMap<>();
    Set<String> opaque = new LinkedHashSet<>();
    Map<String, FileInfo> parents = new HashMap<>();
    Map<String, String> names = new HashMap<>();
    Set<String> parentsAsked = new HashSet<>();
    for (String r : asked) {
      parentsAsked.add(parentOf(r));
    }
    if (fields.size() < 2 || !Arrays.equals(fields.get(0), new byte[] {'G'})) {
      throw new IllegalArgumentException("the output does not start with the user's group");
    }
    String group = utf8(fields.get(1)).filter(g -> NAME.matcher(g).matches())
        .orElseThrow(() -> new IllegalArgumentException("not a group name"));
    char mode = 'P';
    for (int i = 2; i < fields.size(); i++) {
      byte[] f = fields.get(i);
      if (f.length == 1 && (f[0] == 'P' || f[0] == 'R' || f[0] == 'I' || f[0] == 'H')) {
        mode = (char) f[0];
        if (mode == 'P') {
          if (i + 1 >= fields.size()) {
            throw new IllegalArgumentException("a parent record without its path");
          }
          Fields r = fields(fields.get(++i));
          String p = utf8(r.rawPath()).orElse("");
          if (!parentsAsked.contains(p)) {
            throw new IllegalArgumentException("a parent of no root asked for");
          }
          if (r.type() == 'd') {
            parents.put(p, r.info(null));
          }
        }
      } else if (mode == 'H') {
        hash(f, hashes);
      } else if (mode == 'I') {
        if (i + 1 >= fields.size()) {
          throw new IllegalArgumentException("a number without its name");
        }
        name(f, fields.get(++i), names);
      } else if (mode == 'R') {
        i = entry(fields, i, asked, entries, opaque);
      } else {
        throw new IllegalArgumentException("a record out of place");
      }
    }
    Map<String, Entry> withHashes = new HashMap<>(entries.size() * 2);
    entries.forEach((p, e) -> {
      FileInfo i = e.info();
      // Numbers without a name stay numbers, as find's %u prints them.
      FileInfo named = new FileInfo(i.type(), i.permissions(), names.getOrDefault("u" + i.owner(), i.owner()),
          names.getOrDefault("g" + i.group(), i.group()), i.size(), i.linkTarget());
      withHashes.put(p, new Entry(named, e.mtime(), i.type() == FileInfo.Type.FILE ? hashes.get(p) : null));
    });
    return new Snapshot(Set.copyOf(asked), withHashes, Set.copyOf(opaque), Map.copyOf(parents), group);
  }

  /** @return the parent of an absolute path ({@code /} for a top-level one) */
  static String parentOf(String p) {
    int slash = p.lastIndexOf('/');
    return slash <= 0 ? "/" : p.substring(0, slash);
  }

  /** @return whether the path is one of the roots or under one */
  private static boolean underRoots(String p, Set<String> roots) {
    for (String q = p; ; q = parentOf(q)) {
      if (roots.contains(q)) {
        return true;
      }
      if (q.equals("/")) {
        return false;
      }
    }
  }

  /** @return the NUL-terminated fields (the output must end in NUL) */
  private static List<byte[]> split(byte[] out) {
    List<byte[]> fields = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < out.length; i++) {
      if (out[i] == 0) {
        byte[] f = new byte[i - start];
        System.arraycopy(out, start, f, 0, f.length);
        fields.add(f);
        start = i + 1;
      }
    }
    if (start != out.length) {
      throw new IllegalArgumentException("the output does not end with a complete field");
    }
    return fields;
  }

  private static Optional<String> utf8(byte[] b) {
    try {
      return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  /** Reads one entry record (and a link's target); @return the index of its last field */
  /** The six ASCII fields of an entry record and its path's bytes, checked. */
  private record Fields(char type, String[] head, byte[] rawPath) {
    FileInfo info(String target) {
      FileInfo.Type t = switch (type) {
        case 'f' -> FileInfo.Type.FILE;
        case 'd' -> FileInfo.Type.DIRECTORY;
        case 'l' -> FileInfo.Type.SYMLINK;
        default -> FileInfo.Type.OTHER;
      };
      int mode = type == 'l' ? 0777 : Integer.parseInt(head[1], 8);
      return new FileInfo(t, mode, head[2], head[3], Long.parseLong(head[4]), Optional.ofNullable(target));
    }
  }

  /** Splits and checks the fields of an entry record: six ASCII fields, then the path (any bytes but NUL). */
  private static Fields fields(byte[] f) {
    int at = 0;
    String[] head = new String[6];
    for (int k = 0; k < 6; k++) {
      int sp = indexOf(f, (byte) ' ', at);
      if (sp < 0) {
        throw new IllegalArgumentException("an entry record with too few fields");
      }
      head[k] = new String(f, at, sp - at, StandardCharsets.US_ASCII);
      at = sp + 1;
    }
    char type = head[0].length() == 1 ? head[0].charAt(0) : '?';
    if ("fdlspcbD".indexOf(type) < 0 || !head[1].matches("[0-7]{1,4}") || !NAME.matcher(head[2]).matches()
        || !NAME.matcher(head[3]).matches() || !head[4].matches("[0-9]{1,19}") || !MTIME.matcher(head[5]).matches()) {
      throw new IllegalArgumentException("an entry record out of shape: " + String.join(" ", head));
    }
    byte[] rawPath = new byte[f.length - at];
    System.arraycopy(f, at, rawPath, 0, rawPath.length);
    return new Fields(type, head, rawPath);
  }

  /** Reads one entry record (and a link's target); @return the index of its last field */
  private static int entry(List<byte[]> fields, int i, Set<String> roots, Map<String, Entry> entries,
      Set<String> opaque) {
    Fields r = fields(fields.get(i));
    String target = null;
    if (r.type() == 'l') {
      if (i + 1 >= fields.size()) {
        throw new IllegalArgumentException("a link record without its target");
      }
      target = utf8(fields.get(++i)).orElse(null);
    }
    Optional<String> path = utf8(r.rawPath());
    if (path.isEmpty() || (r.type() == 'l' && target == null)) {
      // Not nameable here (not UTF-8): its directory cannot be listed from the probe.
      String parent = parentOf(r.rawPath());
      if (!underRoots(parent, roots)) {
        throw new IllegalArgumentException("an entry outside its root");
      }
      opaque.add(parent);
      return i;
    }
    String p = path.get();
    if (!p.startsWith("/") || !Path.of(p).normalize().toString().equals(p) || !underRoots(p, roots)) {
      throw new IllegalArgumentException("an entry outside its root, or not a normalised path");
    }
    if (entries.put(p, new Entry(r.info(target), r.head()[5], null)) != null) {
      throw new IllegalArgumentException("an entry listed twice");
    }
    return i;
  }

  /** Reads one number and its name: {@code u1000} {@code aegir}, or {@code g33} {@code www-data}. */
  private static void name(byte[] number, byte[] name, Map<String, String> names) {
    String id = new String(number, StandardCharsets.US_ASCII);
    String n = utf8(name).orElse("");
    if (!ID.matcher(id).matches() || !NAME.matcher(n).matches()) {
      throw new IllegalArgumentException("a user or group name out of shape");
    }
    String before = names.putIfAbsent(id, n);
    if (before != null && !before.equals(n)) {
      throw new IllegalArgumentException("two names for " + id);
    }
  }

  /** Reads one {@code sha256sum -z} record: 64 hex digits, two characters, the path. */
  private static void hash(byte[] f, Map<String, String> hashes) {
    if (f.length < 67 || f[64] != ' ' || (f[65] != ' ' && f[65] != '*')) {
      throw new IllegalArgumentException("a hash record out of shape");
    }
    String hex = new String(f, 0, 64, StandardCharsets.US_ASCII);
    if (!HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("a hash record out of shape");
    }
    byte[] raw = new byte[f.length - 66];
    System.arraycopy(f, 66, raw, 0, raw.length);
    // A file created between the listing and the hashing, or not nameable here: left unhashed.
    utf8(raw).ifPresent(p -> hashes.put(p, hex));
  }

  private static int indexOf(byte[] b, byte x, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }

  /** @return the deepest directory above the path whose name is UTF-8 */
  private static String parentOf(byte[] raw) {
    for (int end = raw.length - 1; end > 0; end--) {
      if (raw[end] == '/') {
        byte[] dir = new byte[end];
        System.arraycopy(raw, 0, dir, 0, end);
        Optional<String> d = utf8(dir);
        if (d.isPresent()) {
          return d.get();
        }
      }
    }
    return "/";
  }

  /** @return whether {@code p} is {@code root} or inside it */
  static boolean isUnder(String p, String root) {
    return p.equals(root) || (p.startsWith(root) && p.length() > root.length() && p.charAt(root.length()) == '/');
  }
}
