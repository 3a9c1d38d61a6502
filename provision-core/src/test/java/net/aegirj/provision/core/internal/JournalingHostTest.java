package net.aegirj.provision.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import net.aegirj.provision.core.host.LocalHost;
import net.aegirj.provision.spi.FileMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalingHostTest {
  @TempDir Path dir;

  private final Journal journal = new Journal();
  private final StepRecorder step = new StepRecorder(1);
  private final JournalingHost host = new JournalingHost(new LocalHost("local"), false, journal, () -> step);

  private Path site() throws IOException {
    Path site = Files.createDirectories(dir.resolve("sites/example.com/files"));
    Files.writeString(site.resolve("upload.txt"), "a user's upload");
    Files.write(dir.resolve("sites/example.com/big.bin"), new byte[(int) JournalingHost.IN_MEMORY_LIMIT + 1]);
    return dir.resolve("sites/example.com");
  }

  private List<String> hidden() throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve("sites"))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
    }
  }

  @Test
  void aRemovedDirectoryComesBackWholeOnRollback() throws IOException {
    Path site = site();
    assertThat(host.remove(site)).as("the directory is removed").isTrue();
    assertThat(site).as("it is gone from its place").doesNotExist();
    assertThat(journal.rollback()).as("the rollback is complete: nothing unrestorable").isEmpty();
    assertThat(site.resolve("files/upload.txt")).as("the directory is back with its content")
        .hasContent("a user's upload");
    assertThat(hidden()).as("nothing is left aside").isEmpty();
  }

  @Test
  void aRemovedDirectoryIsGoneForGoodOnceTheTaskSucceeded() throws IOException {
    Path site = site();
    host.remove(site);
    assertThat(hidden()).as("until the task ends it waits aside, hidden").hasSize(1);
    assertThat(journal.commit()).as("the clean-up succeeds").isEmpty();
    assertThat(site).as("removed").doesNotExist();
    assertThat(hidden()).as("and nothing is left aside").isEmpty();
  }

  @Test
  void aLargeFileIsSetAsideNotReadIntoMemory() throws IOException {
    Path big = site().resolve("big.bin");
    host.remove(big);
    try (Stream<Path> s = Files.list(big.getParent())) {
      assertThat(s.map(p -> p.getFileName().toString())).as("the large file waits aside")
          .anyMatch(n -> n.startsWith(".big.bin.removed-"));
    }
    journal.rollback();
    assertThat(Files.size(big)).as("and comes back whole").isEqualTo(JournalingHost.IN_MEMORY_LIMIT + 1);
  }

  @Test
  void aStepThatChangesNothingAsksForNothingAndAChangeAsksOnceBeforeItLands() throws IOException {
    Path vhost = Files.createDirectories(dir.resolve("vhost.d")).resolve("example.com");
    FileMode mode = FileMode.of(0640);
    Files.writeString(vhost, "server {}\n");
    Files.setPosixFilePermissions(vhost, PosixFilePermissions.fromString("rw-r-----"));
    List<String> asked = new ArrayList<>();
    StepRecorder quiet = new StepRecorder(1, () -> asked.add("before change"));
    JournalingHost h = new JournalingHost(new LocalHost("local"), false, journal, () -> quiet);

    assertThat(h.write(vhost, "server {}\n".getBytes(StandardCharsets.UTF_8), mode))
        .as("the same bytes and mode: unchanged").isFalse();
    Files.setPosixFilePermissions(vhost.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(h.mkdirs(vhost.getParent(), FileMode.of(0755))).as("a directory as it is: unchanged").isFalse();
    assertThat(asked).as("nothing changed, so no reload debt is recorded (a no-op verify writes nothing)").isEmpty();

    List<String> seenOnDisk = new ArrayList<>();
    StepRecorder changing = new StepRecorder(2, () -> {
      try {
        seenOnDisk.add(Files.readString(vhost));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    JournalingHost h2 = new JournalingHost(new LocalHost("local"), false, journal, () -> changing);
    assertThat(h2.write(vhost, "server { listen 80; }\n".getBytes(StandardCharsets.UTF_8), mode))
        .as("new bytes: changed").isTrue();
    h2.write(vhost, "server { listen 81; }\n".getBytes(StandardCharsets.UTF_8), mode);
    assertThat(seenOnDisk).as("the hook ran once, before the first change reached the file")
        .containsExactly("server {}\n");
  }
}
