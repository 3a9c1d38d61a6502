package net.aegirj.provision.core.host;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.HostKey;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchChangedHostKeyException;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.JSchHostKeyException;
import com.jcraft.jsch.JSchUnknownHostKeyException;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.SftpATTRS;
import com.jcraft.jsch.SftpException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import net.aegirj.provision.api.HostCommandException;
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
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration INTERNAL_TIMEOUT = Duration.ofMinutes(5);

  private final String name;
  private final String address;
  private final int port;
  private final String user;
  private final Path identity;
  private final Path knownHosts;
  private final Duration connectTimeout;

  private final Object connLock = new Object();
  private final Object sftpLock = new Object();
  private Session session; // guarded by connLock
  private volatile ChannelSftp sftp; // used under sftpLock
  private boolean lost; // guarded by connLock
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicLong commands = new AtomicLong();
  private final AtomicLong fileOperations = new AtomicLong();
  private boolean closed; // guarded by connLock
  private final Map<Integer, String> userNames = new ConcurrentHashMap<>();
  private final Map<Integer, String> groupNames = new ConcurrentHashMap<>();

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
    this.address = Objects.requireNonNull(address, "address");
    this.user = Objects.requireNonNull(user, "user");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.knownHosts = Objects.requireNonNull(knownHosts, "knownHosts");
    this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (address.isBlank() || user.isBlank()) {
      throw new IllegalArgumentException("address and user must not be blank");
    }
    if (connectTimeout.isNegative() || connectTimeout.isZero() || connectTimeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("connect timeout out of range: " + connectTimeout);
    }
    this.port = port;
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

  // ---------------------------------------------------------------------------------------------
  // Connection

  private String endpoint() {
    return user + "@" + address + ":" + port;
  }

  private String keyscan() {
    return "ssh-keyscan -p " + port + " " + address + " >> " + knownHosts;
  }

  private String hostPattern() {
    return port == 22 ? address : "[" + address + "]:" + port;
  }

  private int connectMillis() {
    return (int) connectTimeout.toMillis();
  }

  /** @return the open session, connecting on first use */
  private Session session(String op) {
    synchronized (connLock) {
      if (closed) {
        throw new HostException(name, "cannot " + op + ": the connection has been closed");
      }
      if (lost) {
        throw lostException(op, null);
      }
      if (session == null) {
        session = connect(op);
        return session;
      }
      if (!session.isConnected()) {
        markLost();
        throw lostException(op, null);
      }
      return session;
    }
  }

  private HostException lostException(String op, Throwable cause) {
    return new HostException(name, "connection lost while trying to " + op + " (SSH to " + endpoint()
        + "); it is not re-established automatically", cause);
  }

  private void markLost() {
    synchronized (connLock) {
      if (!lost && !closed) {
        LOG.debug("{}: SSH connection to {} lost", name, endpoint());
      }
      lost = true;
      ChannelSftp c = sftp;
      sftp = null;
      if (c != null) {
        c.disconnect();
      }
      if (session != null) {
        session.disconnect();
      }
    }
  }

  private Session connect(String op) {
    connections.incrementAndGet();
    if (!Files.isRegularFile(knownHosts)) {
      throw new HostException(name, "cannot " + op + ": known_hosts file " + knownHosts
          + " does not exist; add the server's host key with: " + keyscan());
    }
    if (!Files.isReadable(identity)) {
      throw new HostException(name, "cannot " + op + ": identity file " + identity + " is missing or unreadable");
    }
    JSch jsch = new JSch();
    Session s;
    try {
      jsch.setKnownHosts(knownHosts.toString());
    } catch (JSchException e) {
      throw new HostException(name, "cannot read known_hosts file " + knownHosts + ": " + e.getMessage(), e);
    }
    try {
      jsch.addIdentity(identity.toString());
    } catch (JSchException e) {
      // JSch's message may quote the key: leave it out.
      throw new HostException(name, "cannot use identity file " + identity
          + ": not an unencrypted private key JSch can read (passphrases are not supported)");
    }
    try {
      s = jsch.getSession(user, address, port);
      s.setConfig("StrictHostKeyChecking", "yes");
      s.setConfig("HashKnownHosts", "no");
      s.setConfig("PreferredAuthentications", "publickey");
      s.setServerAliveInterval((int) Math.max(15_000, connectTimeout.toMillis()));
      s.setServerAliveCountMax(4);
      s.setDaemonThread(true);
    } catch (JSchException e) {
      throw new HostException(name, "cannot set up SSH to " + endpoint() + ": " + e.getMessage(), e);
    }
    LOG.debug("{}: connecting to {}", name, endpoint());
    try {
      s.connect(connectMillis());
    } catch (JSchUnknownHostKeyException e) {
      throw new HostException(name, "the host key of " + hostPattern() + fingerprint(jsch, s)
          + " is not in " + knownHosts + "; if it is the server's key, add it with: " + keyscan(), e);
    } catch (JSchChangedHostKeyException e) {
      throw new HostException(name, "the host key of " + hostPattern() + " has CHANGED" + fingerprint(jsch, s)
          + " and does not match " + knownHosts + " (someone may be intercepting the connection); if the"
          + " change is expected, remove the old key with: ssh-keygen -R '" + hostPattern() + "' -f "
          + knownHosts + ", then add the new one with: " + keyscan(), e);
    } catch (JSchHostKeyException e) {
      throw new HostException(name, "the host key of " + hostPattern() + fingerprint(jsch, s)
          + " is rejected by " + knownHosts + ": " + e.getMessage(), e);
    } catch (JSchException e) {
      throw new HostException(name, connectFailure(e), e);
    }
    LOG.debug("{}: connected to {} ({})", name, endpoint(), s.getServerVersion());
    return s;
  }

  private static String fingerprint(JSch jsch, Session s) {
    HostKey k = s.getHostKey();
    if (k == null) {
      return "";
    }
    try {
      return " (" + k.getType() + " " + k.getFingerPrint(jsch) + ")";
    } catch (RuntimeException e) {
      return "";
    }
  }

  private String connectFailure(JSchException e) {
    String m = String.valueOf(e.getMessage());
    if (m.startsWith("Auth fail") || m.startsWith("Auth cancel")) {
      return "authentication as " + user + " at " + address + ":" + port + " failed with the key "
          + identity + " (publickey only): is its public key in " + user + "'s authorized_keys?";
    }
    Throwable c = e.getCause();
    if (c instanceof ConnectException || c instanceof NoRouteToHostException) {
      return "cannot connect to " + address + ":" + port + ": " + c.getMessage();
    }
    if (c instanceof UnknownHostException) {
      return "cannot connect to " + address + ":" + port + ": unknown host";
    }
    if (c instanceof SocketTimeoutException || m.contains("timeout")) {
      return "cannot connect to " + address + ":" + port + ": timed out after " + seconds(connectTimeout);
    }
    return "cannot connect to " + endpoint() + ": " + m;
  }

  /** @return whether a failure means the SSH connection is gone */
  private boolean connectionGone(Throwable e) {
    Session s;
    synchronized (connLock) {
      s = session;
    }
    if (s == null) {
      return false;
    }
    if (!s.isConnected()) {
      return true;
    }
    ChannelSftp c = sftp;
    if (c != null && c.isClosed()) {
      return true;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SocketException || t instanceof EOFException) {
        return true;
      }
      String m = t.getMessage();
      if (m != null && (m.contains("session is down") || m.contains("inputstream is closed")
          || m.contains("Pipe closed") || m.contains("channel is not opened")
          || m.contains("channel is broken") || m.contains("is not connected"))) {
        return true;
      }
    }
    return false;
  }

  /** @return the SFTP channel, opening it on first use */
  private ChannelSftp sftp(String op) {
    Session s = session(op);
    ChannelSftp c = sftp;
    if (c != null && c.isConnected() && !c.isClosed()) {
      return c;
    }
    if (c != null) {
      markLost();
      throw lostException(op, null);
    }
    try {
      c = (ChannelSftp) s.openChannel("sftp");
      c.connect(connectMillis());
    } catch (JSchException e) {
      if (connectionGone(e)) {
        markLost();
        throw lostException(op, e);
      }
      throw new HostException(name, "cannot " + op + ": cannot open an SFTP channel: " + e.getMessage(), e);
    }
    sftp = c;
    LOG.debug("{}: SFTP channel open (posix-rename: {})", name, c.getExtension("posix-rename@openssh.com"));
    return c;
  }

  @FunctionalInterface
  private interface SftpAction<T> {
    T apply(ChannelSftp c) throws SftpException, IOException;
  }

  private <T> T withSftp(String op, SftpAction<T> action) {
    fileOperations.incrementAndGet();
    synchronized (sftpLock) {
      ChannelSftp c = sftp(op);
      try {
        return action.apply(c);
      } catch (SftpException | IOException e) {
        throw failure(op, e);
      } catch (HostException | IllegalArgumentException e) {
        throw e;
      } catch (RuntimeException e) {
        if (connectionGone(e)) {
          markLost();
          throw lostException(op, e);
        }
        throw e;
      }
    }
  }

  private HostException failure(String op, Exception e) {
    if (connectionGone(e)) {
      markLost();
      return lostException(op, e);
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
    return new Statistics(connections.get(), commands.get(), fileOperations.get());
  }

  @Override
  public boolean reconnect() {
    synchronized (connLock) {
      if (closed || !lost) {
        return false;
      }
      lost = false;
      sftp = null;
      session = null;
      LOG.debug("{}: will reconnect to {}", name, endpoint());
      return true;
    }
  }

  @Override
  public void close() {
    synchronized (connLock) {
      if (closed) {
        return;
      }
      closed = true;
      ChannelSftp c = sftp;
      sftp = null;
      if (c != null) {
        c.disconnect();
      }
      if (session != null) {
        session.disconnect();
        LOG.debug("{}: disconnected from {}", name, endpoint());
      }
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

  private static String lit(String path) {
    return SshShell.sftpLiteral(path);
  }

  private static SftpATTRS lstatOrNull(ChannelSftp c, String p) throws SftpException {
    try {
      return c.lstat(lit(p));
    } catch (SftpException e) {
      if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE) {
        return null;
      }
      throw e;
    }
  }

  private static FileInfo.Type type(SftpATTRS a) {
    return a.isLink() ? FileInfo.Type.SYMLINK
        : a.isDir() ? FileInfo.Type.DIRECTORY
        : a.isReg() ? FileInfo.Type.FILE : FileInfo.Type.OTHER;
  }

  private static String kind(SftpATTRS a) {
    return type(a).name().toLowerCase(Locale.ROOT);
  }

  private static String octal(int mode) {
    return String.format("%04o", mode);
  }

  private static String tempName(Path path) {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    String base = path.getFileName().toString();
    if (base.length() > 80) {
      base = base.substring(0, 80); // stay within NAME_MAX
    }
    return path.resolveSibling("." + base + ".tmp-" + HexFormat.of().formatHex(b)).toString();
  }

  private String userName(int uid) {
    return lookup(userNames, "passwd", uid);
  }

  private String groupName(int gid) {
    return lookup(groupNames, "group", gid);
  }

  private String lookup(Map<Integer, String> cache, String db, int id) {
    String n = cache.get(id);
    if (n != null) {
      return n;
    }
    CommandResult r = run(Command.of("getent", db, Integer.toString(id)).withTimeout(INTERNAL_TIMEOUT));
    String line = r.stdout().strip();
    n = r.succeeded() && line.indexOf(':') > 0 ? line.substring(0, line.indexOf(':')) : Integer.toString(id);
    cache.put(id, n);
    return n;
  }

  private void exec(List<String> argv, String what) {
    CommandResult r = run(Command.of(argv).withTimeout(INTERNAL_TIMEOUT));
    if (!r.succeeded()) {
      throw new HostException(name, "cannot " + what + ": " + String.join(" ", argv) + " exited with status "
          + r.exitCode() + (r.stderrTail().isBlank() ? "" : ": " + r.stderrTail().strip()));
    }
  }

  /**
   * Gives a file or directory the mode: owner and group first (chown clears set-id bits), then
   * the permissions, checking that set-id bits really stuck.
   */
  private boolean applyMode(ChannelSftp c, String p, FileMode mode, SftpATTRS a) throws SftpException {
    boolean changed = false;
    String owner = mode.owner().filter(o -> !o.equals(userName(a.getUId()))).orElse(null);
    String group = mode.group().filter(g -> !g.equals(groupName(a.getGId()))).orElse(null);
    int current = a.getPermissions() & 07777;
    if (owner != null || group != null) {
      if (owner != null) {
        exec(List.of("chown", "--", group == null ? owner : owner + ":" + group, p), "set owner of " + p);
      } else {
        exec(List.of("chgrp", "--", group, p), "set group of " + p);
      }
      changed = true;
      current = c.lstat(lit(p)).getPermissions() & 07777;
    }
    if (current != mode.permissions()) {
      setPermissions(c, p, mode.permissions());
      changed = true;
    }
    return changed;
  }

  private void setPermissions(ChannelSftp c, String p, int want) throws SftpException {
    SftpATTRS set = new SftpATTRS();
    set.setPERMISSIONS(want);
    c.setStat(lit(p), set);
    if ((want & 07000) != 0) {
      int got = c.lstat(lit(p)).getPermissions() & 07777;
      if (got != want) {
        LOG.debug("{}: SFTP left {} at {} instead of {}; using chmod", name, p, octal(got), octal(want));
        exec(List.of("chmod", "--", octal(want), p), "set mode " + octal(want) + " on " + p);
        got = c.lstat(lit(p)).getPermissions() & 07777;
        if (got != want) {
          throw new HostException(name, "cannot set mode " + octal(want) + " on " + p + ": it stays "
              + octal(got) + " (set-id bits need root or membership of the file's group)");
        }
      }
    }
  }

  @FunctionalInterface
  private interface Content {
    InputStream open() throws IOException;
  }

  /** Writes a new file next to the target, gives it its mode and renames it over the target. */
  private void putViaTemp(ChannelSftp c, Path path, Content content, FileMode mode) throws SftpException, IOException {
    String p = path.toString();
    String tmp = tempName(path);
    boolean created = false;
    try {
      try {
        c._put(new ByteArrayInputStream(new byte[0]), tmp, null, ChannelSftp.OVERWRITE);
      } catch (SftpException e) {
        if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE) {
          throw new HostException(name, "cannot write " + p + ": directory " + path.getParent() + " does not exist");
        }
        throw e;
      }
      created = true;
      setPermissions(c, tmp, 0600);
      try (InputStream in = content.open()) {
        c._put(in, tmp, null, ChannelSftp.OVERWRITE);
      }
      applyMode(c, tmp, mode, c.lstat(lit(tmp)));
      rename(c, tmp, p);
      created = false;
    } finally {
      if (created && !connectionGone(null)) {
        try {
          c.rm(lit(tmp));
        } catch (SftpException | RuntimeException e) {
          LOG.debug("{}: cannot remove {}: {}", name, tmp, e.getMessage());
        }
      }
    }
  }

  private static void rename(ChannelSftp c, String from, String to) throws SftpException {
    if (c.getExtension("posix-rename@openssh.com") == null) {
      // Plain SFTP rename refuses to replace: remove first (not atomic, but servers without the
      // extension are not OpenSSH).
      try {
        SftpATTRS a = c.lstat(lit(to));
        if (!a.isDir()) {
          c.rm(lit(to));
        }
      } catch (SftpException e) {
        if (e.id != ChannelSftp.SSH_FX_NO_SUCH_FILE) {
          throw e;
        }
      }
    }
    c.rename(lit(from), lit(to));
  }

  // ---------------------------------------------------------------------------------------------
  // Host

  @Override
  public Optional<FileInfo> stat(Path path) {
    String p = check(path);
    return withSftp("stat " + p, c -> {
      SftpATTRS a = lstatOrNull(c, p);
      if (a == null) {
        return Optional.empty();
      }
      Optional<String> target = a.isLink() ? Optional.of(c.readlink(lit(p))) : Optional.empty();
      return Optional.of(new FileInfo(type(a), a.getPermissions() & 07777, userName(a.getUId()),
          groupName(a.getGId()), a.getSize(), target));
    });
  }

  @Override
  public Optional<byte[]> read(Path path) {
    String p = check(path);
    return withSftp("read " + p, c -> readOrNull(c, p));
  }

  private static Optional<byte[]> readOrNull(ChannelSftp c, String p) throws SftpException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      c.get(lit(p), out);
    } catch (SftpException e) {
      if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE) {
        return Optional.empty();
      }
      throw e;
    }
    return Optional.of(out.toByteArray());
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
    return withSftp("write " + p, c -> {
      SftpATTRS a = lstatOrNull(c, p);
      if (a != null && !a.isReg()) {
        throw new HostException(name, "cannot write " + p + ": it is a " + kind(a));
      }
      if (a != null && a.getSize() == bytes.length
          && readOrNull(c, p).map(b -> Arrays.equals(b, bytes)).orElse(false)) {
        boolean changed = applyMode(c, p, mode, a);
        if (changed) {
          LOG.debug("{}: set {} on {}", name, mode, p);
        }
        return changed;
      }
      putViaTemp(c, path, () -> new ByteArrayInputStream(bytes), mode);
      LOG.debug("{}: wrote {} ({} bytes, {})", name, p, bytes.length, mode);
      return true;
    });
  }

  @Override
  public boolean mkdirs(Path dir, FileMode mode) {
    String p = check(dir);
    Objects.requireNonNull(mode, "mode");
    return withSftp("create directory " + p, c -> mkdirs(c, dir, mode));
  }

  private boolean mkdirs(ChannelSftp c, Path dir, FileMode mode) throws SftpException {
    String p = dir.toString();
    SftpATTRS a = lstatOrNull(c, p);
    if (a != null) {
      if (!a.isDir()) {
        throw new HostException(name, "cannot create directory " + p + ": a " + kind(a) + " is in the way");
      }
      return applyMode(c, p, mode, a);
    }
    List<Path> missing = new ArrayList<>();
    for (Path q = dir; q != null && q.getNameCount() > 0 && lstatOrNull(c, q.toString()) == null; q = q.getParent()) {
      missing.add(0, q);
    }
    for (Path q : missing) {
      String s = q.toString();
      try {
        c.mkdir(s); // mkdir takes the path as is (no glob unquoting)
      } catch (SftpException e) {
        SftpATTRS now = lstatOrNull(c, s);
        if (now == null || !now.isDir()) {
          throw e;
        }
        // created concurrently: fine
      }
      if (!q.equals(dir)) {
        SftpATTRS now = c.lstat(lit(s));
        if ((now.getPermissions() & 07777) != 0755) {
          setPermissions(c, s, 0755);
        }
      }
    }
    applyMode(c, p, mode, c.lstat(lit(p)));
    LOG.debug("{}: created {} ({})", name, p, mode);
    return true;
  }

  @Override
  public boolean symlink(Path link, String target) {
    String p = check(link);
    Objects.requireNonNull(target, "target");
    if (target.isEmpty() || target.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not a link target: '" + target + "'");
    }
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
      linkViaTemp(c, link, target);
      LOG.debug("{}: linked {} -> {}", name, p, target);
      return true;
    });
  }

  private void linkViaTemp(ChannelSftp c, Path link, String target) throws SftpException {
    String tmp = tempName(link);
    c.symlink(lit(target), lit(tmp));
    try {
      rename(c, tmp, link.toString());
    } catch (SftpException | RuntimeException e) {
      if (!connectionGone(e)) {
        try {
          c.rm(lit(tmp));
        } catch (SftpException | RuntimeException e2) {
          LOG.debug("{}: cannot remove {}: {}", name, tmp, e2.getMessage());
        }
      }
      throw e;
    }
  }

  @Override
  public boolean remove(Path path) {
    String p = check(path);
    if (path.getNameCount() == 0) {
      throw new IllegalArgumentException("refusing to remove /");
    }
    return withSftp("remove " + p, c -> {
      SftpATTRS a = lstatOrNull(c, p);
      if (a == null) {
        return false;
      }
      if (a.isDir()) {
        exec(List.of("rm", "-rf", "--", p), "remove " + p);
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
    Objects.requireNonNull(command, "command");
    commands.incrementAndGet();
    String display = command.display();
    long start = System.nanoTime();
    Session s;
    try {
      s = session("run '" + display + "'");
    } catch (HostCommandException e) {
      throw e;
    } catch (HostException e) {
      String m = e.getMessage();
      String why = m.startsWith(name + ": ") ? m.substring(name.length() + 2) : m;
      throw new HostCommandException(name, display, -1, "", "could not start: " + why);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TailBuffer err = new TailBuffer(CommandResult.STDERR_TAIL);
    ChannelExec ch = null;
    try {
      ch = (ChannelExec) s.openChannel("exec");
      ch.setCommand(SshShell.commandLine(command.argv()).getBytes(StandardCharsets.UTF_8));
      ch.setInputStream(new ByteArrayInputStream(command.stdin().orElse(new byte[0])), false);
      ch.setOutputStream(out, true);
      ch.setErrStream(err, true);
      ch.connect(connectMillis());
    } catch (JSchException e) {
      if (ch != null) {
        ch.disconnect();
      }
      if (connectionGone(e)) {
        markLost();
        throw new HostCommandException(name, display, -1, "",
            "could not start: connection lost while trying to run it (SSH to " + endpoint() + ")");
      }
      throw new HostCommandException(name, display, -1, "", "could not start: " + e.getMessage());
    }
    long deadline = start + command.timeout().toNanos();
    try {
      long sleep = 1;
      while (!ch.isClosed()) {
        if (System.nanoTime() - deadline > 0) {
          try {
            ch.sendSignal("KILL");
          } catch (Exception e) {
            LOG.debug("{}: cannot signal {}: {}", name, display, e.getMessage());
          }
          ch.disconnect();
          throw new HostCommandException(name, display, -1, err.text(),
              "timed out after " + seconds(command.timeout()));
        }
        Thread.sleep(sleep);
        sleep = Math.min(sleep * 2, 20);
      }
    } catch (InterruptedException e) {
      ch.disconnect();
      Thread.currentThread().interrupt();
      throw new HostCommandException(name, display, -1, err.text(), "was interrupted");
    }
    int exit = ch.getExitStatus();
    String signal = ch.getExitSignal();
    boolean eof = ch.isEOF();
    ch.disconnect();
    if (exit == -1 && signal == null && (!eof || connectionGone(null))) {
      markLost();
      throw new HostCommandException(name, display, -1, err.text(),
          "failed: connection lost while it was running (SSH to " + endpoint() + ")");
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    LOG.debug("{}: ran {} -> {}{} in {} ms", name, display, exit, signal == null ? "" : " (signal " + signal + ")",
        took.toMillis());
    String stderr = err.text();
    if (signal != null && exit == -1) {
      stderr = (stderr.isEmpty() ? "" : stderr + "\n") + "killed by signal " + signal;
    }
    return new CommandResult(name, display, exit, out.toString(StandardCharsets.UTF_8), stderr, took);
  }

  private static String seconds(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(Locale.ROOT, "%.3f s", ms / 1000.0);
  }

  // ---------------------------------------------------------------------------------------------
  // Sync

  @Override
  public SyncResult sync(Path dir, Set<String> excludes) {
    String p = check(dir);
    Objects.requireNonNull(excludes, "excludes");
    if (dir.getNameCount() == 0) {
      throw new IllegalArgumentException("refusing to sync /");
    }
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
    CommandResult listed = run(SshSyncPlan.listCommand(dir, glob, local));
    trips++;
    if (!listed.succeeded()) {
      throw new HostException(name, "cannot sync " + p + ": listing the remote tree failed with status "
          + listed.exitCode() + (listed.stderrTail().isBlank() ? "" : ": " + listed.stderrTail().strip()));
    }
    SshSyncPlan.Plan plan;
    try {
      plan = SshSyncPlan.plan(local, SshSyncPlan.parse(listed.stdout()), glob);
    } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
      throw new HostException(name, "cannot sync " + p + ": " + e.getMessage(), e);
    }
    if (!plan.removeTop.isEmpty()) {
      StringBuilder in = new StringBuilder();
      for (String rel : plan.removeTop) {
        in.append(p).append('/').append(rel).append('\0');
      }
      CommandResult rm = run(Command.of("xargs", "-0", "-r", "rm", "-rf", "--")
          .withStdin(in.toString().getBytes(StandardCharsets.UTF_8)).withTimeout(INTERNAL_TIMEOUT)
          .withDisplay("rm -rf " + plan.removeTop.size() + " path(s) under " + p));
      trips++;
      if (!rm.succeeded()) {
        throw new HostException(name, "cannot sync " + p + ": removing " + plan.removeTop.size()
            + " path(s) failed: " + rm.stderrTail().strip());
      }
    }
    int sent = withSftp("sync " + p, c -> apply(c, dir, local, plan));
    fileOperations.addAndGet(Math.max(0, sent - 1)); // one per created directory, upload, link, chmod
    trips += sent;
    LOG.debug("{}: synced {}: {} added, {} changed, {} deleted, {} round trips", name, p, plan.added.size(),
        plan.changed.size(), plan.deleted.size(), trips);
    return new SyncResult(List.copyOf(plan.added), List.copyOf(plan.changed), List.copyOf(plan.deleted), trips);
  }

  @Override
  public SyncResult fetch(Path dir, Set<String> excludes) {
    String p = check(dir);
    Objects.requireNonNull(excludes, "excludes");
    if (dir.getNameCount() == 0) {
      throw new IllegalArgumentException("refusing to fetch /");
    }
    SyncExcludes glob = new SyncExcludes(excludes);
    SortedMap<String, SshSyncPlan.Local> local;
    try {
      local = Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) ? SshSyncPlan.scanLocal(dir, glob)
          : new TreeMap<>();
    } catch (IOException | UncheckedIOException e) {
      throw new HostException(name, "cannot fetch " + p + ": cannot read the local tree: " + e.getMessage(), e);
    }
    CommandResult listed = run(SshSyncPlan.listCommand(dir, glob, local));
    int trips = 1;
    if (!listed.succeeded()) {
      throw new HostException(name, "cannot fetch " + p + ": listing the remote tree failed with status "
          + listed.exitCode() + (listed.stderrTail().isBlank() ? "" : ": " + listed.stderrTail().strip()));
    }
    SshSyncPlan.Listing remote;
    try {
      remote = SshSyncPlan.parse(listed.stdout());
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
      fileOperations.addAndGet(Math.max(0, got - 1)); // one per downloaded file
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
      mkdirs(c, dir, FileMode.of(plan.rootMode));
      trips++;
    } else if (plan.chmodRoot != null) {
      setPermissions(c, p, plan.chmodRoot);
      trips++;
    }
    for (Map.Entry<String, Integer> e : plan.mkdirs.entrySet()) {
      String d = p + "/" + e.getKey();
      c.mkdir(d);
      setPermissions(c, d, e.getValue());
      trips++;
    }
    for (String rel : plan.uploads) {
      SshSyncPlan.Local l = local.get(rel);
      putViaTemp(c, dir.resolve(rel), () -> Files.newInputStream(l.file()), FileMode.of(l.mode()));
      trips++;
    }
    for (Map.Entry<String, String> e : plan.links.entrySet()) {
      linkViaTemp(c, dir.resolve(e.getKey()), e.getValue());
      trips++;
    }
    for (Map.Entry<String, Integer> e : plan.chmods.entrySet()) {
      setPermissions(c, p + "/" + e.getKey(), e.getValue());
      trips++;
    }
    return trips;
  }
}
