package net.aegirj.provision.core.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import net.aegirj.provision.spi.FileInfo;
import org.junit.jupiter.api.Test;

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
}
