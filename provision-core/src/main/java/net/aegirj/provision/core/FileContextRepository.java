package net.aegirj.provision.core;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.core.internal.JsonCodec;
import net.aegirj.provision.core.internal.ListableRepository;
import net.aegirj.provision.core.internal.PrivateState;
import net.aegirj.provision.spi.ContextListing;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default repository: one JSON file per context under {@code <home>/contexts/}, named
 * {@code <name>.json} (very long names are cut and completed with a hash), mode 0600 in a 0700
 * directory.
 *
 * <p>Every write goes to a temporary file that is flushed to disk and then renamed over the old
 * one, and the directory is flushed after the rename, so a process killed at any point leaves the
 * old or the new file, never a torn one. Writers take an exclusive lock on
 * {@code <home>/contexts/.lock}, which holds across processes, so the version check and the rename
 * are one atomic step for every process sharing the directory. Readers take no lock.
 *
 * <p>In a repository of {@value #SNAPSHOT_FROM} contexts or more, {@link #list()} also keeps
 * {@code .list-snapshot}: the files' bytes with their inode and times, so that a list only stats
 * the files that have not changed instead of reading them (see {@link ListSnapshot}).
 *
 * <p>Host names are kept unique through {@code contexts/.hosts}, an index of one symbolic link
 * per host name (see {@link HostIndex}): a save of a site checks and claims its names under the
 * write lock, in time that does not grow with the number of sites. {@link #saveAll} writes a batch
 * under one lock with one flush to disk for the batch's files and one for the directory; a large
 * batch is checked against one listing of the directory and of the index, taken under the lock,
 * and its host names are claimed while its files are written, both flushed before the first
 * rename (see {@link #listedView()}).
 */
public final class FileContextRepository implements ContextRepository, ListableRepository {
  private static final Logger LOG = LoggerFactory.getLogger(FileContextRepository.class);
  private static final String SUFFIX = ".json";
  private static final int MAX_PLAIN = 200;
  private static final String LOCK_FILE = ".lock";
  /** Temporary files of writers live in their own directory, which is quick to sweep. */
  private static final String TEMP_DIR = ".tmp";
  /** Where earlier builds made their temporary files: directly in the contexts directory. */
  private static final String OLD_TEMP_PREFIX = ".tmp-";
  private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
  /** One lock per directory within this JVM: file locks are held per process, not per thread. */
  private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path dir;
  private final Path tempDir;
  private final ReentrantLock jvmLock;
  private final int snapshotFrom;
  private final LongSupplier clock;
  private final HostIndex hosts;
  /** How many context files the last {@link #list()} opened (the rest came from its snapshot). */
  private volatile int filesReadByLastList;
  /**
   * Contexts decoded by {@link #load}, with the stat of their file when it was read: a task loads
   * its site, platform, servers and {@code @server_master} several times, and a batch of 1,000 did
   * so thousands of times (a fifth of a no-op verify through the command line was reading and
   * decoding the same files again). An entry is used only while a stat of the file still matches,
   * and only when the file had not changed for {@link ListSnapshot#RACY_NANOS} before it was read,
   * as for the list snapshot; any write, in place or by rename, changes the file's change time.
   */
  private final Map<Path, Decoded> decoded = new ConcurrentHashMap<>();
  /** At most this many decoded contexts are kept; the cache is emptied when it is full. */
  static final int DECODED_LIMIT = 20_000;

  /** A decoded context, the stat of its file and when that stat was taken. */
  private record Decoded(ListSnapshot.Stat stat, long statNanos, Versioned value) {}

  /**
   * Opens (and creates when missing) the repository of a Provision home.
   *
   * @param home the Provision home; contexts live in {@code <home>/contexts}
   */
  public FileContextRepository(Path home) {
    this(home, SNAPSHOT_FROM, FileContextRepository::epochNanos);
  }

  /**
   * @param home the Provision home
   * @param snapshotFrom from this many context files on, {@link #list()} keeps a {@link ListSnapshot}
   * @param clock the wall clock in epoch nanoseconds (tests move it)
   */
  FileContextRepository(Path home, int snapshotFrom, LongSupplier clock) {
    this.snapshotFrom = snapshotFrom;
    this.clock = clock;
    this.dir = home.toAbsolutePath().normalize().resolve("contexts");
    this.tempDir = dir.resolve(TEMP_DIR);
    // 0700, its files 0600: created so, and repaired when found open to other users.
    PrivateState.directory(dir);
    try {
      if (!Files.isDirectory(tempDir)) {
        Files.createDirectories(tempDir);
        Files.setPosixFilePermissions(tempDir, DIR_MODE);
      }
    } catch (IOException e) {
      // A repository this process may only read; a write says so when it comes to it.
      LOG.debug("cannot create {}: {}", tempDir, e.getMessage());
    }
    this.jvmLock = JVM_LOCKS.computeIfAbsent(dir, d -> new ReentrantLock());
    this.hosts = new HostIndex(dir, this::load);
    sweepStaleTemporaryFiles();
  }

  /**
   * A process killed while it wrote a context leaves its temporary file behind in
   * {@code contexts/.tmp}; every process that opens the repository removes such files (a glance
   * at a directory that is almost always empty). Under the write lock, a temporary file cannot
   * belong to a live writer of contexts; one of a list writing its snapshot (which takes no lock)
   * may go, and that list's snapshot with it, which costs the next list a full read and nothing
   * else. A repository that cannot be locked (read-only) is left as it is.
   */
  private void sweepStaleTemporaryFiles() {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(tempDir)) {
      if (!ds.iterator().hasNext()) {
        return; // the common case: nothing to sweep, no lock taken
      }
    } catch (IOException e) {
      return;
    }
    sweep();
  }

  private void sweep() {
    try {
      int n = removeStaleTemporaryFiles();
      LOG.debug("removed {} temporary file(s) left in {} by killed writers", n, dir);
    } catch (ProvisionException | UncheckedIOException e) {
      LOG.debug("cannot remove temporary files left in {}: {}", dir, e.getMessage());
    }
  }

  /** @return the directory holding the context files */
  public Path directory() {
    return dir;
  }

  private Path file(ContextName name) {
    return dir.resolve(fileName(name));
  }

  /**
   * The file name of a context: {@code <name>.json}; a name too long for a file name (most file
   * systems allow 255 bytes) is cut and completed with a hash of the whole name, which a valid name
   * cannot clash with ({@code ~} is not allowed in names). The file itself holds the full name.
   */
  static String fileName(ContextName name) {
    String n = name.value();
    if (n.length() <= MAX_PLAIN) {
      return n + SUFFIX;
    }
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(n.getBytes(StandardCharsets.UTF_8));
      return n.substring(0, MAX_PLAIN - 20) + "~" + HexFormat.of().formatHex(h, 0, 8) + SUFFIX;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Optional<Versioned> load(ContextName name) {
    Path f = file(name);
    long now = clock.getAsLong();
    ListSnapshot.Stat stat;
    try {
      stat = ListSnapshot.Stat.of(f);
    } catch (NoSuchFileException e) {
      decoded.remove(f);
      return Optional.empty();
    } catch (IOException | UnsupportedOperationException | ClassCastException e) {
      return read(f); // read says what is wrong with the file, if anything
    }
    Decoded d = decoded.get(f);
    if (d != null && d.stat().equals(stat) && stat.changedNanos() < d.statNanos() - ListSnapshot.RACY_NANOS) {
      return Optional.of(d.value());
    }
    // Read after the stat: what is read is at least as new as the stat it is kept with, so a
    // change in between makes the next stat differ and the file be read again.
    Optional<Versioned> v = read(f);
    if (v.isPresent() && stat.changedNanos() < now - ListSnapshot.RACY_NANOS) {
      if (decoded.size() >= DECODED_LIMIT) {
        decoded.clear();
      }
      decoded.put(f, new Decoded(stat, now, v.get()));
    } else {
      decoded.remove(f);
    }
    return v;
  }

  private Optional<Versioned> read(Path f) {
    return readBytes(f).map(bytes -> decode(f, bytes));
  }

  private static Optional<byte[]> readBytes(Path f) {
    try {
      return Optional.of(Files.readAllBytes(f));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new ProvisionException("cannot read the context file " + f + ": " + e.getMessage()
          + "; make it readable by " + System.getProperty("user.name") + " or remove it", e);
    }
  }

  private static Versioned decode(Path f, byte[] bytes) {
    return decode(f, bytes, 0, bytes.length);
  }

  private static Versioned decode(Path f, byte[] buffer, int offset, int length) {
    try {
      Versioned v = JsonCodec.read(buffer, offset, length);
      String expected = fileName(v.context().name());
      if (!f.getFileName().toString().equals(expected)) {
        throw new IOException("holds context " + v.context().name() + ", expected file name " + expected);
      }
      return v;
    } catch (IOException | RuntimeException e) {
      throw new ProvisionException("context file " + f + " is not valid: " + e.getMessage()
          + "; repair or remove it", e);
    }
  }

  @Override
  public long save(Context context, long expectedVersion) {
    Path target = file(context.name());
    return locked(() -> {
      Optional<Versioned> stored = read(target);
      long current = stored.map(Versioned::version).orElse(NEW);
      if (current != expectedVersion) {
        throw ContextRepository.conflict(context.name(), expectedVersion, current);
      }
      Set<String> names = ContextRepository.hostNames(context);
      Set<String> before = stored.map(v -> ContextRepository.hostNames(v.context())).orElse(Set.of());
      if (!names.isEmpty() || !before.isEmpty()) {
        hosts.ensureComplete(this::listReadable);
      }
      // The stored version's names are claimed already: only new ones are checked and claimed.
      Set<String> added = new LinkedHashSet<>(names);
      added.removeAll(before);
      for (String h : added) {
        if (hosts.claim(h).filter(context.name()::equals).isPresent()) {
          continue; // its own already
        }
        Optional<ContextName> owner = hosts.owner(h);
        if (owner.isPresent() && !owner.get().equals(context.name())) {
          throw ContextRepository.hostNameTaken(context, h, owner.get());
        }
      }
      if (hosts.claimAll(context.name(), added)) {
        hosts.sync(); // the claims reach the disk before the file that needs them
      }
      long next = current + 1;
      writeAtomically(target, JsonCodec.write(new Versioned(context, next)));
      hosts.release(context.name(), without(before, names));
      LOG.debug("saved {} version {}", context.name(), next);
      return next;
    });
  }

  private static List<String> without(Set<String> before, Set<String> after) {
    return before.stream().filter(h -> !after.contains(h)).toList();
  }

  /**
   * Checks every version and host name of the batch, then writes it, all under one lock: the
   * claims of its host names (one flush of their directory), every file to a temporary file, one
   * flush of the file system for all of them ({@code sync -f}, else each file on its own), the
   * renames, one flush of the directory. A process killed meanwhile leaves some of the batch
   * saved, each context whole, and the index right.
   */
  @Override
  public List<Long> saveAll(List<Save> saves) {
    if (saves.isEmpty()) {
      return List.of();
    }
    return locked(() -> {
      long begun = System.nanoTime();
      hosts.ensureComplete(this::listReadable);
      // Under the lock no other writer stores a name: a listing answers for the names it does not hold.
      ContextRepository.checkBatch(saves.size() >= LISTED_FROM ? listedView() : this, saves);
      List<Set<String>> before = new ArrayList<>(saves.size());
      for (Save s : saves) {
        before.add(s.expectedVersion() == NEW ? Set.of()
            : load(s.context().name()).map(v -> ContextRepository.hostNames(v.context())).orElse(Set.of()));
      }
      long checked = System.nanoTime();
      boolean large = saves.size() >= SYNC_FS_FROM;
      // A large batch's host names are claimed on a thread of their own while the files are
      // written (the claims in .hosts, the files in .tmp: a file system spends its time per entry
      // created, on any core); both reach the disk before the first file is renamed into place.
      FutureTask<Boolean> claims = new FutureTask<>(() -> {
        boolean claimed = false;
        for (Save s : saves) {
          claimed |= hosts.claimAll(s.context().name(), ContextRepository.hostNames(s.context()));
        }
        return claimed;
      });
      Thread claimer = null;
      if (large) {
        claimer = new Thread(claims, "provision-host-claims");
        claimer.setDaemon(true);
        claimer.start();
      } else {
        claims.run();
      }
      List<Path> temporaries = Collections.synchronizedList(new ArrayList<>(saves.size()));
      int renamed = 0;
      List<Long> versions = saves.stream().map(s -> s.expectedVersion() + 1).toList();
      long[] times = new long[3];
      try {
        ensureTempDir();
        // Encoded and written on every core.
        List<Path> written = (large ? saves.parallelStream() : saves.stream()).map(s -> {
          Path t = writeTemporary(JsonCodec.write(new Versioned(s.context(), s.expectedVersion() + 1)), !large);
          temporaries.add(t);
          return t;
        }).toList();
        times[0] = System.nanoTime();
        boolean claimed = result(claims);
        times[1] = System.nanoTime();
        // One flush of the file system holds the claims too; else the directory of claims is flushed.
        boolean flushedAll = large && flushAll(written);
        if (claimed && !flushedAll) {
          hosts.sync();
        }
        times[2] = System.nanoTime();
        for (int i = 0; i < saves.size(); i++) {
          moveIntoPlace(written.get(i), file(saves.get(i).context().name()));
          renamed = i + 1;
        }
      } finally {
        if (claimer != null) {
          joinUninterruptibly(claimer); // no claim is made once the lock is given up
        }
        if (renamed < saves.size()) {
          for (Path t : temporaries) {
            deleteTemporary(t);
          }
        }
      }
      syncDirectory();
      for (int i = 0; i < saves.size(); i++) {
        hosts.release(saves.get(i).context().name(), without(before.get(i), ContextRepository.hostNames(saves.get(i).context())));
      }
      LOG.debug("saved a batch of {} contexts in {} ms: checked in {} ms, files written in {} ms, host names"
          + " claimed {} ms after them, flushed in {} ms, renamed and the directory flushed in {} ms", saves.size(),
          ms(System.nanoTime() - begun), ms(checked - begun), ms(times[0] - checked), ms(times[1] - times[0]),
          ms(times[2] - times[1]), ms(System.nanoTime() - times[2]));
      return versions;
    });
  }

  /** @return the task's result; its failure thrown as it was (a {@link ProvisionException}) */
  private static <T> T result(FutureTask<T> task) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return task.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof RuntimeException r) {
            throw r;
          }
          if (e.getCause() instanceof Error err) {
            throw err;
          }
          throw new ProvisionException("cannot claim host names: " + e.getCause(), e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void joinUninterruptibly(Thread t) {
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }


  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }

  /**
   * The host names' owners, from the index: one {@code readlink} per name, and one file read per
   * name that a site claims (to check the claim). An index that was never built is built first.
   */
  @Override
  public Map<String, ContextName> hostOwners(Collection<String> hostNames) {
    if (hostNames.isEmpty()) {
      return Map.of();
    }
    if (!hosts.complete()) {
      if (jvmLock.isHeldByCurrentThread()) {
        hosts.ensureComplete(this::listReadable);
      } else {
        locked(() -> hosts.ensureComplete(this::listReadable));
      }
    }
    return hosts.owners(hostNames);
  }

  /**
   * From this many contexts on, {@link #saveAll} checks its batch against one listing of the
   * context files and of the host-name index, instead of looking each name up.
   */
  static final int LISTED_FROM = 64;

  /**
   * Lists the context files and the index of host names once (two directory reads). Names the
   * listing did not hold are answered without reading the disk (not stored; no claim, so no
   * owner); the others as {@link #load} and {@link #hostOwners} answer them. An index that was
   * never built is not listed: host names are then asked of the repository.
   */
  @Override
  public ContextRepository listedView() {
    Set<String> files = new HashSet<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path f : ds) {
        String n = f.getFileName().toString();
        if (!n.startsWith(".") && n.endsWith(SUFFIX)) {
          files.add(n);
        }
      }
    } catch (IOException e) {
      throw new ProvisionException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    Set<String> claims = hosts.complete() ? hosts.entries() : null;
    return new ListedView(files, claims);
  }

  /** See {@link #listedView()}. */
  private final class ListedView implements ContextRepository {
    private final Set<String> files;
    private final Set<String> claims;

    ListedView(Set<String> files, Set<String> claims) {
      this.files = files;
      this.claims = claims;
    }

    @Override
    public Optional<Versioned> load(ContextName name) {
      return files.contains(fileName(name)) ? FileContextRepository.this.load(name) : Optional.empty();
    }

    @Override
    public Map<String, ContextName> hostOwners(Collection<String> hostNames) {
      if (claims == null) {
        return FileContextRepository.this.hostOwners(hostNames);
      }
      List<String> claimed = new ArrayList<>();
      for (String h : hostNames) {
        if (claims.contains(HostIndex.entryName(h))) {
          claimed.add(h);
        }
      }
      return claimed.isEmpty() ? Map.of() : hosts.owners(claimed);
    }

    /** @throws UnsupportedOperationException always: a view only reads */
    @Override
    public long save(Context context, long expectedVersion) {
      throw new UnsupportedOperationException("a listed view does not write");
    }

    /** @throws UnsupportedOperationException always: a view only reads */
    @Override
    public void delete(ContextName name, long expectedVersion) {
      throw new UnsupportedOperationException("a listed view does not write");
    }

    @Override
    public List<Versioned> list() {
      return FileContextRepository.this.list();
    }

    @Override
    public ContextListing listReadable() {
      return FileContextRepository.this.listReadable();
    }

    @Override
    public List<ContextName> referrers(ContextName target) {
      return FileContextRepository.this.referrers(target);
    }

    @Override
    public String toString() {
      return "listed view of " + FileContextRepository.this;
    }
  }

  /** From this many contexts on, {@link #saveAll} flushes the file system once instead of each file. */
  static final int SYNC_FS_FROM = 32;

  /**
   * Flushes the batch's temporary files to disk: one {@code sync -f} (the file system's
   * {@code syncfs}, which also flushes every directory of the file system), which costs about as
   * much as one {@code fsync}, else each file.
   *
   * @return whether the whole file system was flushed (else only the files were)
   */
  private boolean flushAll(List<Path> temporaries) {
    try {
      Process p = new ProcessBuilder("sync", "-f", tempDir.toString()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (p.waitFor() == 0) {
        return true;
      }
      LOG.debug("sync -f {} failed with exit code {}; flushing each file", tempDir, p.exitValue());
    } catch (IOException e) {
      LOG.debug("cannot run sync -f {}: {}; flushing each file", tempDir, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProvisionException("interrupted while flushing " + tempDir, e);
    }
    for (Path t : temporaries) {
      try (FileChannel ch = FileChannel.open(t, StandardOpenOption.WRITE)) {
        ch.force(true);
      } catch (IOException e) {
        throw new ProvisionException("cannot flush " + t + ": " + e.getMessage(), e);
      }
    }
    return false;
  }

  @Override
  public void delete(ContextName name, long expectedVersion) {
    Path target = file(name);
    locked(() -> {
      long current = read(target).map(Versioned::version).orElse(NEW);
      if (current == NEW || current != expectedVersion) {
        throw ContextRepository.conflict(name, expectedVersion, current);
      }
      Set<String> names = read(target).map(v -> ContextRepository.hostNames(v.context())).orElse(Set.of());
      try {
        Files.delete(target);
        syncDirectory();
      } catch (IOException e) {
        throw new ProvisionException("cannot delete " + target + ": " + e.getMessage(), e);
      }
      hosts.release(name, names);
      LOG.debug("deleted {}", name);
      return null;
    });
  }


  @Override
  public List<Versioned> list() {
    Scan scan = scan();
    if (!scan.failures().isEmpty()) {
      throw scan.failures().get(0).error(); // names the file and what is wrong with it
    }
    return scan.contexts();
  }

  /**
   * Lists every context file that can be read; each one that cannot (not valid JSON, not a
   * context, the wrong file name, unreadable) is reported with its file and what is wrong, and the
   * others are listed all the same.
   */
  @Override
  public ContextListing listReadable() {
    Scan scan = scan();
    List<ContextListing.Unreadable> unreadable = new ArrayList<>();
    for (Failure f : scan.failures()) {
      unreadable.add(new ContextListing.Unreadable(nameOf(f.file()), f.file().toString(), f.error().getMessage()));
    }
    return new ContextListing(scan.contexts(), unreadable);
  }

  /** @return the context name a file name stands for, when it can be told (not for cut long names) */
  private static Optional<ContextName> nameOf(Path file) {
    String n = file.getFileName().toString();
    if (!n.endsWith(SUFFIX) || n.contains("~")) {
      return Optional.empty();
    }
    try {
      return Optional.of(ContextName.of(n.substring(0, n.length() - SUFFIX.length())));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** A context file that could not be read. */
  private record Failure(Path file, ProvisionException error) {}

  /** The readable contexts, ordered by name, and the files that could not be read, in file order. */
  private record Scan(List<Versioned> contexts, List<Failure> failures) {}

  /** One file as a list read it: its context, nothing (gone since), or its failure. */
  private record Read(Versioned versioned, Failure failure) {}

  private Read readForList(Path f) {
    try {
      return new Read(read(f).orElse(null), null);
    } catch (ProvisionException e) {
      return new Read(null, new Failure(f, e));
    }
  }

  private Scan scan() {
    // The snapshot, when there is one, is read while the directory is.
    CompletableFuture<ListSnapshot> snapshot = Files.isRegularFile(dir.resolve(ListSnapshot.FILE))
        ? CompletableFuture.supplyAsync(() -> ListSnapshot.load(dir)) : null;
    List<String> names = new ArrayList<>();
    boolean oldTemporaries = false;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path f : ds) {
        String n = f.getFileName().toString();
        if (!n.startsWith(".")) {
          if (n.endsWith(SUFFIX)) {
            names.add(n);
          }
        } else if (n.startsWith(OLD_TEMP_PREFIX)) {
          oldTemporaries = true;
        }
      }
    } catch (IOException e) {
      throw new ProvisionException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    if (oldTemporaries) {
      sweep(); // left by a killed writer of an earlier version; seen here at no extra cost
    }
    // Sorted here, as plain strings, rather than as contexts spread over the heap (which costs
    // a cache miss or three per comparison).
    String[] sorted = names.toArray(String[]::new);
    Arrays.parallelSort(sorted);
    List<Path> files = new ArrayList<>(sorted.length);
    for (String n : sorted) {
      files.add(dir.resolve(n));
    }
    List<Read> reads;
    if (files.size() < snapshotFrom) {
      removeSnapshot(); // a repository that shrank: no copy of deleted contexts (and their secrets) stays
      // Reading and checking a file is independent of the others: large repositories use every core.
      reads = (files.size() < PARALLEL_LIST ? files.stream() : files.parallelStream()).map(this::readForList).toList();
      filesReadByLastList = files.size();
    } else {
      reads = listWithSnapshot(files, snapshot == null ? ListSnapshot.empty() : snapshot.join());
    }
    List<Versioned> out = new ArrayList<>(reads.size());
    List<Failure> failures = new ArrayList<>();
    for (Read r : reads) {
      if (r.versioned() != null) {
        out.add(r.versioned());
      } else if (r.failure() != null) {
        failures.add(r.failure());
        LOG.debug("{}", r.failure().error().getMessage());
      }
    }
    // The files were read in file-name order, which is the name order but where one name is a
    // prefix of another ("a.json" sorts after "a-b.json"): this last sort has little to do.
    out.sort(Comparator.comparing(v -> v.context().name()));
    return new Scan(out, failures);
  }

  /** One context file as a list found it. */
  private record Listed(String fileName, ListSnapshot.Entry entry, Versioned versioned, boolean read) {}

  /**
   * Lists through the {@link ListSnapshot}: each file is stat'ed, and read only when the snapshot
   * cannot vouch for it; the snapshot is rewritten when any file was read or has gone. A file
   * that cannot be read is reported, and left out of the snapshot.
   */
  private List<Read> listWithSnapshot(List<Path> files, ListSnapshot old) {
    long begun = clock.getAsLong(); // before any stat: see ListSnapshot
    List<Object> results = files.parallelStream().map(f -> {
      try {
        return (Object) listOne(f, old);
      } catch (ProvisionException e) {
        return new Failure(f, e);
      }
    }).filter(Objects::nonNull).toList();
    List<Listed> listed = results.stream().filter(r -> r instanceof Listed).map(r -> (Listed) r).toList();
    int read = (int) listed.stream().filter(Listed::read).count();
    filesReadByLastList = read;
    if (read > 0 || listed.size() != old.size()) {
      Map<String, ListSnapshot.Entry> entries = new HashMap<>(listed.size() * 4 / 3 + 1);
      for (Listed l : listed) {
        entries.put(l.fileName(), l.entry());
      }
      writeSnapshot(begun, entries);
    }
    return results.stream().map(r -> r instanceof Listed l ? new Read(l.versioned(), null)
        : new Read(null, (Failure) r)).toList();
  }

  /** @return the file as listed, or null when it was deleted since the directory was read */
  private Listed listOne(Path f, ListSnapshot old) {
    String fileName = f.getFileName().toString();
    ListSnapshot.Stat stat;
    try {
      stat = ListSnapshot.Stat.of(f);
    } catch (NoSuchFileException e) {
      return null; // deleted since the directory was read
    } catch (IOException e) {
      throw new ProvisionException("cannot read " + f + ": " + e.getMessage(), e);
    }
    ListSnapshot.Entry entry = old.ifUnchanged(fileName, stat);
    boolean read = entry == null;
    if (read) {
      Optional<byte[]> bytes = readBytes(f);
      if (bytes.isEmpty()) {
        return null;
      }
      entry = ListSnapshot.Entry.of(stat, bytes.get());
    }
    return new Listed(fileName, entry, decode(f, entry.buffer(), entry.offset(), entry.length()), read);
  }

  /** Best effort, without flushing: the snapshot is a cache, checked when it is read. */
  private void writeSnapshot(long begun, Map<String, ListSnapshot.Entry> entries) {
    Path tmp = tempDir.resolve(HexFormat.of().formatHex(randomBytes()));
    try {
      try (FileChannel ch = FileChannel.open(tmp,
              Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), fileMode());
          OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16)) {
        ListSnapshot.write(out, begun, entries);
      }
      Files.move(tmp, dir.resolve(ListSnapshot.FILE), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("cannot write the list snapshot in {}: {}", dir, e.getMessage());
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException e) {
        LOG.debug("cannot remove {}: {}", tmp, e.getMessage());
      }
    }
  }

  private void removeSnapshot() {
    try {
      Files.deleteIfExists(dir.resolve(ListSnapshot.FILE));
    } catch (IOException e) {
      LOG.debug("cannot remove the list snapshot in {}: {}", dir, e.getMessage());
    }
  }

  /** @return how many context files the last {@link #list()} opened and read */
  int filesReadByLastList() {
    return filesReadByLastList;
  }

  private static long epochNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /** From this many contexts on, {@link #list()} reads them in parallel. */
  private static final int PARALLEL_LIST = 512;
  /** From this many contexts on, {@link #list()} keeps a {@link ListSnapshot}. */
  static final int SNAPSHOT_FROM = 2_000;

  @Override
  public List<ContextName> referrers(ContextName target) {
    String ref = target.toString();
    List<ContextName> out = new ArrayList<>();
    for (Versioned v : list()) {
      Context c = v.context();
      var props = ContextProperties.toMap(c);
      for (PropertySpec spec : Schema.properties(c.type())) {
        if (spec.kind() == PropertySpec.Kind.REFERENCE && ref.equals(props.get(spec.name()))) {
          out.add(c.name());
          break;
        }
      }
    }
    return out;
  }

  @Override
  public List<Versioned> list(ContextType type) {
    return list().stream().filter(v -> v.context().type() == type).toList();
  }

  private interface Body<T> {
    T run();
  }

  private <T> T locked(Body<T> body) {
    jvmLock.lock();
    try (FileChannel ch = FileChannel.open(dir.resolve(LOCK_FILE),
            Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), fileMode());
         FileLock ignored = ch.lock()) {
      return body.run();
    } catch (IOException e) {
      throw new ProvisionException("cannot lock " + dir.resolve(LOCK_FILE) + ": " + e.getMessage(), e);
    } finally {
      jvmLock.unlock();
    }
  }

  private static FileAttribute<Set<PosixFilePermission>> fileMode() {
    return PosixFilePermissions.asFileAttribute(FILE_MODE);
  }

  private void writeAtomically(Path target, byte[] bytes) {
    ensureTempDir();
    Path tmp = writeTemporary(bytes, true);
    try {
      moveIntoPlace(tmp, target);
      syncDirectory();
    } finally {
      deleteTemporary(tmp);
    }
  }

  /** Creates {@code contexts/.tmp} when it is missing (removed by hand, or a read-only start). */
  private void ensureTempDir() {
    try {
      if (!Files.isDirectory(tempDir)) {
        Files.createDirectories(tempDir);
        Files.setPosixFilePermissions(tempDir, DIR_MODE);
      }
    } catch (IOException e) {
      throw new ProvisionException("cannot create " + tempDir + ": " + e.getMessage(), e);
    }
  }

  /** @return a new temporary file in {@code contexts/.tmp} holding the bytes, flushed to disk when asked */
  private Path writeTemporary(byte[] bytes, boolean force) {
    Path tmp = tempDir.resolve(HexFormat.of().formatHex(randomBytes()));
    try {
      try (FileChannel ch = FileChannel.open(tmp,
          Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), fileMode())) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        if (force) {
          ch.force(true);
        }
      }
      return tmp;
    } catch (FileAlreadyExistsException e) {
      throw new ProvisionException("temporary file " + tmp + " exists already", e);
    } catch (IOException e) {
      deleteTemporary(tmp);
      throw new ProvisionException("cannot write " + tmp + ": " + e.getMessage(), e);
    }
  }

  private void moveIntoPlace(Path tmp, Path target) {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new ProvisionException("the file system of " + dir + " cannot rename atomically", e);
    } catch (IOException e) {
      throw new ProvisionException("cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  private static void deleteTemporary(Path tmp) {
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException e) {
      LOG.warn("cannot remove temporary file {}: {}", tmp, e.getMessage());
    }
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return b;
  }

  private void syncDirectory() {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems cannot flush a directory; the rename itself is still atomic.
      LOG.debug("cannot flush directory {}: {}", dir, e.getMessage());
    }
  }

  /**
   * Removes temporary files left behind by processes that were killed while writing (in
   * {@code contexts/.tmp}, and {@code contexts/.tmp-*} of earlier versions). Safe to call at any
   * time: it takes the write lock.
   *
   * @return how many files were removed
   */
  public int removeStaleTemporaryFiles() {
    return locked(() -> {
      int n = 0;
      try {
        if (Files.isDirectory(tempDir)) {
          try (DirectoryStream<Path> ds = Files.newDirectoryStream(tempDir)) {
            for (Path f : ds) {
              n += Files.deleteIfExists(f) ? 1 : 0;
            }
          }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, OLD_TEMP_PREFIX + "*")) {
          for (Path f : ds) {
            n += Files.deleteIfExists(f) ? 1 : 0;
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return n;
    });
  }

  @Override
  public String toString() {
    return "FileContextRepository[" + dir + "]";
  }
}
