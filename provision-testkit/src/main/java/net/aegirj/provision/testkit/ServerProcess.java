package net.aegirj.provision.testkit;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One long-running server program started by the testkit as a plain child process of this JVM
 * (systemd and init scripts are never used): its standard output and error are appended to a
 * console log file, its standard input is {@code /dev/null}, and the environment is this JVM's
 * minus variables that would make a server talk to a service manager ({@code NOTIFY_SOCKET},
 * {@code LISTEN_FDS}, ...) or change the MariaDB client's defaults ({@code MYSQL_*}).
 *
 * <p>Readiness is probed, never slept on: {@link #awaitTcp}, {@link #awaitUnixSocket} and
 * {@link #await} poll until the probe succeeds, the process exits or the timeout passes; the last
 * two throw an {@link IllegalStateException} whose message has the command and the tail of every
 * log of the server ({@link #logTail()}).
 *
 * <p>{@link #close()} stops the whole process tree: {@code SIGTERM} to the process, a grace period
 * for it to exit, then {@code SIGKILL} to it and to every descendant still alive (a worker that
 * outlived its master included). It is idempotent and safe to call from a shutdown hook.
 *
 * <p>The static helpers {@link #run}, {@link #requireExecutable} and {@link #runningAsRoot()} serve
 * the short commands around a server (configuration tests, database initialisation, clients).
 */
public final class ServerProcess implements AutoCloseable {
  /** How many lines of each log {@link #logTail()} shows. */
  public static final int TAIL_LINES = 40;
  private static final long TAIL_BYTES = 16 * 1024;
  private static final Duration POLL = Duration.ofMillis(50);
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);
  private static final File DEV_NULL = new File("/dev/null");

  private final String name;
  private final List<String> command;
  private final Process process;
  private final List<Path> logs;
  private final Duration stopTimeout;
  private final Instant started;
  private final Object lock = new Object();
  /** Guarded by {@link #lock}. */
  private boolean closed;

  private ServerProcess(String name, List<String> command, Process process, List<Path> logs, Duration stopTimeout,
      Instant started) {
    this.name = name;
    this.command = command;
    this.process = process;
    this.logs = logs;
    this.stopTimeout = stopTimeout;
    this.started = started;
  }

  /**
   * Starts a server program in the background.
   *
   * @param name what the server is, for messages ({@code "nginx"})
   * @param command the program and its arguments; the program must run in the foreground
   * @param workDir the working directory
   * @param consoleLog the file its standard output and error are appended to (created)
   * @param serverLogs log files the server writes itself, shown with the console log in every error
   * @param stopTimeout how long {@link #close()} waits after {@code SIGTERM} before {@code SIGKILL}
   * @return the running process
   * @throws IllegalStateException when the program cannot be started
   */
  public static ServerProcess start(String name, List<String> command, Path workDir, Path consoleLog,
      List<Path> serverLogs, Duration stopTimeout) {
    Objects.requireNonNull(name, "name");
    List<String> argv = List.copyOf(command);
    List<Path> allLogs = new ArrayList<>();
    allLogs.add(consoleLog);
    allLogs.addAll(serverLogs);
    ProcessBuilder builder = new ProcessBuilder(argv)
        .directory(workDir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(consoleLog.toFile()));
    cleanEnvironment(builder.environment());
    Instant started = Instant.now();
    try {
      Process process = builder.start();
      return new ServerProcess(name, argv, process, List.copyOf(allLogs), stopTimeout, started);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + name + ": " + String.join(" ", argv) + ": " + e.getMessage(),
          e);
    }
  }

  /** @return what the server is, as given to {@link #start} */
  public String name() {
    return name;
  }

  /** @return the command line it was started with */
  public List<String> command() {
    return command;
  }

  /** @return the process id of the server's main process */
  public long pid() {
    return process.pid();
  }

  /** @return when {@link #start} started the process */
  public Instant started() {
    return started;
  }

  /** @return whether the main process is still running */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** @return the ids of the main process and of all its living descendants, main process first */
  public Set<Long> pids() {
    Set<Long> pids = new LinkedHashSet<>();
    pids.add(process.pid());
    process.toHandle().descendants().forEach(p -> pids.add(p.pid()));
    return pids;
  }

  /** @return the log files shown by {@link #logTail()}: the console log first */
  public List<Path> logs() {
    return logs;
  }

  /**
   * Waits until something accepts TCP connections on {@code 127.0.0.1:port}.
   *
   * @param port the port
   * @param timeout how long to wait at most
   * @throws IllegalStateException when the process exits or the timeout passes first
   */
  public void awaitTcp(int port, Duration timeout) {
    await("a listener on 127.0.0.1:" + port, () -> acceptsTcp(port), timeout);
  }

  /**
   * Waits until a unix-domain socket accepts connections.
   *
   * @param socket the socket file
   * @param timeout how long to wait at most
   * @throws IllegalStateException when the process exits or the timeout passes first
   */
  public void awaitUnixSocket(Path socket, Duration timeout) {
    await("a listener on unix:" + socket, () -> acceptsUnix(socket), timeout);
  }

  /**
   * Polls a readiness probe until it returns true.
   *
   * @param what what is awaited, for the error message
   * @param ready the probe; it should not block for long
   * @param timeout how long to wait at most
   * @throws IllegalStateException when the process exits or the timeout passes first, with the
   *     tail of the server's logs
   */
  public void await(String what, BooleanSupplier ready, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (ready.getAsBoolean()) {
        return;
      }
      if (!process.isAlive()) {
        throw failure(name + " exited with status " + process.exitValue() + " while waiting for " + what);
      }
      if (System.nanoTime() - deadline > 0) {
        throw failure(name + " did not provide " + what + " within " + timeout.toMillis() + " ms");
      }
      sleep(POLL);
    }
  }

  /**
   * @param message what went wrong
   * @return an exception whose message has {@code message}, the command line and the log tails
   */
  public IllegalStateException failure(String message) {
    return new Failure(message + "\ncommand: " + String.join(" ", command) + "\n" + logTail());
  }

  /** A failure of this server whose message already has the command and the log tails. */
  private static final class Failure extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message);
    }
  }

  /**
   * Runs the readiness probes of a server just started ({@link #awaitTcp}, {@link #await}, a first
   * SQL statement ...); a server that does not become ready is stopped.
   *
   * @param probes returns once the server is ready, or throws
   * @throws IllegalStateException when a probe fails, with the tail of the server's logs
   */
  public void awaitReady(Consumer<ServerProcess> probes) {
    try {
      probes.accept(this);
    } catch (RuntimeException e) {
      RuntimeException failure = e;
      if (!(e instanceof Failure)) {
        failure = failure(name + " did not become ready: " + e.getMessage());
        failure.initCause(e);
      }
      close();
      throw failure;
    }
  }

  /**
   * Runs a server program's check of its configuration, before it is started.
   *
   * @param what what checks it, for the message ({@code "nginx"})
   * @param command the check
   * @param config the configuration checked
   * @param logs logs the check may write to, shown when it fails
   * @param timeout how long the check may take
   * @throws IllegalStateException when the check refuses the configuration, with its output
   */
  public static void checkConfig(String what, List<String> command, Path config, List<Path> logs,
      Duration timeout) {
    Result test = run(command, timeout);
    if (test.exitCode() != 0) {
      StringBuilder b = new StringBuilder(what + " refuses its configuration " + config + ":\n" + test.stderr()
          + test.stdout());
      for (Path log : logs) {
        b.append("---- last lines of ").append(log).append(" ----\n").append(tail(log, TAIL_LINES));
      }
      throw new IllegalStateException(b.toString());
    }
  }

  /**
   * @param base a command
   * @param more arguments to add
   * @return the command with the arguments added
   */
  static List<String> plus(List<String> base, String... more) {
    List<String> out = new ArrayList<>(base);
    out.addAll(Arrays.asList(more));
    return List.copyOf(out);
  }

  /** @return the last {@value #TAIL_LINES} lines of each of the server's logs, each under a header */
  public String logTail() {
    StringBuilder b = new StringBuilder();
    for (Path log : logs) {
      b.append("---- last lines of ").append(log).append(" ----\n").append(tail(log, TAIL_LINES));
    }
    return b.toString();
  }

  /**
   * Stops the process tree: {@code SIGTERM}, then {@code SIGKILL} after the stop timeout; every
   * descendant that outlives the main process is killed too. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    ProcessHandle main = process.toHandle();
    Set<ProcessHandle> tree = new LinkedHashSet<>(main.descendants().toList());
    main.destroy();
    if (!waitFor(main, stopTimeout)) {
      tree.addAll(main.descendants().toList());
      main.destroyForcibly();
      tree.forEach(ProcessHandle::destroyForcibly);
      waitFor(main, KILL_WAIT);
    }
    // workers normally exit with their master; give them a moment, then kill what is left
    long deadline = System.nanoTime() + KILL_WAIT.toNanos();
    for (ProcessHandle p : tree) {
      long left = Math.max(0, deadline - System.nanoTime());
      if (!waitFor(p, Duration.ofNanos(left))) {
        p.destroyForcibly();
        waitFor(p, Duration.ofSeconds(2));
      }
    }
    try {
      process.waitFor(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }

  // ---- short commands ----

  /**
   * The outcome of a command run by {@link #run}.
   *
   * @param command the command line
   * @param exitCode its exit status
   * @param stdout its standard output
   * @param stderr its standard error
   */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {
    /**
     * @return this result
     * @throws IllegalStateException when the exit status is not 0, with both outputs
     */
    public Result orThrow() {
      if (exitCode != 0) {
        throw new IllegalStateException("command failed with status " + exitCode + ": " + String.join(" ", command)
            + (stdout.isBlank() ? "" : "\nstdout:\n" + stdout) + (stderr.isBlank() ? "" : "\nstderr:\n" + stderr));
      }
      return this;
    }

    /** @return the standard output without its final line break */
    public String output() {
      return stdout.endsWith("\n") ? stdout.substring(0, stdout.length() - 1) : stdout;
    }

    /**
     * Keeps both outputs in a log file, for when a later step fails.
     *
     * @param log the file (replaced)
     * @return this result
     * @throws UncheckedIOException when it cannot be written
     */
    public Result saveTo(Path log) {
      try {
        Files.writeString(log, stdout + stderr);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + log, e);
      }
      return this;
    }
  }

  /**
   * Runs a short command to its end, with standard input from {@code /dev/null} and the same
   * environment clean-up as servers.
   *
   * @param command the program and its arguments
   * @param timeout how long it may run; then it is killed and an exception thrown
   * @return its exit status and outputs
   * @throws IllegalStateException when it cannot be started or does not finish in time
   */
  public static Result run(List<String> command, Duration timeout) {
    return run(command, Map.of(), timeout);
  }

  /**
   * Runs a short command to its end, like {@link #run(List, Duration)}, with extra environment.
   *
   * @param command the program and its arguments
   * @param extraEnv variables to set for it
   * @param timeout how long it may run; then it is killed and an exception thrown
   * @return its exit status and outputs
   * @throws IllegalStateException when it cannot be started or does not finish in time
   */
  public static Result run(List<String> command, Map<String, String> extraEnv, Duration timeout) {
    List<String> argv = List.copyOf(command);
    ProcessBuilder builder = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(DEV_NULL));
    cleanEnvironment(builder.environment());
    builder.environment().putAll(extraEnv);
    Process p;
    try {
      p = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + String.join(" ", argv) + ": " + e.getMessage(), e);
    }
    CompletableFuture<String> out = drain(p.getInputStream(), "stdout of " + argv.get(0));
    CompletableFuture<String> err = drain(p.getErrorStream(), "stderr of " + argv.get(0));
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        throw new IllegalStateException("command did not finish within " + timeout.toMillis() + " ms: "
            + String.join(" ", argv) + "\nstdout:\n" + out.getNow("") + "\nstderr:\n" + err.getNow(""));
      }
      return new Result(argv, p.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IllegalStateException("interrupted while running " + String.join(" ", argv), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot read the output of " + String.join(" ", argv), e);
    }
  }

  /**
   * @param program an absolute path
   * @param debianPackage the Debian package that installs it
   * @return {@code program}
   * @throws IllegalStateException when it is not an executable file, naming the package to install
   */
  public static Path requireExecutable(Path program, String debianPackage) {
    if (!Files.isRegularFile(program) || !Files.isExecutable(program)) {
      throw new IllegalStateException(program + " is missing: install the Debian package " + debianPackage
          + " (bin/install-packages installs everything the real-server tests need)");
    }
    return program;
  }

  /**
   * @param file an absolute path
   * @param debianPackage the Debian package that installs it
   * @return {@code file}
   * @throws IllegalStateException when it is not a regular file, naming the package to install
   */
  public static Path requireFile(Path file, String debianPackage) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(file + " is missing: install the Debian package " + debianPackage
          + " (bin/install-packages installs everything the real-server tests need)");
    }
    return file;
  }

  /** @return whether this JVM runs as root (uid 0) */
  public static boolean runningAsRoot() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  /**
   * @param file a text file
   * @param lines how many lines
   * @return its last lines (at most the last 16 KiB), or a note when it is missing or unreadable
   */
  public static String tail(Path file, int lines) {
    if (!Files.exists(file)) {
      return "(no such file)\n";
    }
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long length = f.length();
      long from = Math.max(0, length - TAIL_BYTES);
      byte[] bytes = new byte[(int) (length - from)];
      f.seek(from);
      f.readFully(bytes);
      String text = new String(bytes, StandardCharsets.UTF_8);
      List<String> all = Arrays.asList(text.split("\n", -1));
      if (!all.isEmpty() && all.get(all.size() - 1).isEmpty()) {
        all = all.subList(0, all.size() - 1);
      }
      if (all.isEmpty()) {
        return "(empty)\n";
      }
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")\n";
    }
  }

  // ---- internals ----

  private static void cleanEnvironment(Map<String, String> env) {
    env.keySet().removeIf(k -> k.equals("NOTIFY_SOCKET") || k.startsWith("LISTEN_") || k.startsWith("MYSQL_")
        || k.startsWith("MARIADB_") || k.equals("PHP_INI_SCAN_DIR") || k.equals("PHPRC"));
  }

  private static CompletableFuture<String> drain(InputStream in, String what) {
    CompletableFuture<String> result = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try (in) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        in.transferTo(buffer);
        result.complete(buffer.toString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        result.completeExceptionally(new UncheckedIOException(e));
      }
    }, "drain " + what);
    t.setDaemon(true);
    t.start();
    return result;
  }

  static boolean acceptsTcp(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static boolean acceptsUnix(Path socket) {
    if (!Files.exists(socket)) {
      return false;
    }
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      return channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean waitFor(ProcessHandle p, Duration timeout) {
    try {
      p.onExit().get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return !p.isAlive();
    } catch (ExecutionException e) {
      return !p.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !p.isAlive();
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a server", e);
    }
  }
}
