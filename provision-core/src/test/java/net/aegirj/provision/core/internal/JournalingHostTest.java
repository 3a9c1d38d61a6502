package net.aegirj.provision.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import net.aegirj.provision.core.host.LocalHost;
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
}
