package net.aegirj.provision.core.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.TreeSet;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.FileInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SshProbe}: what the remote command prints is read strictly. */
class SshProbeTest {
  private static final String HASH = "a".repeat(64);

  /** @return the fields, each ended by NUL */
  private static byte[] out(Object... fields) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (Object f : fields) {
      b.writeBytes(f instanceof byte[] raw ? raw : f.toString().getBytes(StandardCharsets.UTF_8));
      b.write(0);
    }
    return b.toByteArray();
  }

  @Test
  void readsEntriesParentsAndHashes() {
    SshProbe.Snapshot s = SshProbe.parse(out("G", "aegir", "P", "d 755 aegir aegir 4096 1.5 /s", "R",
        "d 2770 aegir www-data 4096 1733000000.25 /s/a", "f 440 aegir www-data 3 1.0 /s/a/settings.php",
        "f 644 aegir aegir 1 1 /s/a/odd\nname", "l 777 aegir aegir 4 1 /s/a/link", "../x",
        "H", HASH + "  /s/a/settings.php"), Set.of("/s/a", "/s/b"));
    assertThat(s.group()).as("the user's group").isEqualTo("aegir");
    assertThat(s.parents()).as("the roots' parent").containsOnlyKeys("/s");
    assertThat(s.entries().get("/s/a").info().permissions()).as("set-group-id kept").isEqualTo(02770);
    assertThat(s.entries().get("/s/a/settings.php").sha256()).as("hashed").isEqualTo(HASH);
    assertThat(s.entries().get("/s/a/odd\nname").info().type()).as("a newline in a name").isEqualTo(FileInfo.Type.FILE);
    assertThat(s.entries().get("/s/a/link").info().linkTarget()).as("a link's target").contains("../x");
    assertThat(s.roots()).as("a missing root is covered: known to be absent").contains("/s/b");
  }

  @Test
  void aNameThatIsNotUtf8MakesItsDirectoryOpaque() {
    byte[] raw = {'f', ' ', '6', '4', '4', ' ', 'u', ' ', 'g', ' ', '1', ' ', '1', ' ', '/', 's', '/', (byte) 0xff};
    SshProbe.Snapshot s = SshProbe.parse(out("G", "g", "R", "d 755 u g 1 1 /s", raw), Set.of("/s"));
    assertThat(s.opaque()).as("its directory cannot be listed from the probe").containsExactly("/s");
    assertThat(s.entries()).as("the nameable entries").containsOnlyKeys("/s");
  }

  @Test
  void refusesWhatIsOutOfShape() {
    Set<String> roots = Set.of("/s");
    assertThatThrownBy(() -> SshProbe.parse(out("R", "d 755 u g 1 1 /s"), roots)).as("no group first")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "R", "d 755 u g 1 1 /t"), roots)).as("outside the roots")
        .hasMessageContaining("outside");
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "R", "f 644 u g 1 1 /s/../etc/passwd"), roots))
        .as("not normalised").hasMessageContaining("normalised");
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "R", "f 9644 u g 1 1 /s/x"), roots)).as("a bad mode")
        .hasMessageContaining("out of shape");
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "R", "f 644 u;rm g 1 1 /s/x"), roots)).as("a bad owner")
        .hasMessageContaining("out of shape");
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "R", "f 644 u g 1 /s/x"), roots)).as("a field missing")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "R", "l 777 u g 1 1 /s/l"), roots)).as("a link cut short")
        .hasMessageContaining("target");
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "R", "d 755 u g 1 1 /s", "d 755 u g 1 1 /s"), roots))
        .as("listed twice").hasMessageContaining("twice");
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "R", "H", "zz  /s/x"), roots)).as("a bad hash")
        .hasMessageContaining("hash");
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "P", "d 755 u g 1 1 /etc"), roots)).as("a parent of nothing")
        .hasMessageContaining("parent");
    byte[] cut = out("G", "g", "R", "d 755 u g 1 1 /s");
    assertThatThrownBy(() -> SshProbe.parse(java.util.Arrays.copyOf(cut, cut.length - 1), roots))
        .as("the last field not ended").hasMessageContaining("complete");
  }

  @Test
  void outputIsBounded() {
    SshProbe.Bounded b = new SshProbe.Bounded();
    b.write(new byte[SshProbe.MAX_OUTPUT], 0, SshProbe.MAX_OUTPUT);
    assertThat(b.overflowed()).as("up to the bound").isFalse();
    b.write('x');
    assertThat(b.overflowed()).as("one byte more").isTrue();
  }

  @Test
  void namesOwnersAndGroupsFoundAsNumbers() {
    SshProbe.Snapshot s = SshProbe.parse(out("G", "aegir", "R", "d 2770 1000 33 4096 1 /s", "f 644 0 4242 1 1 /s/x",
        "I", "u1000", "aegir", "g33", "www-data", "u0", "root"), Set.of("/s"));
    assertThat(s.entries().get("/s").info().owner()).as("a number's name").isEqualTo("aegir");
    assertThat(s.entries().get("/s").info().group()).as("a group number's name").isEqualTo("www-data");
    assertThat(s.entries().get("/s/x").info().group()).as("a number without a name stays a number")
        .isEqualTo("4242");
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "R", "d 755 0 0 1 1 /s", "I", "u0", "root;rm"), Set.of("/s")))
        .as("a name out of shape").hasMessageContaining("name");
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "R", "d 755 0 0 1 1 /s", "I", "x0", "root"), Set.of("/s")))
        .as("a number out of shape").hasMessageContaining("name");
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "R", "d 755 0 0 1 1 /s", "I", "u0", "root", "u0", "toor"),
        Set.of("/s"))).as("two names for one number").hasMessageContaining("two names");
    assertThatThrownBy(() -> SshProbe.parse(out("G", "g", "I", "u0"), Set.of("/s"))).as("a number cut short")
        .hasMessageContaining("without");
  }

  /** The script itself, run here by /bin/sh as sshd would run it, over a tree, a link and a missing root. */
  @Test
  void theScriptListsNamesAndHashesATree(@TempDir Path dir) throws Exception {
    Path site = Files.createDirectories(dir.resolve("sites/a/files"));
    Files.writeString(site.resolveSibling("settings.php"), "<?php\n");
    Files.createSymbolicLink(site.resolveSibling("link"), Path.of("../x"));
    Files.writeString(dir.resolve("vhost"), "server {}\n");
    Set<String> roots = new TreeSet<>(Set.of(dir.resolve("sites/a").toString(), dir.resolve("sites/b").toString(),
        dir.resolve("vhost").toString()));
    Command c = SshProbe.command(roots);
    byte[] printed = run(c);
    assertThat(SshProbe.LIST).as("the inner script is quoted with single quotes, so has none").doesNotContain("'");
    SshProbe.Snapshot s = SshProbe.parse(printed, roots);
    String me = Files.getOwner(dir).getName();
    FileInfo settings = s.entries().get(dir.resolve("sites/a/settings.php").toString()).info();
    assertThat(settings.owner()).as("owners come back as names, as before").isEqualTo(me);
    assertThat(settings.group()).as("groups come back as names")
        .isEqualTo(Files.readAttributes(dir, PosixFileAttributes.class).group().getName());
    assertThat(s.entries()).as("every entry of the trees, nothing of the missing root").containsOnlyKeys(
        dir.resolve("sites/a").toString(), dir.resolve("sites/a/files").toString(),
        dir.resolve("sites/a/settings.php").toString(), dir.resolve("sites/a/link").toString(),
        dir.resolve("vhost").toString());
    assertThat(s.entries().get(dir.resolve("sites/a/settings.php").toString()).sha256()).as("a small file hashed")
        .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
            .digest("<?php\n".getBytes(StandardCharsets.UTF_8))));
    assertThat(s.parents()).as("the roots' parents").containsOnlyKeys(dir.resolve("sites").toString(), dir.toString());
  }

  /**
   * Roots beyond one command line: xargs runs the script, and the script its listing, several
   * times; every run's entries, names and hashes come back.
   */
  @Test
  void manyRootsAreListedInSeveralRuns(@TempDir Path dir) throws Exception {
    Set<String> roots = new TreeSet<>();
    String pad = "x".repeat(150);
    for (int i = 0; i < 2000; i++) {
      Path site = Files.createDirectories(dir.resolve("sites").resolve(String.format("%04d-%s", i, pad)));
      Files.writeString(site.resolve("settings.php"), "<?php // " + i + "\n");
      roots.add(site.toString());
    }
    Command c = SshProbe.command(roots);
    byte[] printed = run(c);
    assertThat(new String(printed, StandardCharsets.ISO_8859_1).split("\0R\0", -1).length - 1)
        .as("more than one listing run (the roots do not fit one command line)").isGreaterThan(1);
    SshProbe.Snapshot s = SshProbe.parse(printed, roots);
    assertThat(s.entries()).as("each root and its file").hasSize(4000);
    assertThat(s.entries().values()).as("every file hashed, every owner named")
        .allSatisfy(e -> {
          assertThat(e.info().type() != FileInfo.Type.FILE || e.sha256() != null).as("hashed").isTrue();
          assertThat(e.info().owner()).as("named").isEqualTo(Files.getOwner(dir).getName());
        });
  }

  /** Runs the command here as sshd would, feeding its input while reading its output; @return what it printed */
  private static byte[] run(Command c) throws Exception {
    Process p = new ProcessBuilder(c.argv()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    Thread feed = new Thread(() -> {
      try (var in = p.getOutputStream()) {
        in.write(c.stdin().orElseThrow());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    feed.start();
    byte[] printed = p.getInputStream().readAllBytes();
    feed.join();
    assertThat(p.waitFor()).as("the script's exit status").isZero();
    return printed;
  }
}
