package net.aegirj.provision.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.spi.Intent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What running tasks are about to create outside the home, on disk so that it outlives a killed
 * process. A task's first {@link Intent} makes its record, a file
 * {@code <home>/state/intents/<key>~<random>} (0600, in 0700 directories) that the task holds a
 * file lock on while it runs; every intent is appended as one JSON line and synced before the
 * step acts. The task removes the file when it ends with success or a complete rollback. A
 * record that no process holds was left by a killed task (the lock went with its process): the
 * next task on its context takes it over (locks it), settles its intents and removes it.
 *
 * <p>The file holds the context, the task, the process id and, per intent, the service, the
 * service type's id, the server, the kind, the name and the details: never a secret.
 */
final class IntentJournal {
  private static final Logger LOG = LoggerFactory.getLogger(IntentJournal.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIR =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
  private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  /** A {@code .new-} file older than this was left by a process killed before it renamed it. */
  static final Duration ABANDONED = Duration.ofMinutes(1);

  /**
   * The records this process has open. Their locks are POSIX record locks, which belong to the
   * process, and closing any descriptor of a file drops them: so a thread never opens a file that
   * another thread of this process holds.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  /** The records of tasks running in this process, for {@link #claimedByRunningTask}. */
  private static final Map<Path, Record> LIVE = new ConcurrentHashMap<>();

  private final Path dir;

  /** @param dir the directory of the records ({@code <home>/state/intents}), made on first use */
  IntentJournal(Path dir) {
    this.dir = dir;
  }

  /** @return the directory of the records */
  Path directory() {
    return dir;
  }

  /** An intent as stored: with the id of the service type that settles it. */
  record Stored(String type, Intent intent) {}

  /** The record of a task running in this process, locked by it. */
  final class Record implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final List<Stored> intents = new ArrayList<>();

    private Record(Path file, FileChannel channel, FileLock lock) {
      this.file = file;
      this.channel = channel;
      this.lock = lock;
    }

    /**
     * Appends an intent and syncs the file.
     *
     * @param type the id of the service type that settles it
     * @param intent the intent
     */
    synchronized void add(String type, Intent intent) {
      try {
        write(channel, line(type, intent));
        channel.force(true);
        intents.add(new Stored(type, intent));
      } catch (IOException e) {
        throw new ProvisionException("cannot record the intent to create " + intent + " in " + file + ": "
            + e.getMessage() + "; nothing was created", e);
      }
    }

    synchronized List<Stored> intents() {
      return List.copyOf(intents);
    }

    /** Removes the record: the task ended and left nothing to settle. */
    void clear() {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        LOG.warn("cannot remove {}: {}; the next task settles its intents once more", file, e.getMessage());
      }
      close();
    }

    /** Releases the lock and keeps the file: the next task on the context settles it. */
    @Override
    public void close() {
      LIVE.remove(file);
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

  /** The record of a killed task, locked by this process while it is settled. */
  final class Left implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final ContextName context;
    private final Task task;
    private final long pid;
    private final List<Stored> intents;

    private Left(Path file, FileChannel channel, FileLock lock, ContextName context, Task task, long pid,
        List<Stored> intents) {
      this.file = file;
      this.channel = channel;
      this.lock = lock;
      this.context = context;
      this.task = task;
      this.pid = pid;
      this.intents = intents;
    }

    /** @return the context the killed task ran on, or null when the header is unreadable */
    ContextName context() {
      return context;
    }

    /** @return the task, or null when unknown */
    Task task() {
      return task;
    }

    /** @return the killed process's id, or -1 */
    long pid() {
      return pid;
    }

    /** @return the intents it recorded */
    List<Stored> intents() {
      return intents;
    }

    /** @return the file */
    Path file() {
      return file;
    }

    /** Removes the record: everything in it is settled. */
    void remove() {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        LOG.warn("cannot remove {}: {}; it is settled again by a later task", file, e.getMessage());
      }
      close();
    }

    /** Releases it, kept for a later task. */
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

