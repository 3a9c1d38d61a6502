package net.aegirj.provision.core.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ProvisionException;

/**
 * One task at a time per context, across threads and processes: a file lock on
 * {@code <home>/locks/<name>.lock} plus a lock per name inside this JVM. A thread that holds a
 * context's lock may take it again (the inner hold only counts).
 */
public final class ContextLocks {
  private static final ConcurrentHashMap<Path, JvmLock> JVM = new ConcurrentHashMap<>();

  /**
   * The lock inside this JVM: the thread that takes it may take it again (nested holds count);
   * unlike a {@link java.util.concurrent.locks.ReentrantLock}, any thread may release it, so a
   * batch can take locks on worker threads and release them when the whole group is done.
   */
  private static final class JvmLock {
    private Thread owner;
    private int holds;

    synchronized boolean heldByCurrentThread() {
      return owner == Thread.currentThread();
    }

    synchronized void enterNested() {
      holds++;
    }

    synchronized boolean tryLock(long millis) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      while (holds > 0) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          return false;
        }
        wait(left);
      }
      owner = Thread.currentThread();
      holds = 1;
      return true;
    }

    synchronized void unlock() {
      if (holds == 0) {
        throw new IllegalStateException("not locked");
      }
      if (--holds == 0) {
        owner = null;
        notifyAll();
      }
    }
  }

  private final Path dir;
  private final Duration wait;

  /**
   * @param home the Provision home
   * @param wait how long to wait for a lock held by another task
   */
  public ContextLocks(Path home, Duration wait) {
    this.dir = home.resolve("locks");
    this.wait = wait;
  }

  /** @return the directory of the lock files, {@code <home>/locks} */
  public Path directory() {
    return dir;
  }

  /** A held lock; close it to release. */
  public interface Held extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * @param name the context
   * @return the held lock
   * @throws ConflictException when another task holds it for longer than the wait
   */
  public Held lock(ContextName name) {
    Path file = dir.resolve(name.value() + ".lock");
    JvmLock jvm = JVM.computeIfAbsent(file, f -> new JvmLock());
    if (jvm.heldByCurrentThread()) {
      // Nested (a delete task inside the delete of the context): the file lock is held already.
      jvm.enterNested();
      return jvm::unlock;
    }
    long deadline = System.nanoTime() + wait.toNanos();
    try {
      if (!jvm.tryLock(wait.toMillis())) {
        throw busy(name);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw busy(name);
    }
    try {
      Files.createDirectories(dir);
      FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      while ((lock = ch.tryLock()) == null) {
        if (System.nanoTime() > deadline) {
          ch.close();
          throw busy(name);
        }
        Thread.sleep(20);
      }
      FileLock held = lock;
      return () -> {
        try {
          held.release();
          ch.close();
        } catch (IOException e) {
          // released when the channel closes anyway
        } finally {
          jvm.unlock();
        }
      };
    } catch (IOException e) {
      jvm.unlock();
      throw new ProvisionException("cannot lock " + file + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      jvm.unlock();
      Thread.currentThread().interrupt();
      throw busy(name);
    } catch (RuntimeException e) {
      jvm.unlock();
      throw e;
    }
  }

  private ConflictException busy(ContextName name) {
    return new ConflictException(name + ": another task is running on this context (waited "
        + wait.toSeconds() + " s); try again when it has finished");
  }
}
