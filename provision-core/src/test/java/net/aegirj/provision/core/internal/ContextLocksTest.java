package net.aegirj.provision.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContextLocksTest {
  @TempDir Path home;

  @Test
  void aNestedHoldKeepsTheLockUntilTheOuterOneIsReleased() {
    ContextLocks locks = new ContextLocks(home, Duration.ofMillis(200));
    ContextName site = ContextName.of("example.com");
    ContextLocks.Held outer = locks.lock(site);
    ContextLocks.Held inner = locks.lock(site);
    inner.close();
    assertThatThrownBy(() -> CompletableFuture.runAsync(() -> locks.lock(site).close()).join())
        .as("another thread still waits after the inner hold is released").hasCauseInstanceOf(ConflictException.class);
    outer.close();
    CompletableFuture.runAsync(() -> locks.lock(site).close()).join();
    assertThat(home.resolve("locks/example.com.lock")).as("the lock file stays for the next task").exists();
  }
}
