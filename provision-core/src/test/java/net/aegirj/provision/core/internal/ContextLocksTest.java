package net.aegirj.provision.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.core.FileContextRepository;
import net.aegirj.provision.spi.TaskLocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContextLocksTest {
  @TempDir Path home;

  private final ContextName site = ContextName.of("example.com");

  @Test
  void aNestedHoldKeepsTheLockUntilTheOuterOneIsReleased() {
    ContextLocks locks = new ContextLocks(home, Duration.ofMillis(200));
    ContextLocks.Held outer = locks.lock(site);
    ContextLocks.Held inner = locks.lock(site);
    inner.close();
    inner.close(); // a second close of the inner hold changes nothing
    assertThatThrownBy(() -> CompletableFuture.runAsync(() -> locks.lock(site).close()).join())
        .as("another thread still waits after the inner hold is released").hasCauseInstanceOf(ConflictException.class);
    outer.close();
    CompletableFuture.runAsync(() -> locks.lock(site).close()).join();
    assertThat(home.resolve("locks/example.com.lock")).as("the lock file stays for the next task").exists();
  }

  @Test
  void aRepositoryOnOneMachineOffersNoSharedLockAndTheLocksWorkAsBefore() {
    try (FileContextRepository files = new FileContextRepository(home)) {
      assertThat(files.taskLocks()).as("the home's lock files cover one machine: no shared lock").isEmpty();
      ContextLocks locks = new ContextLocks(home, Duration.ofMillis(100), files.taskLocks().orElse(null));
      ContextLocks.Held held = locks.lock(site);
      assertThatThrownBy(() -> CompletableFuture.runAsync(() -> locks.lock(site)).join())
          .as("another thread is refused, with the message of a busy lock file")
          .hasCauseInstanceOf(ConflictException.class)
          .hasMessageContaining("another task is running on this context");
      held.close();
      CompletableFuture.runAsync(() -> locks.lock(site).close()).join();
    }
  }

  @Test
  void theSharedLockIsTakenLastAndReleasedFirstWhileTheFileIsLocked() {
    Shared shared = new Shared();
    ContextLocks locks = new ContextLocks(home, Duration.ofSeconds(5), shared);
    ContextLocks.Held held = locks.lock(site);
    assertThat(shared.events).as("the shared lock was taken once the lock file was locked")
        .containsExactly("lock example.com, file locked");
    ContextLocks.Held nested = locks.lock(site);
    nested.close();
    assertThat(shared.events).as("a nested hold only counts: the shared lock is neither taken nor released")
        .hasSize(1);
    CompletableFuture.runAsync(held::close).join();
    assertThat(shared.events).as("released from another thread, before the lock file")
        .containsExactly("lock example.com, file locked", "unlock example.com, file locked");
    held.close();
    assertThat(shared.events).as("closing twice releases once").hasSize(2);
    locks.lock(site).close();
    assertThat(shared.events).as("and it can be taken again").hasSize(4);
  }

  @Test
  void aSharedLockHeldElsewhereIsAConflictThatReleasesTheLocksOfThisMachine() {
    Shared shared = new Shared();
    shared.heldElsewhere.add(site);
    ContextLocks locks = new ContextLocks(home, Duration.ofMillis(300), shared);
    long start = System.nanoTime();
    assertThatThrownBy(() -> locks.lock(site)).as("another control node holds the context's task lock")
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("example.com")
        .hasMessageContaining("another control node")
        .hasMessageContaining("the shared test locks");
    assertThat(shared.waits).as("the shared lock gets what is left of the one wait").hasSize(1)
        .allSatisfy(w -> assertThat(w).isPositive().isLessThanOrEqualTo(Duration.ofMillis(300)));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("and no longer")
        .isLessThan(Duration.ofSeconds(2));
    ContextName other = ContextName.of("other.example.com");
    locks.lock(other).close();
    shared.heldElsewhere.clear();
    CompletableFuture.runAsync(() -> locks.lock(site).close()).join();
    assertThat(shared.events).as("once the other node released it, the lock and file of this machine are free")
        .contains("lock other.example.com, file locked", "lock example.com, file locked");
  }

  /** Shared locks in memory that record what they see, and the lock file's state then. */
  private final class Shared implements TaskLocks {
    final List<String> events = new ArrayList<>();
    final List<Duration> waits = new ArrayList<>();
    final Set<ContextName> heldElsewhere = new HashSet<>();

    @Override
    public synchronized Optional<Held> tryLock(ContextName name, Duration wait) {
      waits.add(wait);
      if (heldElsewhere.contains(name)) {
        return Optional.empty();
      }
      events.add("lock " + name.value() + ", " + fileState(name));
      return Optional.of(() -> {
        synchronized (this) {
          events.add("unlock " + name.value() + ", " + fileState(name));
        }
      });
    }

    private String fileState(ContextName name) {
      try (FileChannel ch = FileChannel.open(home.resolve("locks").resolve(name.value() + ".lock"),
          StandardOpenOption.WRITE)) {
        ch.tryLock().close();
        return "file free";
      } catch (OverlappingFileLockException e) {
        return "file locked";
      } catch (IOException e) {
        return "file missing";
      }
    }

    @Override
    public String toString() {
      return "the shared test locks";
    }
  }
}
