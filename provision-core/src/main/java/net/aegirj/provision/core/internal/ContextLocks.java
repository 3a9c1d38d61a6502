package net.aegirj.provision.core.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.TaskLocks;

/**
 * One task at a time per context, across threads, processes and control nodes: a lock per name
 * inside this JVM, a file lock on {@code <home>/locks/<name>.lock}, and, when the repository
 * offers them ({@link ContextRepository#taskLocks()}), its task lock
 * that other machines sharing the repository see. A thread that holds a context's lock may take
 * it again (the inner hold only counts).
 *
 * <p>The lock directory is 0700 and its files 0600 ({@link PrivateState}): no other local user
 * can take a context's lock and stall its tasks. A lock file names its holder (pid, user, task,
 * since when: {@link LockHolder}); a lock held by a process of another user (found through
 * {@code /proc/locks}) fails the task at once, naming that process, rather than after the wait,
 * since no task of this user will release it; a lock held by a task of this user is waited for,
 * as a queued task expects, and the error after the wait names the holder too.
 */
public final class ContextLocks {
  private static final ConcurrentHashMap<Path, JvmLock> JVM = new ConcurrentHashMap<>();

  /**
   * The lock inside this JVM: the thread that takes it may take it again (nested holds count);
   * unlike a {@link ReentrantLock}, any thread may release it, so a
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
  private final TaskLocks shared;
  /** Set once the lock directory was made (or found) private by this instance. */
  private volatile boolean dirReady;

  /**
   * Locks of one machine: the JVM and the home's lock files.
   *
   * @param home the Provision home
   * @param wait how long to wait for a lock held by another task
   */
  public ContextLocks(Path home, Duration wait) {
    this(home, wait, null);
  }

