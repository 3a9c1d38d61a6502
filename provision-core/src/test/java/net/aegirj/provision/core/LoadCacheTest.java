package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FileContextRepository#load} keeps what it decoded while a stat of the file shows it
 * unchanged: it must return exactly what reading the file returns, whatever happened to the file.
 */
class LoadCacheTest {
  private static final ContextName NAME = ContextName.of("server_a");

  @TempDir Path home;

  /** A repository whose clock is ahead, so that files written now are not racy. */
  private FileContextRepository ahead() {
    long ahead = TimeUnit.SECONDS.toNanos(10);
    return new FileContextRepository(home, 1_000, () -> System.currentTimeMillis() * 1_000_000L + ahead);
  }

  private Path file() {
    return home.resolve("contexts/server_a.json");
  }

  /**
   * Lets the file system's clock move on: this repository's clock is ahead, so it trusts even a
   * file changed in the tick before (the margin that covers that is tested below).
   */
  private static void tick() throws InterruptedException {
    Thread.sleep(50);
  }

  @Test
  void anUnchangedFileIsDecodedOnce() {
    try (FileContextRepository repo = ahead()) {
      repo.save(Server.named("server_a").remoteHost("a.example.com").build(), ContextRepository.NEW);
      Versioned first = repo.load(NAME).orElseThrow();
      assertThat(repo.load(NAME).orElseThrow()).as("the second load of an unchanged file is the decoded one")
          .isSameAs(first);
    }
  }

  @Test
  void anyChangeToTheFileIsSeen() throws Exception {
    try (FileContextRepository repo = ahead()) {
      repo.save(Server.named("server_a").remoteHost("a.example.com").build(), ContextRepository.NEW);
      Versioned v1 = repo.load(NAME).orElseThrow();
      repo.save(Server.named("server_a").remoteHost("b.example.com").build(), v1.version());
      assertThat(repo.load(NAME).orElseThrow().context()).as("a save (by rename) is seen")
          .isEqualTo(Server.named("server_a").remoteHost("b.example.com").build());

      // In place, same length, same inode: a hand edit of one letter.
      String text = Files.readString(file(), StandardCharsets.UTF_8);
      repo.load(NAME).orElseThrow();
      tick();
      Files.writeString(file(), text.replace("b.example.com", "c.example.com"), StandardCharsets.UTF_8,
          StandardOpenOption.TRUNCATE_EXISTING);
      assertThat(repo.load(NAME).orElseThrow().context()).as("an edit in place, same size, is seen")
          .isEqualTo(Server.named("server_a").remoteHost("c.example.com").build());

      repo.load(NAME).orElseThrow();
      tick();
      Files.writeString(file(), "x".repeat(text.length()), StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
      assertThatThrownBy(() -> repo.load(NAME)).as("a file damaged in place is refused, not served from memory")
          .isInstanceOf(ProvisionException.class).hasMessageContaining("is not valid");

      Files.delete(file());
      assertThat(repo.load(NAME)).as("a removed file is gone").isEmpty();
    }
  }

  @Test
  void aFileChangedJustNowIsReadAgain() {
    try (FileContextRepository repo = new FileContextRepository(home)) {
      repo.save(Server.named("server_a").remoteHost("a.example.com").build(), ContextRepository.NEW);
      Versioned first = repo.load(NAME).orElseThrow();
      assertThat(repo.load(NAME).orElseThrow()).as("within a second of its change a file is read again (its"
          + " change time cannot tell a second change in the same tick)").isNotSameAs(first).isEqualTo(first);
    }
  }
}
