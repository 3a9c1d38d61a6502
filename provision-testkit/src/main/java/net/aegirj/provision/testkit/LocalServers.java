package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Real web, PHP and database servers from Debian's packages, started as plain child processes of
 * this JVM on free loopback ports, with all their state (configuration, pid files, sockets, logs,
 * data) under one state directory:
 *
 * <pre>{@code
 * try (LocalServers servers = LocalServers.in(stateDir)) {
 *   PhpFpmServer fpm = servers.phpFpm();            // php-fpm8.2, socket fpm.socket()
 *   NginxServer nginx = servers.nginx(aegirRoot);   // includes <aegirRoot>/config/nginx.conf
 *   ApacheServer apache = servers.apache(aegirRoot); // includes <aegirRoot>/config/apache.conf
 *   MariaDbServer db = servers.mariadb();           // admin account db.masterDbUrl()
 *   PostgresServer pg = servers.postgres();         // superuser over TCP, pg.jdbcUrl()
 *   ...
 * }
 * }</pre>
 *
 * <p>Each server gets its own subdirectory ({@code php-fpm}, {@code nginx}, {@code apache},
 * {@code mariadb}; {@code nginx-2} and so on for a second one), so one instance may run several of
 * a kind. Each start method returns once the server is ready (see each class for what that means)
 * and throws an {@link IllegalStateException} with the tail of the server's logs when it does not
 * become ready within its bounded wait, or one naming the Debian package to install when a program
 * is missing.
 *
 * <p>{@link #close()} stops every server started here, in reverse order, each with its whole
 * process tree; it is idempotent. Each instance also registers a JVM shutdown hook that closes it
 * (removed again by {@link #close()}), so no server outlives the test JVM unless that JVM is
 * killed with {@code SIGKILL}.
 *
 * <p>Requirements: the Debian packages {@code nginx}, {@code apache2}, {@code php-fpm} (with
 * {@code php-mysql} for the fixture's database check) and {@code mariadb-server} and
 * {@code mariadb-client}, which {@code bin/install-packages} installs. When the JVM runs as root,
 * Apache's children and nginx's workers run as {@code www-data}: the state directory and every
 * directory above it must be searchable by others (mode 0755; a JUnit {@code @TempDir} is 0700 and
 * must be changed), and so must the document roots the tests serve, whose files must be readable.
 * Unix-domain socket paths are limited to 107 bytes, so the state directory's path must be short
 * (well under 80 characters).
 */
public final class LocalServers implements AutoCloseable {
  private static final int MAX_SOCKET_PATH = 100;
  private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");
  private static final Set<PosixFilePermission> PERMS_0755 = Set.of(PosixFilePermission.OWNER_READ,
      PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);

  private final Path stateDir;
  private final Object lock = new Object();
  /** Guarded by {@link #lock}: what was started, in order. */
  private final List<AutoCloseable> started = new ArrayList<>();
  /** Guarded by {@link #lock}: how many servers of each kind were started. */
  private final Map<String, Integer> counts = new HashMap<>();
  private final Thread shutdownHook;
  /** Guarded by {@link #lock}. */
  private boolean closed;

  private LocalServers(Path stateDir) {
    this.stateDir = stateDir;
    this.shutdownHook = new Thread(this::close, "LocalServers shutdown " + stateDir);
  }

  /**
   * @param stateDir the directory for all servers' state (created when missing); use a fresh one
   * @return an instance that has started nothing yet, with its shutdown hook registered
   */
  public static LocalServers in(Path stateDir) {
    Objects.requireNonNull(stateDir, "stateDir");
    Path dir = stateDir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the state directory " + dir, e);
    }
    LocalServers servers = new LocalServers(dir);
    Runtime.getRuntime().addShutdownHook(servers.shutdownHook);
    return servers;
  }

  /** @return the state directory, absolute */
  public Path stateDir() {
    return stateDir;
  }

  /**
   * Starts PHP-FPM 8.2 with one pool on a unix-domain socket.
   *
   * @return the running server
   * @throws IllegalStateException when it cannot be started
   */
  public PhpFpmServer phpFpm() {
    return startServer("php-fpm", PhpFpmServer::start);
  }

  /**
   * Starts nginx with a main configuration that includes {@code <aegirRoot>/config/nginx.conf}
   * when it exists.
   *
   * @param aegirRoot the Aegir root of the Provision installation under test
   * @return the running server
   * @throws IllegalStateException when it cannot be started
   */
  public NginxServer nginx(Path aegirRoot) {
    Objects.requireNonNull(aegirRoot, "aegirRoot");
    requireSearchableByOthers("nginx's workers run as www-data");
    return startServer("nginx", dir -> NginxServer.start(dir, aegirRoot));
  }

  /**
   * Starts Apache with a main configuration that listens on two free ports and includes
   * {@code <aegirRoot>/config/apache.conf} when it exists.
   *
   * @param aegirRoot the Aegir root of the Provision installation under test
   * @return the running server
   * @throws IllegalStateException when it cannot be started, or when the state directory is not
   *     searchable by {@code www-data}
   */
  public ApacheServer apache(Path aegirRoot) {
    Objects.requireNonNull(aegirRoot, "aegirRoot");
    requireSearchableByOthers("Apache's workers run as www-data");
    return startServer("apache", dir -> ApacheServer.start(dir, aegirRoot));
  }

  /**
   * Starts MariaDB on a fresh data directory and creates the admin account.
   *
   * @return the running server
   * @throws IllegalStateException when it cannot be started
   */
  public MariaDbServer mariadb() {
    return startServer("mariadb", MariaDbServer::start);
  }

  /**
   * Starts PostgreSQL 15 on a fresh cluster with a database {@value PostgresServer#DATABASE}.
   * When this JVM is root, the server runs as the {@code postgres} system user, so the state
   * directory and every directory above it must be searchable by others.
   *
   * @return the running server
   * @throws IllegalStateException when it cannot be started
   */
  public PostgresServer postgres() {
    requireSearchableByOthers("PostgreSQL runs as the postgres system user");
    return startServer("postgres", PostgresServer::start);
  }

  /**
   * Stops every server started here, in reverse order, and removes the shutdown hook. Idempotent;
   * a failure to stop one server does not keep the others running.
   */
  @Override
  public void close() {
    List<AutoCloseable> toClose;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      toClose = new ArrayList<>(started);
      started.clear();
    }
    if (Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook runs (or ran) this method, which is idempotent
      }
    }
    RuntimeException failure = null;
    for (int i = toClose.size() - 1; i >= 0; i--) {
      try {
        toClose.get(i).close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("cannot stop every local server in " + stateDir);
        }
        failure.addSuppressed(e);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public String toString() {
    return "LocalServers " + stateDir;
  }

  private <T extends AutoCloseable> T startServer(String kind, Function<Path, T> starter) {
    Path dir;
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException(this + " is closed");
      }
      int n = counts.merge(kind, 1, Integer::sum);
      dir = stateDir.resolve(n == 1 ? kind : kind + "-" + n);
    }
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PERMS_0755);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    T server = starter.apply(dir);
    boolean lateClose;
    synchronized (lock) {
      lateClose = closed;
      if (!lateClose) {
        started.add(server);
      }
    }
    if (lateClose) {
      try {
        server.close();
      } catch (Exception e) {
        throw new IllegalStateException("cannot stop " + server, e);
      }
      throw new IllegalStateException(this + " was closed while " + kind + " started");
    }
    return server;
  }

  /**
   * Servers (or their workers) run as an unprivileged user when we are root: they must reach
   * sockets and files in the state dir.
   */
  private void requireSearchableByOthers(String who) {
    if (!ServerProcess.runningAsRoot()) {
      return;
    }
    for (Path p = stateDir; p != null; p = p.getParent()) {
      try {
        if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
          throw new IllegalStateException(who + " and cannot reach " + stateDir
              + ": " + p + " is not searchable by others; make it mode 0755 (a JUnit @TempDir is 0700)");
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the permissions of " + p, e);
      }
    }
  }

  /** Fails clearly when a unix-domain socket path would be too long for the kernel. */
  static void checkSocketPath(Path socket) {
    int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
    if (length > MAX_SOCKET_PATH) {
      throw new IllegalStateException("the socket path " + socket + " is " + length
          + " bytes long; unix-domain socket paths must be shorter than 108 bytes: use a shorter state directory");
    }
  }

  /**
   * @param word a command-line argument
   * @return it quoted for {@code /bin/sh} when it needs quoting
   */
  static String shellQuote(String word) {
    if (SHELL_SAFE.matcher(word).matches()) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /**
   * Removes a directory and everything in it; nothing when it does not exist.
   *
   * @param root the directory
   * @throws UncheckedIOException when something in it cannot be removed
   */
  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.deleteIfExists(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + root, e);
    }
  }
}
