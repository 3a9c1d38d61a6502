package net.aegirj.provision.core.internal;

import java.nio.file.Path;
import java.time.Duration;
import net.aegirj.provision.api.ContextName;

/**
 * A child JVM for {@link LockPrivacyTest}: takes a context's lock in a home as a task would,
 * prints {@code locked}, and holds it until its standard input closes. Its last argument,
 * {@code verify}, is the command word a lock file records as the holder's task.
 */
final class LockHoldingChild {
  private LockHoldingChild() {}

  public static void main(String[] args) throws Exception {
    ContextLocks locks = new ContextLocks(Path.of(args[0]), Duration.ofSeconds(30));
    try (ContextLocks.Held held = locks.lock(ContextName.of(args[1]))) {
      System.out.println("locked");
      System.out.flush();
      while (System.in.read() >= 0) {
        // hold until the parent closes our input
      }
    }
  }
}
