package net.aegirj.provision.core.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import net.aegirj.provision.spi.FileMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local host that flushes the directories of the files it renamed into place once each, at
 * {@code flush()} or {@code close()} (what a batch's hosts are made to do), writes exactly as one
 * that flushes after each file: whole files, their modes, no temporary file left; and its flush
 * survives a directory that is gone by then.
 */
class LocalHostDeferredFlushTest {
  @TempDir
  Path dir;

  @Test
  void filesAreWholeAndInPlaceBeforeTheFlush() throws Exception {
    Path site = Files.createDirectories(dir.toAbsolutePath().normalize().resolve("sites/a.example.com"));
    LocalHost host = new LocalHost("test", true);
    assertThat(host.write(site.resolve("settings.php"), bytes("<?php // one"), FileMode.of(0440)))
        .as("a new file is a change").isTrue();
    assertThat(host.write(site.resolve("drushrc.php"), bytes("<?php // two"), FileMode.of(0440))).isTrue();
    assertThat(Files.readString(site.resolve("settings.php"))).as("readable at once, before any flush")
        .isEqualTo("<?php // one");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(site.resolve("drushrc.php"))))
        .as("with its mode").isEqualTo("r--r-----");
    assertThat(host.write(site.resolve("settings.php"), bytes("<?php // one"), FileMode.of(0440)))
        .as("the same bytes again: no change").isFalse();
    host.flush();
    assertThat(host.write(site.resolve("settings.php"), bytes("<?php // three"), FileMode.of(0440)))
        .as("a replacement after a flush").isTrue();
    host.close();
    assertThat(Files.readString(site.resolve("settings.php"))).isEqualTo("<?php // three");
    try (Stream<Path> s = Files.list(site)) {
      assertThat(s.map(p -> p.getFileName().toString())).as("no temporary file is left")
          .containsExactlyInAnyOrder("settings.php", "drushrc.php");
    }
  }

  @Test
  void aDirectoryRemovedBeforeTheFlushIsNoError() throws Exception {
    Path vhosts = Files.createDirectories(dir.toAbsolutePath().normalize().resolve("vhost.d"));
    LocalHost host = new LocalHost("test", true);
    host.write(vhosts.resolve("a.example.com"), bytes("server {}"), FileMode.of(0644));
    assertThat(host.remove(vhosts)).as("the directory goes (a rollback, say)").isTrue();
    assertThatCode(host::flush).as("the flush skips a directory that is gone").doesNotThrowAnyException();
    assertThatCode(host::close).as("and so does close, twice").doesNotThrowAnyException();
    assertThatCode(host::close).doesNotThrowAnyException();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
