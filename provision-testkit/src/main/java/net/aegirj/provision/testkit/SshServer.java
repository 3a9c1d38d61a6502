package net.aegirj.provision.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.core.host.SshHost;

/**
 * A real OpenSSH server for tests: Debian's {@code /usr/sbin/sshd}, run as root on a free loopback
 * port, with every piece of state (host key, client key, {@code authorized_keys},
 * {@code known_hosts}, config, log) in a temporary directory.
 *
 * <p>The "remote" gets a filesystem view of its own: sshd runs in a new mount namespace (and PID
 * namespace, so that killing it ends every session) in which each {@link
 * Builder#privateMount(Path, Path) managed path} is bind-mounted from a backing directory. What an
 * SSH session writes under a managed path lands in the backing directory; the test process sees its
 * own files at the managed path. This lets a test sync a local tree at the same absolute path to
 * the "remote" and compare both sides.
 *
 * <pre>{@code
 * try (SshServer ssh = SshServer.builder().privateMount(managed, backing).start();
 *      SshHost host = ssh.newHost("@server_web1")) {
 *   host.write(managed.resolve("x"), bytes, FileMode.of(0644)); // lands in backing/x
 * }
 * }</pre>
 *
 * <p>Needs root, {@code unshare} (util-linux), {@code ssh-keygen} and {@code sshd}
 * (openssh-server; {@code bin/install-packages} installs it). A missing piece fails with an {@link
 * IllegalStateException} that says what to install.
 */
public final class SshServer implements AutoCloseable {
  private static final Path SSHD = Path.of("/usr/sbin/sshd");
  private static final Pattern VERSION = Pattern.compile("OpenSSH_(\\d+)\\.(\\d+)");

  private final Path dir;
  private final String address;
  private final int port;
  private final Path identity;
  private final Path knownHosts;
  private final Process process;
  private final List<String> log; // sshd's output lines; guarded by itself
  private final Thread logReader;
  private final List<Path> createdManagedPaths;
  private boolean closed;

  /** @return a builder for a server with no private mounts, on 127.0.0.1 */
  public static Builder builder() {
    return new Builder();
  }

  /** Options for a server. */
  public static final class Builder {
    private String address = "127.0.0.1";
    private final List<Path[]> mounts = new ArrayList<>();
    private Duration startTimeout = Duration.ofSeconds(20);

    private Builder() {}

    /**
     * @param loopback the loopback address to listen on ({@code 127.0.0.1} by default; use e.g.
     *     {@code 127.0.0.2} where {@code 127.0.0.1} would count as the local machine)
     * @return this builder
     */
    public Builder listenAddress(String loopback) {
      this.address = Objects.requireNonNull(loopback);
      return this;
    }

    /**
     * Makes the server (and every command it runs) see {@code backingDir}'s content at {@code
     * managedPath}. Repeatable. Both are created when missing; a managed path this server created
     * is removed on close when it is empty.
     *
     * @param managedPath an absolute path
     * @param backingDir the directory the server sees there
     * @return this builder
     */
    public Builder privateMount(Path managedPath, Path backingDir) {
      if (!managedPath.isAbsolute() || !backingDir.isAbsolute()) {
        throw new IllegalArgumentException("mount paths must be absolute: " + managedPath + ", " + backingDir);
      }
      mounts.add(new Path[] {managedPath.normalize(), backingDir.normalize()});
      return this;
    }

    /**
     * @param timeout how long sshd may take to listen
     * @return this builder
     */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = Objects.requireNonNull(timeout);
      return this;
    }

