package net.aegirj.provision.core.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ProvisionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads owed across processes. A task records a debt for a service on a server before its first
 * step for that service changes anything: a file {@code <home>/locks/reload-owed/<key>~<random>}
 * that the task holds a file lock on while it runs. The task pays the debt (removes the file) when
 * it ends with that service reloaded or with its changes rolled back. A task killed in between
 * (after a new vhost was written, before the reload) leaves its debt unlocked: the next task with
 * a step for that service on that server finds it and reloads the service even when it changes
 * nothing itself, so a configuration that was written but never loaded does get loaded.
 */
final class ReloadDebts {
  private static final Logger LOG = LoggerFactory.getLogger(ReloadDebts.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * The debt files this process holds. Their locks are POSIX record locks, which belong to the
   * process, and closing any descriptor of a file drops them: so a thread never opens a file that
   * another thread of this process holds.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path dir;

  /** @param dir the directory holding the debts, created when the first one is recorded */
  ReloadDebts(Path dir) {
    this.dir = dir;
  }

  /** One debt file, locked by this process. */
  final class Debt implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private Debt(Path file, FileChannel channel, FileLock lock) {
      this.file = file;
      this.channel = channel;
      this.lock = lock;
    }

    /** Removes the file: the reload is no longer owed. */
    void pay() {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        LOG.warn("cannot remove {}: {}; the next task reloads once more than needed", file, e.getMessage());
      }
      close();
    }

    /** Releases the lock and keeps the file: a later task pays the debt. */
    @Override
    public void close() {
      try {
        if (lock.isValid()) {
          lock.release();
        }
        channel.close();
      } catch (IOException e) {
        // released when the channel closes anyway
      } finally {
        HELD.remove(file);
      }
    }
  }

  private static String key(ContextName server, String service) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256")
          .digest((server.value() + "|" + service).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 12) + "~";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Records that a reload of {@code service} on {@code server} may be owed from now on.
   *
   * @param server the server
   * @param service the service, e.g. {@code http}
   * @return the debt, locked by this process until it is paid or closed
   */
  Debt owe(ContextName server, String service) {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    String id = HexFormat.of().formatHex(b);
    Path file = dir.resolve(key(server, service) + id);
    // Made and locked under a name no scanner looks for, then renamed (the lock goes with the
    // file): another task never sees a debt that is not locked yet and takes it for an orphan.
    Path fresh = dir.resolve(".new-" + id);
    HELD.add(file);
    HELD.add(fresh);
    try {
      if (!Files.isDirectory(dir)) {
        PrivateState.directory(dir);
      }
      FileChannel ch = FileChannel.open(fresh, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
          PrivateState.fileAttribute());
      FileLock lock;
      try {
        lock = ch.lock();
        // No fsync: a debt must outlive a killed process, which the page cache does; after a crash
        // of the machine the web server starts from its files anyway.
        ch.write(ByteBuffer.wrap((server + " " + service + "\n").getBytes(StandardCharsets.UTF_8)));
        Files.move(fresh, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException | RuntimeException e) {
        ch.close();
        Files.deleteIfExists(fresh);
        throw e;
      }
      return new Debt(file, ch, lock);
    } catch (IOException e) {
      HELD.remove(file);
      throw new ProvisionException("cannot record a pending reload of " + service + " on " + server + " in "
          + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      HELD.remove(file);
      throw e;
    } finally {
      HELD.remove(fresh); // renamed, or removed above
    }
  }


  /** A {@code .new-} file older than this was left by a process killed before it renamed it. */
  static final Duration ABANDONED = Duration.ofMinutes(1);

  /**
   * Removes a {@code .new-} file of a process killed between making a debt and renaming it. Such a
   * debt was never in force (it is recorded before the task's first change), so nothing is owed; a
   * file is removed only when it is old and no process holds its lock, as a live task renames its
   * own within microseconds.
   */
  private void removeIfAbandoned(Path f, long before) {
    // A file this process is making is never opened here: closing a descriptor would drop the lock
    // its task holds on it (see HELD). Another process's is locked, or young.
    if (!HELD.add(f)) {
      return;
    }
    try {
      if (Files.getLastModifiedTime(f).toMillis() >= before) {
        return;
      }
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
        FileLock lock = ch.tryLock();
        if (lock != null) {
          Files.deleteIfExists(f);
          LOG.debug("removed {}, left by a process killed while it recorded a pending reload", f);
        }
      }
    } catch (OverlappingFileLockException | IOException e) {
      // renamed or removed meanwhile: not abandoned
    } finally {
      HELD.remove(f);
    }
  }

  /**
   * @param server the server
   * @param service the service
   * @return the debts for them that no running task holds: left by killed tasks; now locked by
   *     this process
   */
  List<Debt> orphans(ContextName server, String service) {
    List<Debt> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    String prefix = key(server, service);
    long abandonedBefore = System.currentTimeMillis() - ABANDONED.toMillis();
    // One pass over the directory: this runs for every task with a step for the service.
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path f : ds) {
        String fileName = f.getFileName().toString();
        if (fileName.startsWith(".new-")) {
          removeIfAbandoned(f, abandonedBefore);
          continue;
        }
        if (!fileName.startsWith(prefix)) {
          continue;
        }
        if (!HELD.add(f)) {
          continue; // a running task of this process holds it (or another thread is looking at it)
        }
        FileChannel ch;
        try {
          ch = FileChannel.open(f, StandardOpenOption.WRITE);
        } catch (IOException e) {
          HELD.remove(f);
          continue; // paid meanwhile
        }
        FileLock lock = null;
        try {
          lock = ch.tryLock();
        } catch (OverlappingFileLockException | IOException e) {
          // held by a task of this process
        }
        if (lock == null) {
          ch.close();
          HELD.remove(f);
        } else {
          out.add(new Debt(f, ch, lock));
        }
      }
    } catch (IOException e) {
      throw new ProvisionException("cannot read the pending reloads in " + dir + ": " + e.getMessage(), e);
    }
    return out;
  }
}
