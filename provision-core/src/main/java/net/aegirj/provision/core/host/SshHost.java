package net.aegirj.provision.core.host;

import static net.aegirj.provision.core.host.SftpFiles.kind;
import static net.aegirj.provision.core.host.SftpFiles.lit;
import static net.aegirj.provision.core.host.SftpFiles.lstatOrNull;
import static net.aegirj.provision.core.host.SftpFiles.readOrNull;
import static net.aegirj.provision.core.host.SftpFiles.type;
import static net.aegirj.provision.core.host.SshExec.INTERNAL_TIMEOUT;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.SftpATTRS;
import com.jcraft.jsch.SftpException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import net.aegirj.provision.api.HostException;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.SyncResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A remote server over SSH (JSch). Key authentication only, against a fixed {@code known_hosts}
 * with strict host key checking. One SSH session per instance, opened on first use and reused:
 * commands run on exec channels, file operations share one SFTP channel. A dropped connection is
 * not re-established by itself: every later operation fails with "connection lost" until
 * {@link #reconnect()} is called (the task engine does that once before a rollback).
 *
 * <p>Commands are sent as one string in which every argument is single-quoted, so the remote
 * user's (POSIX) login shell passes them through literally. Files are written to a temporary name
 * in the same directory (created 0600, then given its mode and owner) and renamed over the target
 * with OpenSSH's {@code posix-rename}, so a target is never half-written. Owners and groups are
 * changed with {@code chown}/{@code chgrp} over exec, and set-id bits that SFTP does not set are
 * applied with {@code chmod}; uid and gid numbers are resolved with {@code getent}, once each.
 *
 * <p>Thread-safe: file operations are serialised on the SFTP channel; commands may run in
 * parallel (up to the server's {@code MaxSessions}).
 */
public final class SshHost implements Host {
  private static final Logger LOG = LoggerFactory.getLogger(SshHost.class);

  private final String name;
  private final SshConnection connection;
  private final SshExec exec;
  private final SshOwners owners;
  private final SftpFiles files;
  private final Object sftpLock = new Object();
  private final AtomicLong fileOperations = new AtomicLong();
  /** File operations by kind ("sftp stat", "sftp sync" …), for {@link #exchangesByKind}. */
  private final Map<String, LongAdder> fileOperationKinds = new ConcurrentHashMap<>();
  private final SshStateCache cache = new SshStateCache();
  private final String user;
  /** Changes held back during a batch; guarded by sftpLock. */
  private SshWriteBatch held = new SshWriteBatch();
  /** Whether writes are held back (between {@link #prefetch} and {@link #flush}); guarded by sftpLock. */
  private boolean holding;
  /** Why held-back changes were not applied, until {@link #flush} reports it; guarded by sftpLock. */
  private HostException heldFailure;

  /**
   * Describes the connection; nothing is opened until the first operation.
   *
   * @param name the host's name for messages, e.g. {@code @server_web1 (web1.example.com)}
   * @param address the address or DNS name to connect to
   * @param port the SSH port
   * @param user the remote user
   * @param identity the client's private key file (unencrypted; OpenSSH or PEM format)
   * @param knownHosts the {@code known_hosts} file that must hold the server's host key
   * @param connectTimeout how long connecting and opening a channel may take
   */
  public SshHost(String name, String address, int port, String user, Path identity, Path knownHosts,
      Duration connectTimeout) {
    this.name = Objects.requireNonNull(name, "name");
    Objects.requireNonNull(address, "address");
    this.user = Objects.requireNonNull(user, "user");
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(knownHosts, "knownHosts");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (address.isBlank() || user.isBlank()) {
      throw new IllegalArgumentException("address and user must not be blank");
    }
    if (connectTimeout.isNegative() || connectTimeout.isZero() || connectTimeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("connect timeout out of range: " + connectTimeout);
    }
    this.connection = new SshConnection(name, address, port, user, identity, knownHosts, connectTimeout);
    this.exec = new SshExec(name, connection);
    this.owners = new SshOwners(exec);
    this.files = new SftpFiles(name, connection, exec, owners);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean isLocal() {
    return false;
  }

  @Override
  public String toString() {
    return name;
  }

  @FunctionalInterface
  private interface SftpAction<T> {
    T apply(ChannelSftp c) throws SftpException, IOException;
  }

  private <T> T withSftp(String op, SftpAction<T> action) {
    synchronized (sftpLock) {
      applyHeld();
      countFileOperations(op, 1);
      ChannelSftp c = connection.sftp(op);
      try {
        return action.apply(c);
      } catch (SftpException | IOException e) {
        throw failure(op, e);
      } catch (HostException | IllegalArgumentException e) {
        throw e;
      } catch (RuntimeException e) {
        if (connection.connectionGone(e)) {
          connection.markLost();
          throw connection.lostException(op, e);
        }
        throw e;
      }
    }
  }

  private HostException failure(String op, Exception e) {
    if (connection.connectionGone(e)) {
      connection.markLost();
      return connection.lostException(op, e);
    }
    return new HostException(name, "cannot " + op + ": " + describe(e), e);
  }

  private static String describe(Exception e) {
    if (e instanceof SftpException s) {
      String m = s.getMessage();
      return switch (s.id) {
        case ChannelSftp.SSH_FX_NO_SUCH_FILE -> "no such file or directory";
        case ChannelSftp.SSH_FX_PERMISSION_DENIED -> "permission denied";
        default -> (m == null || m.isBlank() ? "failure" : m) + " (SFTP status " + s.id + ")";
      };
    }
    return String.valueOf(e.getMessage());
  }

  /**
   * What this host has cost on the wire so far.
   *
   * @param connections SSH connections opened (one unless the connection was re-established)
   * @param commands commands run (one exec channel each)
   * @param fileOperations SFTP operations (a stat, a read, a write with its rename, one batch
   *     of a sync); each is one or a few request-reply exchanges
   */
  public record Statistics(int connections, long commands, long fileOperations) {
    /** @return commands and file operations together: the exchanges that waited for the server */
    public long exchanges() {
      return commands + fileOperations;
    }
  }

  /** @return the counts so far */
  public Statistics statistics() {
    return new Statistics(connection.connections(), exec.commands(), fileOperations.get());
  }

  private void countFileOperations(String op, long n) {
    if (n > 0) {
      fileOperations.addAndGet(n);
      fileOperationKinds.computeIfAbsent("sftp " + SshExec.kindOf(op), k -> new LongAdder()).add(n);
    }
  }

  /**
   * The exchanges so far by kind, for finding what a batch still asks per site: {@code command
   * <first word>} for commands (a digit run in the first two words reads {@code N}, so {@code
   * command probe N} and {@code command apply N} are the batch's probe and its held-back changes)
   * and {@code sftp <operation>} for file operations ({@code sftp stat}, {@code sftp sync} …).
   *
   * @return kind to count, sorted by kind; the counts add up to {@link Statistics#exchanges()}
   */
  public SortedMap<String, Long> exchangesByKind() {
    SortedMap<String, Long> out = new TreeMap<>(exec.kinds());
    fileOperationKinds.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /**
   * After a lost connection: what was held back is dropped and {@link #flush} reports it, so the
   * batch fails and its tasks are undone; nothing gathered is trusted any more.
   */
  @Override
  public boolean reconnect() {
    boolean lost = connection.reconnect();
    if (lost) {
      synchronized (sftpLock) {
        if (!held.isEmpty() && heldFailure == null) {
          heldFailure = new HostException(name, held.size() + " held-back change(s) were lost with the connection");
        }
        held = new SshWriteBatch();
        holding = false;
        cache.clear();
      }
    }
    return lost;
  }

  @Override
  public void close() {
    synchronized (sftpLock) {
      try {
        flush();
      } catch (HostException e) {
        LOG.error("{}: closing: {}", name, e.getMessage());
      }
      cache.clear();
    }
    connection.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Held-back changes

  /**
   * Applies the writes and directories held back since {@link #prefetch} with one command
   * ({@link SshWriteBatch}) and stops holding changes back.
   *
   * @throws HostException when they, or an earlier application of held-back changes, failed
   */
  @Override
  public void flush() {
    synchronized (sftpLock) {
      holding = false;
      HostException earlier = heldFailure;
      heldFailure = null;
      applyHeld();
      if (earlier != null) {
        throw new HostException(name, "changes held back for the batch were not applied: " + earlier.getMessage(),
            earlier);
      }
    }
  }

  /** Applies what is held back, if anything; called under sftpLock before any other exchange. */
  private void applyHeld() {
    if (held.isEmpty()) {
      return;
    }
    SshWriteBatch b = held;
    held = new SshWriteBatch();
    String what = "apply " + b.size() + " held-back change(s) (" + b.targets().get(0)
        + (b.size() > 1 ? ", …" : "") + ")";
    HostException failure;
    try {
      CommandResult r = exec.run(b.command());
      if (r.succeeded()) {
        LOG.debug("{}: applied {} held-back change(s) in one command", name, b.size());
        return;
      }
      failure = new HostException(name, "cannot " + what + ": the command exited with status " + r.exitCode()
          + (r.stderrTail().isBlank() ? "" : ": " + r.stderrTail().strip()));
    } catch (HostException e) {
      failure = new HostException(name, "cannot " + what + ": " + e.getMessage(), e);
    }
    heldFailure = failure;
    holding = false;
    cache.clear(); // what is there now is unknown
    throw failure;
  }

  /**
   * @return the group a new entry in {@code parent} gets: the directory's when it is
   *     set-group-id, else the user's primary group; empty when unknown
   */
  private Optional<String> newEntryGroup(String parent) {
    return cache.knownInfo(parent).flatMap(this::newEntryGroup);
  }

  private Optional<String> newEntryGroup(FileInfo dir) {
    return (dir.permissions() & 02000) != 0 ? Optional.of(dir.group()) : cache.group();
  }

  /** @return whether a write of this size to this path is held back for the batch (under sftpLock) */
  private boolean holdWrite(String p, Path path, byte[] bytes, FileMode mode) {
    if (!holding || bytes.length > SshProbe.HASHED_SIZE) {
      return false;
    }
    SshStateCache.Lookup l = cache.lookup(p);
    boolean fileOrNothing = l.known() == SshStateCache.Known.ABSENT
        || (l.known() == SshStateCache.Known.PRESENT && l.entry().info().type() == FileInfo.Type.FILE);
    String parent = path.getParent().toString();
    Optional<String> group = mode.group().or(() -> newEntryGroup(parent));
    if (!fileOrNothing || !cache.knownDirectory(parent) || group.isEmpty()) {
      return false;
    }
    // The group is set explicitly: the new file's directory may itself be held back, not yet set-group-id.
    held.file(p, SftpFiles.tempName(path), bytes, mode.withGroup(group.get()));
    String hash = sha256(bytes);
    cache.put(p, new SshProbe.Entry(new FileInfo(FileInfo.Type.FILE, mode.permissions(), mode.owner().orElse(user),
        group.get(), bytes.length, Optional.empty()), null, hash));
    cache.remember(p, bytes, hash);
    if (held.full()) {
      applyHeld();
    }
    return true;
  }

  /** @return whether creating or changing this directory is held back for the batch (under sftpLock) */
  private boolean holdDirectory(String p, Path dir, FileMode mode) {
    if (!holding) {
      return false;
    }
    SshStateCache.Lookup l = cache.lookup(p);
    if (l.known() == SshStateCache.Known.PRESENT) {
      FileInfo was = l.entry().info();
      if (was.type() != FileInfo.Type.DIRECTORY) {
        return false;
      }
      held.directory(p, mode, false);
      cache.put(p, new SshProbe.Entry(new FileInfo(FileInfo.Type.DIRECTORY, mode.permissions(),
          mode.owner().orElse(was.owner()), mode.group().orElse(was.group()), was.size(), Optional.empty()), null, null));
      return true;
    }
    List<Path> missing = new ArrayList<>();
    Path q = dir;
    for (; q != null && cache.lookup(q.toString()).known() == SshStateCache.Known.ABSENT; q = q.getParent()) {
      missing.add(0, q);
    }
    if (missing.isEmpty() || q == null || !cache.knownDirectory(q.toString())) {
      return false;
    }
    FileInfo parentInfo = cache.knownInfo(q.toString()).orElseThrow();
    List<SshProbe.Entry> made = new ArrayList<>();
    for (Path m : missing) {
      FileMode want = m.equals(dir) ? mode : FileMode.of(0755);
      FileInfo above = parentInfo;
      Optional<String> group = want.group().or(() -> newEntryGroup(above));
      if (group.isEmpty()) {
        return false;
      }
      parentInfo = new FileInfo(FileInfo.Type.DIRECTORY, want.permissions(), want.owner().orElse(user), group.get(),
          4096, Optional.empty());
      made.add(new SshProbe.Entry(parentInfo, null, null));
    }
    for (int k = 0; k < missing.size(); k++) {
      cache.put(missing.get(k).toString(), made.get(k));
    }
    for (int k = 0; k < missing.size(); k++) {
      FileMode want = missing.get(k).equals(dir) ? mode : FileMode.of(0755);
      held.directory(missing.get(k).toString(), want.withGroup(made.get(k).info().group()), true);
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Prefetch

  /**
   * Gathers the state of the trees under the roots with one command ({@link SshProbe}): type,
   * mode, owner, group, size and modification time of every entry, and the SHA-256 of regular
   * files up to {@value SshProbe#HASHED_SIZE} bytes. Until this host runs a command, reconnects or
   * closes, {@link #stat}, {@link #contentEquals}, {@link #write}, {@link #mkdirs},
   * {@link #symlink}, {@link #remove} and {@link #sync} answer from it where it covers the path
   * and the host has not changed the path since; a path the host changes is asked again.
   *
   * @throws HostException when the command fails or prints anything out of shape (nothing is
   *     kept then)
   */
  @Override
  public void prefetch(Collection<Path> roots) {
    Set<String> asked = new TreeSet<>();
    for (Path r : roots) {
      if (check(r).equals("/")) {
        throw new IllegalArgumentException("refusing to probe /");
      }
      asked.add(r.toString());
    }
    asked.removeIf(r -> {
      for (String up = SshProbe.parentOf(r); !up.equals("/"); up = SshProbe.parentOf(up)) {
        if (asked.contains(up)) {
          return true; // inside another root: listed with it
        }
      }
      return false;
    });
    synchronized (sftpLock) {
      applyHeld();
      holding = false;
    }
    cache.clear();
    if (asked.isEmpty()) {
      return;
    }
    SshProbe.Bounded out = new SshProbe.Bounded();
    CommandResult r = exec.run(SshProbe.command(asked), out);
    String what = "gather the state of " + asked.size() + " path(s)";
    if (!r.succeeded()) {
      throw new HostException(name, "cannot " + what + ": the probe exited with status " + r.exitCode()
          + (r.stderrTail().isBlank() ? "" : ": " + r.stderrTail().strip()));
    }
    if (out.overflowed()) {
      throw new HostException(name, "cannot " + what + ": the probe printed more than " + SshProbe.MAX_OUTPUT
          + " bytes");
    }
    try {
      cache.load(SshProbe.parse(out.toByteArray(), asked));
    } catch (IllegalArgumentException e) {
      throw new HostException(name, "cannot " + what + ": refusing the probe's output: " + e.getMessage(), e);
    }
    synchronized (sftpLock) {
      holding = true;
    }
    LOG.debug("{}: gathered the state of {} path(s) in one command", name, asked.size());
  }

  @Override
  public boolean contentEquals(Path path, byte[] content) {
    SshStateCache.Lookup l = cache.lookup(check(path));
    if (l.known() == SshStateCache.Known.ABSENT) {
      return false;
    }
    if (l.known() == SshStateCache.Known.PRESENT && l.entry().info().type() != FileInfo.Type.FILE) {
      return false;
    }
    if (l.known() == SshStateCache.Known.PRESENT && l.entry().sha256() != null) {
      return l.entry().info().size() == content.length && l.entry().sha256().equals(sha256(content));
    }
    return Host.super.contentEquals(path, content);
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Paths and attributes

  private static String check(Path path) {
    Objects.requireNonNull(path, "path");
    if (!path.isAbsolute() || !path.normalize().equals(path)) {
      throw new IllegalArgumentException("not an absolute, normalised path: " + path);
    }
    return path.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Host

  @Override
  public Optional<FileInfo> stat(Path path) {
    String p = check(path);
    SshStateCache.Lookup l = cache.lookup(p);
    if (l.known() != SshStateCache.Known.UNKNOWN) {
      return l.known() == SshStateCache.Known.ABSENT ? Optional.empty() : Optional.of(l.entry().info());
    }
    Optional<FileInfo> parent = cache.knownInfo(p); // the parent of a probed root (a platform's sites/, say)
    if (parent.isPresent()) {
      return parent;
    }
    return withSftp("stat " + p, c -> {
      SftpATTRS a = lstatOrNull(c, p);
      if (a == null) {
        return Optional.empty();
      }
      Optional<String> target = a.isLink() ? Optional.of(c.readlink(lit(p))) : Optional.empty();
      return Optional.of(new FileInfo(type(a), a.getPermissions() & 07777, owners.userName(a.getUId()),
          owners.groupName(a.getGId()), a.getSize(), target));
    });
  }

  @Override
  public Optional<byte[]> read(Path path) {
    String p = check(path);
    if (cache.lookup(p).known() == SshStateCache.Known.ABSENT) {
      return Optional.empty();
    }
    Optional<byte[]> known = cache.content(p);
    if (known.isPresent()) {
      return known;
    }
    Optional<byte[]> got = withSftp("read " + p, c -> readOrNull(c, p));
    got.ifPresent(b -> cache.remember(p, b, sha256(b)));
    return got;
  }

  @Override
  public boolean write(Path path, byte[] content, FileMode mode) {
    String p = check(path);
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(mode, "mode");
    if (path.getParent() == null) {
      throw new IllegalArgumentException("not a file path: " + path);
    }
    byte[] bytes = content.clone();
    SshStateCache.Lookup l = cache.lookup(p);
    if (l.known() == SshStateCache.Known.PRESENT && l.entry().info().type() == FileInfo.Type.FILE
        && l.entry().info().matches(mode) && contentEquals(path, bytes)) {
      return false;
    }
    synchronized (sftpLock) {
      if (holdWrite(p, path, bytes, mode)) {
        LOG.debug("{}: holding back {} ({} bytes, {})", name, p, bytes.length, mode);
        return true;
      }
    }
    cache.forget(p);
    return withSftp("write " + p, c -> {
      SftpATTRS a = lstatOrNull(c, p);
      if (a != null && !a.isReg()) {
        throw new HostException(name, "cannot write " + p + ": it is a " + kind(a));
      }
      if (a != null && a.getSize() == bytes.length
          && readOrNull(c, p).map(b -> Arrays.equals(b, bytes)).orElse(false)) {
        boolean changed = files.applyMode(c, p, mode, a);
        if (changed) {
          LOG.debug("{}: set {} on {}", name, mode, p);
        }
        return changed;
      }
      files.putViaTemp(c, path, () -> new ByteArrayInputStream(bytes), mode);
      LOG.debug("{}: wrote {} ({} bytes, {})", name, p, bytes.length, mode);
      return true;
    });
  }

  @Override
  public boolean mkdirs(Path dir, FileMode mode) {
    String p = check(dir);
    Objects.requireNonNull(mode, "mode");
    SshStateCache.Lookup l = cache.lookup(p);
    if (l.known() == SshStateCache.Known.PRESENT && l.entry().info().type() == FileInfo.Type.DIRECTORY
        && l.entry().info().matches(mode)) {
      return false;
    }
    synchronized (sftpLock) {
      if (holdDirectory(p, dir, mode)) {
        LOG.debug("{}: holding back directory {} ({})", name, p, mode);
        return true;
      }
    }
    cache.forget(p);
    return withSftp("create directory " + p, c -> files.mkdirs(c, dir, mode));
  }

  @Override
  public boolean symlink(Path link, String target) {
    String p = check(link);
    Objects.requireNonNull(target, "target");
    if (target.isEmpty() || target.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not a link target: '" + target + "'");
    }
    SshStateCache.Lookup l = cache.lookup(p);
    if (l.known() == SshStateCache.Known.PRESENT && l.entry().info().linkTarget().filter(target::equals).isPresent()) {
      return false;
    }
    cache.forget(p);
    return withSftp("link " + p, c -> {
      SftpATTRS a = lstatOrNull(c, p);
      if (a != null) {
        if (a.isLink() && target.equals(c.readlink(lit(p)))) {
          return false;
        }
        if (a.isDir()) {
          throw new HostException(name, "cannot link " + p + ": a directory is in the way");
        }
      }
      files.linkViaTemp(c, link, target);
      LOG.debug("{}: linked {} -> {}", name, p, target);
      return true;
    });
  }

  @Override
  public boolean remove(Path path) {
    String p = check(path);
    if (path.getNameCount() == 0) {
      throw new IllegalArgumentException("refusing to remove /");
    }
    if (cache.lookup(p).known() == SshStateCache.Known.ABSENT) {
      return false;
    }
    cache.forgetTree(p);
    return withSftp("remove " + p, c -> {
      SftpATTRS a = lstatOrNull(c, p);
      if (a == null) {
        return false;
      }
      if (a.isDir()) {
        exec.check(List.of("rm", "-rf", "--", p), "remove " + p);
      } else {
        c.rm(lit(p));
      }
      LOG.debug("{}: removed {}", name, p);
      return true;
    });
  }

  @Override
  public boolean rename(Path from, Path to) {
    String f = check(from);
    String t = check(to);
    cache.forgetTree(f);
    cache.forgetTree(t);
    return withSftp("rename " + f, c -> {
      if (lstatOrNull(c, f) == null) {
        return false;
      }
      if (lstatOrNull(c, t) != null) {
        throw new HostException(name, "cannot rename " + f + " to " + t + ": the target exists");
      }
      c.rename(lit(f), lit(t));
      return true;
    });
  }

  @Override
  public List<String> list(Path dir) {
    String p = check(dir);
    return withSftp("list " + p, c -> {
      SftpATTRS a = lstatOrNull(c, p);
      if (a == null || !a.isDir()) {
        return List.of();
      }
      List<String> names = new ArrayList<>();
      for (ChannelSftp.LsEntry e : c.ls(lit(p))) {
        String n = e.getFilename();
        if (!n.equals(".") && !n.equals("..")) {
          names.add(n);
        }
      }
      names.sort(null);
      return List.copyOf(names);
    });
  }

  @Override
  public CommandResult run(Command command) {
    if (!command.touchesFiles()) {
      return exec.run(command); // what was gathered and what is held back stay as they are
    }
    synchronized (sftpLock) {
      applyHeld();
    }
    cache.clear(); // a command may change anything
    return exec.run(command);
  }

  // ---------------------------------------------------------------------------------------------
  // Sync

  @Override
  public SyncResult sync(Path dir, Set<String> excludes) {
    String p = checkTree(dir, excludes, "sync");
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("not a local directory: " + dir);
    }
    SyncExcludes glob = new SyncExcludes(excludes);
    SortedMap<String, SshSyncPlan.Local> local;
    try {
      local = SshSyncPlan.scanLocal(dir, glob);
    } catch (IOException | UncheckedIOException e) {
      throw new HostException(name, "cannot sync " + p + ": cannot read the local tree: " + e.getMessage(), e);
    }
    int trips = 0;
    Set<String> localFiles = new TreeSet<>();
    local.forEach((rel, l) -> {
      if (l.type() == 'f') {
        localFiles.add(rel);
      }
    });
    Optional<SshSyncPlan.Listing> known = cache.listing(p, glob.prunable(), localFiles);
    SshSyncPlan.Plan plan;
    try {
      SshSyncPlan.Listing remote;
      if (known.isPresent()) {
        remote = known.get();
      } else {
        remote = SshSyncPlan.parse(listRemote(dir, glob, local, "sync"));
        trips++;
      }
      plan = SshSyncPlan.plan(local, remote, glob);
    } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
      throw new HostException(name, "cannot sync " + p + ": " + e.getMessage(), e);
    }
    boolean sftpWork = plan.createRoot || plan.chmodRoot != null || !plan.mkdirs.isEmpty() || !plan.uploads.isEmpty()
        || !plan.links.isEmpty() || !plan.chmods.isEmpty();
    if (!plan.removeTop.isEmpty() || sftpWork) {
      cache.forgetTree(p);
    }
    if (!plan.removeTop.isEmpty()) {
      StringBuilder in = new StringBuilder();
      for (String rel : plan.removeTop) {
        in.append(p).append('/').append(rel).append('\0');
      }
      synchronized (sftpLock) {
        applyHeld();
      }
      CommandResult rm = exec.run(Command.of("xargs", "-0", "-r", "rm", "-rf", "--")
          .withStdin(in.toString().getBytes(StandardCharsets.UTF_8)).withTimeout(INTERNAL_TIMEOUT)
          .withDisplay("rm -rf " + plan.removeTop.size() + " path(s) under " + p));
      trips++;
      if (!rm.succeeded()) {
        throw new HostException(name, "cannot sync " + p + ": removing " + plan.removeTop.size()
            + " path(s) failed: " + rm.stderrTail().strip());
      }
    }
    if (sftpWork) {
      // Only when there is something to send: taking the SFTP channel applies what is held back
      // first, and a sync that finds everything in place (what the batch holds back included)
      // must not cost the batch an exchange per site.
      int sent = withSftp("sync " + p, c -> apply(c, dir, local, plan));
      countFileOperations("sync", Math.max(0, sent - 1)); // one per created directory, upload, link, chmod
      trips += sent;
    }
    LOG.debug("{}: synced {}: {} added, {} changed, {} deleted, {} round trips", name, p, plan.added.size(),
        plan.changed.size(), plan.deleted.size(), trips);
    return new SyncResult(List.copyOf(plan.added), List.copyOf(plan.changed), List.copyOf(plan.deleted), trips);
  }

  /**
   * Lists the remote tree for a sync or a fetch: a read-only command, which leaves what
   * {@link #prefetch} gathered valid.
   *
   * @return the listing's output
   */
  private String listRemote(Path dir, SyncExcludes glob, SortedMap<String, SshSyncPlan.Local> local, String verb) {
    synchronized (sftpLock) {
      applyHeld();
    }
    CommandResult listed = exec.run(SshSyncPlan.listCommand(dir, glob, local));
    if (!listed.succeeded()) {
      throw new HostException(name, "cannot " + verb + " " + dir + ": listing the remote tree failed with status "
          + listed.exitCode() + (listed.stderrTail().isBlank() ? "" : ": " + listed.stderrTail().strip()));
    }
    return listed.stdout();
  }

  /** @return the remote path of a tree to sync or fetch, checked (never {@code /}) */
  private String checkTree(Path dir, Set<String> excludes, String verb) {
    String p = check(dir);
    Objects.requireNonNull(excludes, "excludes");
    if (dir.getNameCount() == 0) {
      throw new IllegalArgumentException("refusing to " + verb + " /");
    }
    return p;
  }

  @Override
  public SyncResult fetch(Path dir, Set<String> excludes) {
    String p = checkTree(dir, excludes, "fetch");
    SyncExcludes glob = new SyncExcludes(excludes);
    SortedMap<String, SshSyncPlan.Local> local;
    try {
      local = Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) ? SshSyncPlan.scanLocal(dir, glob)
          : new TreeMap<>();
    } catch (IOException | UncheckedIOException e) {
      throw new HostException(name, "cannot fetch " + p + ": cannot read the local tree: " + e.getMessage(), e);
    }
    String listed = listRemote(dir, glob, local, "fetch");
    int trips = 1;
    SshSyncPlan.Listing remote;
    try {
      remote = SshSyncPlan.parse(listed);
    } catch (IllegalArgumentException e) {
      throw new HostException(name, "cannot fetch " + p + ": " + e.getMessage(), e);
    }
    if (!remote.exists() || !remote.entries().containsKey("")) {
      return new SyncResult(List.of(), List.of(), List.of(), trips);
    }
    SshFetch fetch = new SshFetch(dir, local, remote, glob);
    try {
      fetch.removeStale();
      int got = withSftp("fetch " + p, fetch::download);
      countFileOperations("fetch", Math.max(0, got - 1)); // one per downloaded file
      trips += got;
    } catch (IOException | UncheckedIOException e) {
      throw new HostException(name, "cannot fetch " + p + ": " + e.getMessage(), e);
    }
    LOG.debug("{}: fetched {}: {} added, {} changed, {} deleted, {} round trips", name, p, fetch.added.size(),
        fetch.changed.size(), fetch.deleted.size(), trips);
    return new SyncResult(List.copyOf(fetch.added), List.copyOf(fetch.changed), List.copyOf(fetch.deleted), trips);
  }

  /** Carries out the SFTP part of a plan. @return the request batches sent */
  private int apply(ChannelSftp c, Path dir, SortedMap<String, SshSyncPlan.Local> local, SshSyncPlan.Plan plan)
      throws SftpException, IOException {
    int trips = 0;
    String p = dir.toString();
    if (plan.createRoot) {
      files.mkdirs(c, dir, FileMode.of(plan.rootMode));
      trips++;
    } else if (plan.chmodRoot != null) {
      files.setPermissions(c, p, plan.chmodRoot);
      trips++;
    }
    for (Map.Entry<String, Integer> e : plan.mkdirs.entrySet()) {
      String d = p + "/" + e.getKey();
      c.mkdir(d);
      files.setPermissions(c, d, e.getValue());
      trips++;
    }
    for (String rel : plan.uploads) {
      SshSyncPlan.Local l = local.get(rel);
      files.putViaTemp(c, dir.resolve(rel), () -> Files.newInputStream(l.file()), FileMode.of(l.mode()));
      trips++;
    }
    for (Map.Entry<String, String> e : plan.links.entrySet()) {
      files.linkViaTemp(c, dir.resolve(e.getKey()), e.getValue());
      trips++;
    }
    for (Map.Entry<String, Integer> e : plan.chmods.entrySet()) {
      files.setPermissions(c, p + "/" + e.getKey(), e.getValue());
      trips++;
    }
    return trips;
  }
}