  /**
   * Locks of one machine, then the repository's task locks that every control node sharing it
   * sees.
   *
   * @param home the Provision home
   * @param wait how long to wait, in all, for a lock held by another task
   * @param shared the repository's task locks, or null when it offers none
   */
  public ContextLocks(Path home, Duration wait, TaskLocks shared) {
    this.dir = home.resolve("locks");
    this.wait = wait;
    this.shared = shared;
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
   * Takes the lock inside the JVM, then the lock file, then the repository's task lock when it
   * offers one, all within the one wait; closing the held lock releases them in reverse order,
   * from any thread. A thread that holds the context's lock already only counts a nested hold.
   *
   * @param name the context
   * @return the held lock
   * @throws ConflictException when another task, here or on another control node, holds it for
   *     longer than the wait
   */
  public Held lock(ContextName name) {
    Path file = dir.resolve(name.value() + ".lock");
    JvmLock jvm = JVM.computeIfAbsent(file, f -> new JvmLock());
    if (jvm.heldByCurrentThread()) {
      // Nested (a delete task inside the delete of the context): the other locks are held already.
      jvm.enterNested();
      AtomicBoolean released = new AtomicBoolean();
      return () -> {
        if (released.compareAndSet(false, true)) {
          jvm.unlock(); // once: a second close must not end the outer hold
        }
      };
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
    Deque<Runnable> held = new ArrayDeque<>();
    held.push(jvm::unlock);
    try {
      held.push(lockFile(name, file, deadline));
      if (shared != null) {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        Optional<TaskLocks.Held> taken = shared.tryLock(name, left);
        if (taken.isEmpty()) {
          throw Thread.currentThread().isInterrupted() ? busy(name) : busyElsewhere(name);
        }
        held.push(taken.get()::close);
      }
    } catch (RuntimeException e) {
      try {
        release(held);
      } catch (RuntimeException r) {
        e.addSuppressed(r);
      }
      throw e;
    }
    AtomicBoolean released = new AtomicBoolean();
    return () -> {
      if (released.compareAndSet(false, true)) {
        release(held);
      }
    };
  }

  /** @return what releases the lock file, once it is taken before the deadline */
  private Runnable lockFile(ContextName name, Path file, long deadline) {
    FileChannel ch = null;
    try {
      if (!dirReady) {
        PrivateState.directory(dir); // 0700: no other user opens a lock file, let alone locks it
        dirReady = true;
      }
      ch = open(name, file);
      FileLock lock;
      LockHolder holder = null;
      while ((lock = ch.tryLock()) == null) {
        if (holder == null) {
          holder = LockHolder.of(file).orElse(LockHolder.UNKNOWN);
          if (holder.otherUser()) {
            // Another user's process: not a task of ours that will end soon; waiting helps nobody.
            throw heldByOtherUser(name, file, holder);
          }
        }
        if (System.nanoTime() > deadline) {
          throw busy(name, LockHolder.of(file).orElse(holder));
        }
        Thread.sleep(20);
      }
      recordHolder(ch);
      FileLock taken = lock;
      FileChannel open = ch;
      ch = null;
      return () -> {
        try {
          taken.release();
          open.close();
        } catch (IOException e) {
          // released when the channel closes anyway
        }
      };
    } catch (IOException e) {
      throw new ProvisionException("cannot lock " + file + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw busy(name, LockHolder.UNKNOWN);
    } finally {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException e) {
          // nothing was locked through it
        }
      }
    }
  }

  /** Opens a lock file, created 0600; one found open to others is made 0600 first. */
  private static FileChannel open(ContextName name, Path file) throws IOException {
    try {
      return FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
          StandardOpenOption.WRITE), PrivateState.fileAttribute());
    } catch (FileAlreadyExistsException e) {
      // existing: below
    }
    try {
      PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile()) {
        throw new ProvisionException(name + ": the lock file " + file + " is not a regular file; remove it");
      }
      if (!a.permissions().equals(PrivateState.FILE)) {
        try {
          Files.setPosixFilePermissions(file, PrivateState.FILE); // made by an earlier version: 0644
        } catch (IOException e) {
          // another user's file: opening it says so
        }
      }
      return FileChannel.open(file, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS));
    } catch (AccessDeniedException e) {
      throw new ProvisionException(name + ": cannot open the lock file " + file + " (permission denied): it"
          + " belongs to " + owner(file) + "; run provision as that user, or make the file "
          + System.getProperty("user.name") + "'s", e);
    }
  }

  private static String owner(Path file) {
    try {
      return Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
    } catch (IOException e) {
      return "another user";
    }
  }

  /** Writes who holds the lock into the lock file, for a task that finds it taken. */
  private static void recordHolder(FileChannel ch) {
    try {
      byte[] line = LockHolder.describeThisProcess().getBytes(StandardCharsets.UTF_8);
      ch.truncate(0);
      ByteBuffer b = ByteBuffer.wrap(line);
      long at = 0;
      while (b.hasRemaining()) {
        at += ch.write(b, at);
      }
    } catch (IOException e) {
      // The lock is held all the same; a task that finds it taken names the holder from /proc.
    }
  }

  /** Runs every release, the last taken first, even when one fails; then throws the first failure. */
  private static void release(Deque<Runnable> held) {
    RuntimeException failure = null;
    while (!held.isEmpty()) {
      try {
        held.pop().run();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private ConflictException busy(ContextName name) {
    return busy(name, LockHolder.UNKNOWN);
  }

  private ConflictException busy(ContextName name, LockHolder holder) {
    return new ConflictException(name + ": another task is running on this context" + holder.describe()
        + " (waited " + wait.toSeconds() + " s); try again when it has finished");
  }

  private static ConflictException heldByOtherUser(ContextName name, Path file, LockHolder holder) {
    return new ConflictException(name + ": the context's lock " + file + " is held by a process of another user"
        + holder.describe() + "; no task runs on the context while it holds it: wait for that process to end,"
        + " or end it");
  }

  private ConflictException busyElsewhere(ContextName name) {
    return new ConflictException(name + ": another control node is running a task on this context (it holds "
        + "the context's task lock in " + shared + "; waited " + wait.toSeconds()
        + " s); try again when it has finished");
  }
}