  static String key(ContextName context) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(context.value().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 12) + "~";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] line(String type, Intent i) {
    ObjectNode n = JSON.createObjectNode();
    n.put("service", i.service());
    n.put("type", type);
    n.put("server", i.server().toString());
    n.put("kind", i.kind());
    n.put("name", i.name());
    ArrayNode details = n.putArray("details");
    i.details().forEach(details::add);
    return (n.toString() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static void write(FileChannel ch, byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private void makeDirectory() throws IOException {
    for (Path d : List.of(dir.getParent(), dir)) {
      if (!Files.isDirectory(d)) {
        try {
          Files.createDirectory(d, PRIVATE_DIR);
        } catch (FileAlreadyExistsException e) {
          // made by another task meanwhile
        }
      }
    }
  }

  /**
   * Makes a task's record with its first intent, synced (file and directory) before it returns.
   *
   * @param context the task's context
   * @param task the task
   * @param type the id of the service type that settles the intent
   * @param first the first intent
   * @return the record, locked by this process until it is cleared or closed
   */
  Record open(ContextName context, Task task, String type, Intent first) {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    String id = HexFormat.of().formatHex(b);
    Path file = dir.resolve(key(context) + id);
    // Made, filled and locked under a name no scanner takes for a record, then renamed (the lock
    // goes with the file): another task never settles a record that is not locked yet.
    Path fresh = dir.resolve(".new-" + id);
    HELD.add(file);
    HELD.add(fresh);
    try {
      makeDirectory();
      FileChannel ch = FileChannel.open(fresh, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          StandardOpenOption.READ), PRIVATE_FILE);
      FileLock lock;
      try {
        lock = ch.lock();
        ObjectNode header = JSON.createObjectNode();
        header.put("context", context.toString());
        header.put("task", task.id());
        header.put("pid", ProcessHandle.current().pid());
        header.put("started", Instant.now().toString());
        write(ch, (header.toString() + "\n").getBytes(StandardCharsets.UTF_8));
        write(ch, line(type, first));
        ch.force(true);
        Files.move(fresh, file, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
          d.force(true);
        }
      } catch (IOException | RuntimeException e) {
        ch.close();
        Files.deleteIfExists(fresh);
        throw e;
      }
      Record r = new Record(file, ch, lock);
      r.intents.add(new Stored(type, first));
      LIVE.put(file, r);
      return r;
    } catch (IOException e) {
      HELD.remove(file);
      throw new ProvisionException(context + ": cannot record the intent to create " + first + " in " + dir + ": "
          + e.getMessage() + "; nothing was created; check that the home is writable", e);
    } catch (RuntimeException e) {
      HELD.remove(file);
      throw e;
    } finally {
      HELD.remove(fresh);
    }
  }

  /**
   * @param context a context
   * @return the records a killed task on that context left (no process holds them), now locked by
   *     this process: settle them, then remove or close each
   */
  List<Left> leftFor(ContextName context) {
    return scan(key(context));
  }

  /** @return every record no process holds, now locked by this process */
  List<Left> leftAll() {
    return scan(null);
  }

  private List<Left> scan(String prefix) {
    List<Left> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    long abandonedBefore = System.currentTimeMillis() - ABANDONED.toMillis();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path f : ds) {
        String fileName = f.getFileName().toString();
        if (fileName.startsWith(".new-")) {
          removeIfAbandoned(f, abandonedBefore);
          continue;
        }
        if (prefix != null && !fileName.startsWith(prefix)) {
          continue;
        }
        Left left = takeOver(f);
        if (left != null) {
          out.add(left);
        }
      }
    } catch (IOException e) {
      throw new ProvisionException("cannot read the recorded intents in " + dir + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** Locks and reads a record no process holds; null when one does (or it is gone). */
  private Left takeOver(Path f) {
    if (!HELD.add(f)) {
      return null; // a task of this process holds it, or another thread is settling it
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      HELD.remove(f);
      return null; // removed meanwhile
    }
    FileLock lock = null;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException | IOException e) {
      // held
    }
    if (lock == null) {
      closeQuietly(ch);
      HELD.remove(f);
      return null;
    }
    try {
      if (!Files.exists(f)) {
        // removed by its settler between our open and our lock
        lock.release();
        closeQuietly(ch);
        HELD.remove(f);
        return null;
      }
      Parsed p = parse(read(ch), f);
      return new Left(f, ch, lock, p.context, p.task, p.pid, p.intents);
    } catch (IOException e) {
      closeQuietly(ch);
      HELD.remove(f);
      LOG.warn("cannot read {}: {}; it is settled by a later task", f, e.getMessage());
      return null;
    }
  }

  /**
   * Whether a task running now (in this process or another) has recorded an intent to create the
   * same kind and name on the same server; records of killed tasks do not count.
   *
   * @param server the server
   * @param kind the kind
   * @param name the name
   * @return true when a running task may be creating it
   */
  boolean claimedByRunningTask(ContextName server, String kind, String name) {
    for (Record r : LIVE.values()) {
      for (Stored s : r.intents()) {
        if (same(s.intent(), server, kind, name)) {
          return true;
        }
      }
    }
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path f : ds) {
        if (f.getFileName().toString().startsWith(".new-") || !HELD.add(f)) {
          continue; // not in force yet, or this process's own (its live ones are in LIVE)
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          FileLock lock = null;
          try {
            lock = ch.tryLock();
          } catch (OverlappingFileLockException | IOException e) {
            // held
          }
          if (lock != null) {
            lock.release(); // nobody holds it: a killed task's, which claims nothing
            continue;
          }
          for (Stored s : parse(read(ch), f).intents) {
            if (same(s.intent(), server, kind, name)) {
              return true;
            }
          }
        } catch (IOException e) {
          // removed meanwhile
        } finally {
          HELD.remove(f);
        }
      }
    } catch (IOException e) {
      return true; // cannot tell: keep
    }
    return false;
  }

  private static boolean same(Intent i, ContextName server, String kind, String name) {
    return i.server().equals(server) && i.kind().equals(kind) && i.name().equals(name);
  }

  private static String read(FileChannel ch) throws IOException {
    long size = ch.size();
    if (size > 1 << 20) {
      throw new IOException("larger than 1 MiB, not a record of intents");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size);
    while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
      // reads until full
    }
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
  }

  private record Parsed(ContextName context, Task task, long pid, List<Stored> intents) {}

  /** Reads a record; a line cut short by a kill (the last one) is skipped. */
  private static Parsed parse(String text, Path f) {
    ContextName context = null;
    Task task = null;
    long pid = -1;
    List<Stored> intents = new ArrayList<>();
    boolean first = true;
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode n;
      try {
        n = JSON.readTree(line);
      } catch (IOException e) {
        LOG.debug("{}: skipping a line cut short: {}", f, e.getMessage());
        continue;
      }
      try {
        if (first) {
          first = false;
          context = ContextName.of(n.path("context").asText());
          String id = n.path("task").asText();
          for (Task t : Task.values()) {
            if (t.id().equals(id)) {
              task = t;
            }
          }
          pid = n.path("pid").asLong(-1);
          continue;
        }
        List<String> details = new ArrayList<>();
        n.path("details").forEach(d -> details.add(d.asText()));
        intents.add(new Stored(n.path("type").asText(), new Intent(n.path("service").asText(),
            ContextName.of(n.path("server").asText()), n.path("kind").asText(), n.path("name").asText(), details)));
      } catch (RuntimeException e) {
        LOG.warn("{}: skipping an unreadable line: {}", f, e.getMessage());
      }
    }
    return new Parsed(context, task, pid, intents);
  }

  /**
   * Removes a {@code .new-} file of a process killed between making a record and renaming it.
   * Such a record was never in force (its step acts only after the rename), so nothing is owed; a
   * file is removed only when it is old and no process holds its lock.
   */
  private void removeIfAbandoned(Path f, long before) {
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
          LOG.debug("removed {}, left by a process killed while it recorded an intent", f);
        }
      }
    } catch (OverlappingFileLockException | IOException e) {
      // renamed or removed meanwhile: not abandoned
    } finally {
      HELD.remove(f);
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
