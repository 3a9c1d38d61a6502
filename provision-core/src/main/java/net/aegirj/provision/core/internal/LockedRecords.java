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
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory of record files that outlive a killed process, each locked by the process that
 * holds it: the {@link IntentJournal}'s records and the {@link ReloadDebts}' debts. A record is
 * made, filled and locked under a name no scanner takes for a record ({@code .new-<random>}), then
 * renamed to {@code <key><random>} (the lock goes with the file), so another process never takes a
 * record that is not locked yet for one a killed process left. A record that no process holds was
 * left by a killed one (its lock went with it): a scan takes it over, locked by this process.
 *
 * <p>The directory and its parent are private state (0700), the records 0600.
 */
final class LockedRecords {
  private static final Logger LOG = LoggerFactory.getLogger(LockedRecords.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String FRESH = ".new-";

  /** A {@code .new-} file older than this was left by a process killed before it renamed it. */
  static final Duration ABANDONED = Duration.ofMinutes(1);

  /**
   * The records this process has open. Their locks are POSIX record locks, which belong to the
   * process, and closing any descriptor of a file drops them: so a thread never opens a file that
   * another thread of this process holds.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path dir;
  private final String what;

  /**
   * @param dir the directory of the records, made on first use
   * @param what what a record holds, for the log ({@code "an intent"})
   */
  LockedRecords(Path dir, String what) {
    this.dir = dir;
    this.what = what;
  }

  /** @return the directory of the records */
  Path directory() {
    return dir;
  }

  /** Writes a new record's content, before it is renamed into force. */
  @FunctionalInterface
  interface Content {
    /**
     * @param channel the new record, locked
     * @throws IOException when it cannot be written
     */
    void write(FileChannel channel) throws IOException;
  }

  /** A record locked by this process. */
  static final class Held implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private Held(Path file, FileChannel channel, FileLock lock) {
      this.file = file;
      this.channel = channel;
      this.lock = lock;
    }

    /** @return the record's file */
    Path file() {
      return file;
    }

    /** @return the open channel, for appending and reading */
    FileChannel channel() {
      return channel;
    }

    /**
     * Removes the record and releases it.
     *
     * @param otherwise what follows when it cannot be removed, for the warning
     */
    void remove(String otherwise) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        LOG.warn("cannot remove {}: {}; {}", file, e.getMessage(), otherwise);
      }
      close();
    }

    /** Releases the lock and keeps the file, for a later task. */
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

  /**
   * @param text what a record is about (a context, a server and service)
   * @return the prefix of the records about it: a hash, so that any text makes a safe file name
   */
  static String key(String text) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 12) + "~";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Makes a record: created and locked under a fresh name, filled, renamed into force.
   *
   * @param key its prefix (see {@link #key})
   * @param content writes what it holds
   * @param durable whether the file and the directory are synced before it returns (an intent
   *     must survive a crash of the machine; a pending reload only a killed process)
   * @return the record, locked by this process until it is removed or closed
   * @throws IOException when it cannot be made; nothing is left behind
   */
  Held create(String key, Content content, boolean durable) throws IOException {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    String id = HexFormat.of().formatHex(b);
    Path file = dir.resolve(key + id);
    Path fresh = dir.resolve(FRESH + id);
    HELD.add(file);
    HELD.add(fresh);
    try {
      for (Path d : List.of(dir.getParent(), dir)) {
        if (!Files.isDirectory(d)) {
          PrivateState.directory(d);
        }
      }
      FileChannel ch = FileChannel.open(fresh, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          StandardOpenOption.READ), PrivateState.fileAttribute());
      FileLock lock;
      try {
        lock = ch.lock();
        content.write(ch);
        if (durable) {
          ch.force(true);
        }
        Files.move(fresh, file, StandardCopyOption.ATOMIC_MOVE);
        if (durable) {
          try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
          }
        }
      } catch (IOException | RuntimeException e) {
        ch.close();
        Files.deleteIfExists(fresh);
        throw e;
      }
      return new Held(file, ch, lock);
    } catch (IOException | RuntimeException e) {
      HELD.remove(file);
      throw e;
    } finally {
      HELD.remove(fresh); // renamed, or removed above
    }
  }

  /**
   * Takes over the records that no process holds (left by killed processes), and removes the
   * {@code .new-} files that killed processes left before they renamed them.
   *
   * @param key the prefix of the records wanted, or null for every record
   * @return the records, now locked by this process
   * @throws IOException when the directory cannot be read
   */
  List<Held> takeOver(String key) throws IOException {
    List<Held> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    long abandonedBefore = System.currentTimeMillis() - ABANDONED.toMillis();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path f : ds) {
        String fileName = f.getFileName().toString();
        if (fileName.startsWith(FRESH)) {
          removeIfAbandoned(f, abandonedBefore);
        } else if (key == null || fileName.startsWith(key)) {
          Held h = takeOverOne(f);
          if (h != null) {
            out.add(h);
          }
        }
      }
    }
    return out;
  }

  /** Locks a record no process holds; null when one does (or it is gone). */
  private static Held takeOverOne(Path f) {
    if (!HELD.add(f)) {
      return null; // a task of this process holds it, or another thread is taking it over
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      HELD.remove(f);
      return null; // removed meanwhile
    }
    FileLock lock = tryLock(ch);
    if (lock == null) {
      closeQuietly(ch);
      HELD.remove(f);
      return null; // a live process holds it
    }
    Held h = new Held(f, ch, lock);
    if (!Files.exists(f)) {
      h.close(); // removed by its owner between our open and our lock
      return null;
    }
    return h;
  }

  /**
   * Whether a record that a live process holds (this one's excepted: it knows its own) has text
   * that matches; records of killed processes do not count.
   *
   * @param matches tests a record's file and text
   * @return true when one matches, or when the directory cannot be read (cannot tell)
   */
  boolean anyHeldElsewhere(BiPredicate<Path, String> matches) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path f : ds) {
        if (f.getFileName().toString().startsWith(FRESH) || !HELD.add(f)) {
          continue; // not in force yet, or this process's own
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          FileLock lock = tryLock(ch);
          if (lock != null) {
            lock.release(); // nobody holds it: a killed process's
          } else if (matches.test(f, text(ch))) {
            return true;
          }
        } catch (IOException e) {
          // removed meanwhile
        } finally {
          HELD.remove(f);
        }
      }
    } catch (IOException e) {
      return true;
    }
    return false;
  }

  /**
   * @param ch a record
   * @return its text
   * @throws IOException when it cannot be read, or is larger than 1 MiB (not a record)
   */
  static String text(FileChannel ch) throws IOException {
    long size = ch.size();
    if (size > 1 << 20) {
      throw new IOException("larger than 1 MiB, not a record");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size);
    while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
      // reads until full
    }
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
  }

  /**
   * @param ch an open record
   * @param bytes what to append at its position, whole
   * @throws IOException when it cannot be written
   */
  static void write(FileChannel ch, byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /**
   * Removes a {@code .new-} file of a process killed between making a record and renaming it.
   * Such a record was never in force (it is made before what it records happens), so nothing is
   * owed; a file is removed only when it is old and no process holds its lock, as a live process
   * renames its own within microseconds.
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
        if (tryLock(ch) != null) {
          Files.deleteIfExists(f);
          LOG.debug("removed {}, left by a process killed while it recorded {}", f, what);
        }
      }
    } catch (IOException e) {
      // renamed or removed meanwhile: not abandoned
    } finally {
      HELD.remove(f);
    }
  }

  /** @return the lock, or null when a process (this one included) holds the file */
  private static FileLock tryLock(FileChannel ch) {
    try {
      return ch.tryLock();
    } catch (OverlappingFileLockException | IOException e) {
      return null;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // nothing to do
    }
  }
}
