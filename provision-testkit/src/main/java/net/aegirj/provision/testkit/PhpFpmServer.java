package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A PHP-FPM master with one pool, started by {@link LocalServers#phpFpm()} as
 * {@code php-fpm<version> -F -R -y <stateDir>/php-fpm.conf} (see {@link #PHP_FPM}). Everything lives in its state directory:
 * the configuration, the pid file, the error log (which also gets the workers' output), the
 * listening socket {@code php-fpm.sock}, PHP's session and temporary directories. Debian's
 * {@code php.ini} and {@code conf.d} are used as they are, so the pool has the extensions that are
 * installed ({@code pdo_mysql} comes with the Debian package {@code php-mysql}).
 *
 * <p>The pool is {@code pm = static} with 2 children running as the user of this JVM ({@code -R}
 * allows root), {@code clear_env = no}, and a socket of mode 0666 so that nginx and Apache workers
 * running as {@code www-data} may connect (they also need search permission on every directory
 * above it). Ready means the socket accepts connections. {@link #close()} stops it ({@code SIGTERM},
 * then {@code SIGKILL} on the whole tree).
 */
public final class PhpFpmServer extends RunningServer {
  private static final Pattern VERSIONED = Pattern.compile("php-fpm([0-9]{1,2})\\.([0-9]{1,2})");
  /**
   * The PHP-FPM binary used: {@code $PROVISION_PHP_FPM} when set, else the newest
   * {@code /usr/sbin/php-fpm<major>.<minor>} installed (Debian names it after the PHP version),
   * else {@code /usr/sbin/php-fpm8.2}.
   */
  public static final Path PHP_FPM = find(System.getenv("PROVISION_PHP_FPM"), Path.of("/usr/sbin"));
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final Path dir;
  private final Path config;
  private final Path socket;
  private final Path errorLog;

  private PhpFpmServer(Path dir, Path config, Path socket, Path errorLog, ServerProcess process,
      Duration startupTime) {
    super(process, startupTime);
    this.dir = dir;
    this.config = config;
    this.socket = socket;
    this.errorLog = errorLog;
  }

  /**
   * @param override an explicit binary, or null
   * @param sbin where Debian installs {@code php-fpm<version>}
   * @return the binary to use
   */
  static Path find(String override, Path sbin) {
    if (override != null && !override.isBlank()) {
      return Path.of(override);
    }
    Path best = null;
    int[] bestVersion = null;
    try (Stream<Path> files = Files.list(sbin)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Matcher m = VERSIONED.matcher(p.getFileName().toString());
        if (m.matches() && Files.isExecutable(p)) {
          int[] v = {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
          if (bestVersion == null || v[0] > bestVersion[0] || (v[0] == bestVersion[0] && v[1] > bestVersion[1])) {
            best = p;
            bestVersion = v;
          }
        }
      }
    } catch (IOException | UncheckedIOException e) {
      // no such directory: the default below, reported by requireExecutable when used
    }
    return best != null ? best : sbin.resolve("php-fpm8.2");
  }

  /**
   * Writes the configuration into {@code dir}, starts PHP-FPM and waits for its socket.
   *
   * @param dir an empty directory for its state (created)
   * @return the running server
   * @throws IllegalStateException when PHP-FPM is missing or does not start in time
   */
  static PhpFpmServer start(Path dir) {
    ServerProcess.requireExecutable(PHP_FPM, "php-fpm (Debian's php-fpm package)");
    Instant t0 = Instant.now();
    Path config = dir.resolve("php-fpm.conf");
    Path socket = dir.resolve("php-fpm.sock");
    Path errorLog = dir.resolve("php-fpm.log");
    LocalServers.checkSocketPath(socket);
    boolean root = ServerProcess.runningAsRoot();
    String user = root ? "user = root\ngroup = root\n" : "";
    String text = "; written by the Provision testkit\n"
        + "[global]\n"
        + "pid = " + dir.resolve("php-fpm.pid") + "\n"
        + "error_log = " + errorLog + "\n"
        + "daemonize = no\n"
        + "\n"
        + "[www]\n"
        + user
        + "listen = " + socket + "\n"
        + "listen.mode = 0666\n"
        + "pm = static\n"
        + "pm.max_children = 2\n"
        + "clear_env = no\n"
        + "catch_workers_output = yes\n"
        + "decorate_workers_output = no\n"
        + "php_admin_value[session.save_path] = " + dir.resolve("sessions") + "\n"
        + "php_admin_value[sys_temp_dir] = " + dir.resolve("tmp") + "\n"
        + "php_admin_value[upload_tmp_dir] = " + dir.resolve("tmp") + "\n";
    writeConfig(config, text, dir.resolve("sessions"), dir.resolve("tmp"));
    List<String> command = List.of(PHP_FPM.toString(), "-F", "-R", "-y", config.toString());
    ServerProcess process = ServerProcess.start("php-fpm", command, dir, dir.resolve("console.log"),
        List.of(errorLog), STOP_TIMEOUT);
    process.awaitReady(p -> p.awaitUnixSocket(socket, START_TIMEOUT));
    return new PhpFpmServer(dir, config, socket, errorLog, process, Duration.between(t0, Instant.now()));
  }

  /** @return the FastCGI address for nginx's {@code fastcgi_pass}: {@code unix:<socket>} */
  public String address() {
    return "unix:" + socket;
  }

  /** @return the unix-domain socket the pool listens on */
  public Path socket() {
    return socket;
  }

  /** @return the state directory */
  public Path dir() {
    return dir;
  }

  /** @return the main configuration file */
  public Path config() {
    return config;
  }

  /** @return PHP-FPM's error log, which also has the workers' output */
  public Path errorLog() {
    return errorLog;
  }

  @Override
  public String toString() {
    return "php-fpm " + address();
  }
}