    /**
     * Generates the keys and config and starts sshd, waiting until it listens.
     *
     * @return the running server
     * @throws IllegalStateException when sshd, unshare or root is missing, or sshd does not start
     */
    public SshServer start() {
      return SshServer.start(this);
    }
  }

  private SshServer(Path dir, String address, int port, Process process, List<String> log, Thread logReader,
      List<Path> createdManagedPaths) {
    this.dir = dir;
    this.address = address;
    this.port = port;
    this.process = process;
    this.identity = dir.resolve("id_ed25519");
    this.knownHosts = dir.resolve("known_hosts");
    this.log = log;
    this.logReader = logReader;
    this.createdManagedPaths = createdManagedPaths;
  }

  private static SshServer start(Builder b) {
    requireTools();
    List<Path> created = new ArrayList<>();
    Path dir;
    try {
      for (Path[] m : b.mounts) {
        if (!Files.isDirectory(m[0])) {
          Files.createDirectories(m[0]);
          created.add(m[0]);
        }
        Files.createDirectories(m[1]);
      }
      Files.createDirectories(Path.of("/run/sshd"),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      dir = Files.createTempDirectory("provision-sshd-");
      keygen(dir.resolve("ssh_host_ed25519_key"), "provision-testkit-host");
      keygen(dir.resolve("id_ed25519"), "provision-testkit-client");
      Files.copy(dir.resolve("id_ed25519.pub"), dir.resolve("authorized_keys"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare sshd state", e);
    }
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      int port = freePort(b.address);
      try {
        return launch(b, dir, port, created);
      } catch (IllegalStateException e) {
        last = e;
        if (!e.getMessage().contains("Address already in use") && !e.getMessage().contains("Cannot bind")) {
          break;
        }
      }
    }
    LocalServers.deleteTree(dir);
    created.forEach(SshServer::deleteIfEmpty);
    throw last;
  }

  private static void requireTools() {
    if (!Files.isExecutable(SSHD)) {
      throw new IllegalStateException(SSHD + " is missing: install Debian's openssh-server"
          + " (bin/install-packages, or apt-get install openssh-server)");
    }
    if (which("unshare") == null) {
      throw new IllegalStateException("unshare is missing: install util-linux");
    }
    if (which("ssh-keygen") == null) {
      throw new IllegalStateException("ssh-keygen is missing: install openssh-client");
    }
    String uid = runQuietly(List.of("id", "-u")).strip();
    if (!uid.equals("0")) {
      throw new IllegalStateException("SshServer must run as root (sshd and mount namespaces need it); uid is " + uid);
    }
  }

  private static Path which(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(d.isEmpty() ? "." : d, tool);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    for (String d : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      Path p = Path.of(d, tool);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  private static String runQuietly(List<String> argv) {
    try {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", argv) + " timed out");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", argv) + " failed (" + p.exitValue() + "): " + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + argv.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void keygen(Path file, String comment) {
    runQuietly(List.of("ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-C", comment, "-f", file.toString()));
  }

  private static int freePort(String address) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on " + address, e);
    }
  }

  private static boolean newerThan(int major, int minor) {
    String v;
    try {
      Process p = new ProcessBuilder(SSHD.toString(), "-V").redirectErrorStream(true).start();
      v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    Matcher m = VERSION.matcher(v);
    if (!m.find()) {
      return false;
    }
    int a = Integer.parseInt(m.group(1));
    int b = Integer.parseInt(m.group(2));
    return a > major || (a == major && b >= minor);
  }

  private static SshServer launch(Builder b, Path dir, int port, List<Path> created) {
    Path config = dir.resolve("sshd_config");
    List<String> cfg = new ArrayList<>(List.of(
        "ListenAddress " + b.address,
        "Port " + port,
        "HostKey " + dir.resolve("ssh_host_ed25519_key"),
        "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
        "PidFile " + dir.resolve("sshd.pid"),
        "StrictModes no",
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "PermitRootLogin prohibit-password",
        "UseDNS no",
        "PrintMotd no",
        "Subsystem sftp internal-sftp",
        "LogLevel VERBOSE"));
    if (newerThan(9, 8)) {
      // Since 9.8 sshd penalises sources that fail to authenticate; tests fail on purpose.
      cfg.add("PerSourcePenalties no");
    }
    try {
      Files.write(config, cfg, StandardCharsets.UTF_8);
      String hostPub = Files.readString(dir.resolve("ssh_host_ed25519_key.pub"), StandardCharsets.UTF_8).strip();
      String[] parts = hostPub.split("\\s+");
      Files.writeString(dir.resolve("known_hosts"), "[" + b.address + "]:" + port + " " + parts[0] + " " + parts[1]
          + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write sshd config", e);
    }

    // In new mount and PID namespaces: bind the backing dirs, then become sshd (PID 1 there).
    // --kill-child: when unshare dies, the namespace's init and with it every session dies.
    List<String> argv = new ArrayList<>(List.of("unshare", "--mount", "--pid", "--fork", "--kill-child",
        "--propagation", "private", "/bin/sh", "-c",
        "set -e; while [ $# -gt 1 ]; do mount --bind \"$1\" \"$2\"; shift 2; done;"
            + " exec " + SSHD + " -D -e -f \"$1\"",
        "sh"));
    for (Path[] m : b.mounts) {
      argv.add(m[1].toString());
      argv.add(m[0].toString());
    }
    // The "remote" machine shares this one's home directory. bash reads ~/.bashrc for every
    // command sshd runs, and a developer's (pyenv's rehash, say) can cost most of a second a
    // command: inside the namespace it is an empty file, as on a freshly installed server.
    Path bashrc = Path.of(System.getProperty("user.home"), ".bashrc");
    if (Files.isRegularFile(bashrc)) {
      try {
        Path empty = Files.writeString(dir.resolve("empty-bashrc"), "", StandardCharsets.UTF_8);
        argv.add(empty.toString());
        argv.add(bashrc.toString());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write an empty .bashrc for sshd", e);
      }
    }
    argv.add(config.toString());
    Process process;
    try {
      process = new ProcessBuilder(argv).redirectErrorStream(true).start();
      process.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start sshd", e);
    }
    List<String> log = new ArrayList<>();
    Path logFile = dir.resolve("sshd.log");
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (log) {
            log.add(line);
            log.notifyAll();
          }
          try {
            Files.writeString(logFile, line + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
          } catch (IOException e) {
            // the directory is being deleted
          }
        }
      } catch (IOException e) {
        // sshd went away
      }
      synchronized (log) {
        log.notifyAll();
      }
    }, "sshd-log-" + port);
    reader.setDaemon(true);
    reader.start();

    long deadline = System.nanoTime() + b.startTimeout.toNanos();
    String ready = "Server listening on " + b.address + " port " + port;
    synchronized (log) {
      while (log.stream().noneMatch(l -> l.contains(ready))) {
        if (!process.isAlive()) {
          try {
            reader.join(2000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          throw new IllegalStateException("sshd exited with status " + process.exitValue() + " before listening on "
              + b.address + ":" + port + "; its log:\n" + String.join("\n", log));
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          process.destroyForcibly();
          throw new IllegalStateException("sshd did not listen on " + b.address + ":" + port + " within "
              + b.startTimeout.toSeconds() + " s; its log:\n" + String.join("\n", log));
        }
        try {
          log.wait(Math.max(1, Math.min(100, left / 1_000_000)));
        } catch (InterruptedException e) {
          process.destroyForcibly();
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while starting sshd", e);
        }
      }
    }
    return new SshServer(dir, b.address, port, process, log, reader, created);
  }

  /** @return the address sshd listens on */
  public String address() {
    return address;
  }

  /** @return the port sshd listens on */
  public int port() {
    return port;
  }

  /** @return the user to log in as: the user running the tests (root) */
  public String user() {
    return System.getProperty("user.name");
  }

  /** @return the client's private key (its public key is authorised) */
  public Path identity() {
    return identity;
  }

  /** @return a {@code known_hosts} file holding this server's host key as {@code [address]:port} */
  public Path knownHosts() {
    return knownHosts;
  }

  /** @return the directory holding the server's state */
  public Path stateDir() {
    return dir;
  }

  /** @return everything sshd logged so far (LogLevel VERBOSE) */
  public String log() {
    synchronized (log) {
      return String.join("\n", log);
    }
  }

  /** @return how many SSH connections authenticated so far ("Accepted publickey" log lines) */
  public int acceptedConnections() {
    synchronized (log) {
      return (int) log.stream().filter(l -> l.contains("Accepted publickey for")).count();
    }
  }

  /**
   * @param name the host's name for messages
   * @return a host for this server (not yet connected; the caller closes it)
   */
  public SshHost newHost(String name) {
    return new SshHost(name, address, port, user(), identity, knownHosts, Duration.ofSeconds(10));
  }

  /**
   * A {@code known_hosts} file that holds this server's host key for another endpoint, such as a
   * {@link LatencyProxy} in front of it, so that a client connecting there still checks the key.
   *
   * @param address the address the client connects to
   * @param port the port the client connects to
   * @return the file (in the server's state directory)
   */
  public Path knownHostsFor(String address, int port) {
    Objects.requireNonNull(address, "address");
    if (port < 1 || port > 65535 || !address.matches("[0-9A-Za-z.:-]+")) {
      throw new IllegalArgumentException("not an endpoint: " + address + ":" + port);
    }
    try {
      String line = Files.readString(knownHosts, StandardCharsets.UTF_8).strip();
      String key = line.substring(line.indexOf(' ') + 1);
      Path file = dir.resolve("known_hosts-" + address.replace(':', '_') + "-" + port);
      Files.writeString(file, "[" + address + "]:" + port + " " + key + "\n", StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a known_hosts file for " + address + ":" + port, e);
    }
  }

  /**
   * @param name the host's name for messages
   * @param via a proxy in front of this server (its host key is checked as this server's)
   * @return a host that reaches this server through the proxy (not yet connected; the caller
   *     closes it)
   */
  public SshHost newHost(String name, LatencyProxy via) {
    return new SshHost(name, via.address(), via.port(), user(), identity, knownHostsFor(via.address(), via.port()),
        Duration.ofSeconds(10));
  }

  /**
   * @param delay how long each chunk is held, in each direction
   * @return a {@link LatencyProxy} on a free port of {@code 127.0.0.2} that forwards to this
   *     server; the caller closes it
   */
  public LatencyProxy latencyProxy(Duration delay) {
    return LatencyProxy.start("127.0.0.2", address, port, delay);
  }

  /** @return a host named {@code @server_ssh_test (address:port)} */
  public SshHost newHost() {
    return newHost("@server_ssh_test (" + address + ":" + port + ")");
  }

  /**
   * @return the process id (as this machine sees it) of sshd, the first process of the server's
   *     mount and PID namespaces
   * @throws IllegalStateException when sshd is not running
   */
  public long namespacePid() {
    Path children = Path.of("/proc", Long.toString(process.pid()), "task", Long.toString(process.pid()), "children");
    try {
      String text = Files.readString(children, StandardCharsets.UTF_8).strip();
      if (text.isEmpty()) {
        throw new IllegalStateException("sshd is not running (unshare " + process.pid() + " has no child)");
      }
      return Long.parseLong(text.split("\\s+")[0]);
    } catch (IOException e) {
      throw new IllegalStateException("sshd is not running: cannot read " + children, e);
    }
  }

  /**
   * Runs a short command inside the server's namespaces, as a process of the "remote" machine
   * would run: it sees the private mounts, and what it starts in the background lives (and dies)
   * with the server.
   *
   * @param command the program and its arguments
   * @param timeout how long it may take
   * @return its outcome
   */
  public ServerProcess.Result runInside(List<String> command, Duration timeout) {
    List<String> argv = new ArrayList<>(List.of("nsenter", "--target", Long.toString(namespacePid()), "--mount",
        "--pid", "--"));
    argv.addAll(command);
    return ServerProcess.run(argv, timeout);
  }

  /**
   * Kills (SIGKILL) the sshd process of every open connection, as a network cut would; the server
   * keeps listening, so a client can connect again. Programs started inside the namespaces keep
   * running.
   *
   * @return how many connections were dropped
   */
  public int dropConnections() {
    List<ProcessHandle> sessions = ProcessHandle.of(namespacePid()).stream().flatMap(ProcessHandle::descendants)
        .filter(h -> processTitle(h.pid()).startsWith("sshd:")).toList();
    sessions.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle h : sessions) {
      h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> h).join();
    }
    return sessions.size();
  }

  /** @return what a process calls itself ({@code /proc/<pid>/cmdline}, which sshd overwrites) */
  private static String processTitle(long pid) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** @return true while sshd runs */
  public boolean isRunning() {
    return process.isAlive();
  }

  /**
   * Kills sshd and every session it serves with SIGKILL, as a crash or network loss would: open
   * connections drop. The server stays dead; {@link #close()} still cleans up.
   */
  public synchronized void kill() {
    List<ProcessHandle> all = new ArrayList<>();
    process.descendants().forEach(all::add);
    process.destroyForcibly();
    all.forEach(ProcessHandle::destroyForcibly);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try {
      process.waitFor(10, TimeUnit.SECONDS);
      for (ProcessHandle h : all) {
        while (h.isAlive() && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops sshd and its sessions and deletes the state directory. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    kill();
    try {
      logReader.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LocalServers.deleteTree(dir);
    createdManagedPaths.forEach(SshServer::deleteIfEmpty);
  }

  private static void deleteIfEmpty(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // not empty: leave it
    }
  }

  @Override
  public String toString() {
    return "sshd on " + address + ":" + port;
  }
}
