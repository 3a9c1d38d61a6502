package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.api.PropertyChanges;

/**
 * A MariaDB 10.11 server, started by {@link LocalServers#mariadb()}: a fresh data directory made
 * by {@code mariadb-install-db --no-defaults --auth-root-authentication-method=socket
 * --skip-test-db}, then {@code mariadbd --no-defaults} on a free port of {@code 127.0.0.1} and on
 * the socket {@code mysqld.sock}, everything in its state directory. No option file is read; the
 * command line adds what Debian's {@code 50-server.cnf} sets that matters to Provision
 * ({@code utf8mb4} as the server's character set) and disables native AIO, which containers
 * often forbid. Host names are resolved as on a stock server, so a TCP client from
 * {@code 127.0.0.1} matches accounts {@code @'localhost'} too.
 *
 * <p>Ready means the TCP port and the socket accept connections. Then, through the socket as the
 * database's root (socket authentication: only the system user that runs the server gets in),
 * it creates the admin account Provision uses, {@code provision_admin} at {@code 127.0.0.1} and
 * at {@code localhost}, with a random password and {@code ALL PRIVILEGES ... WITH GRANT OPTION}.
 * {@link #masterDbUrl()} gives it as Provision's {@code master_db} value.
 */
public final class MariaDbServer extends RunningServer {
  /** The server binary used. */
  public static final Path MARIADBD = Path.of("/usr/sbin/mariadbd");
  /** The data directory initialiser used. */
  public static final Path INSTALL_DB = Path.of("/usr/bin/mariadb-install-db");
  /** The command-line client used by {@link #sql}. */
  public static final Path CLIENT = Path.of("/usr/bin/mariadb");
  /** The admin account's user name. */
  public static final String ADMIN_USER = "provision_admin";
  private static final Duration INSTALL_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration SQL_TIMEOUT = Duration.ofSeconds(30);

  private final Path dir;
  private final Path dataDir;
  private final Path socket;
  private final Path errorLog;
  private final int port;
  private final String adminPassword;

  private MariaDbServer(Path dir, Path dataDir, Path socket, Path errorLog, int port, String adminPassword,
      ServerProcess process, Duration startupTime) {
    super(process, startupTime);
    this.dir = dir;
    this.dataDir = dataDir;
    this.socket = socket;
    this.errorLog = errorLog;
    this.port = port;
    this.adminPassword = adminPassword;
  }

  /**
   * Initialises a data directory in {@code dir}, starts the server and creates the admin account.
   *
   * @param dir an empty directory for its state (created)
   * @return the running server
   * @throws IllegalStateException when MariaDB is missing or does not start in time
   */
  static MariaDbServer start(Path dir) {
    ServerProcess.requireExecutable(MARIADBD, "mariadb-server");
    ServerProcess.requireExecutable(INSTALL_DB, "mariadb-server");
    ServerProcess.requireExecutable(CLIENT, "mariadb-client");
    Instant t0 = Instant.now();
    Path dataDir = dir.resolve("data");
    Path socket = dir.resolve("mysqld.sock");
    Path errorLog = dir.resolve("mysqld.err");
    Path tmp = dir.resolve("tmp");
    LocalServers.checkSocketPath(socket);
    boolean root = ServerProcess.runningAsRoot();
    try {
      Files.createDirectories(tmp);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + tmp, e);
    }
    List<String> install = new ArrayList<>(List.of(INSTALL_DB.toString(), "--no-defaults",
        "--auth-root-authentication-method=socket", "--skip-test-db", "--datadir=" + dataDir));
    if (root) {
      install.add("--user=root");
    }
    ServerProcess.run(install, INSTALL_TIMEOUT).saveTo(dir.resolve("install.log")).orThrow();

    int port = Ports.free();
    List<String> command = new ArrayList<>(List.of(MARIADBD.toString(), "--no-defaults",
        "--datadir=" + dataDir, "--socket=" + socket, "--port=" + port, "--bind-address=127.0.0.1",
        "--pid-file=" + dir.resolve("mysqld.pid"), "--log-error=" + errorLog, "--tmpdir=" + tmp,
        "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
        "--innodb-use-native-aio=0", "--innodb-buffer-pool-size=64M"));
    if (root) {
      command.add("--user=root");
    }
    ServerProcess process = ServerProcess.start("mariadbd", command, dir, dir.resolve("console.log"),
        List.of(errorLog), STOP_TIMEOUT);
    String password = randomPassword();
    process.awaitReady(p -> {
      p.awaitTcp(port, START_TIMEOUT);
      p.awaitUnixSocket(socket, START_TIMEOUT);
      String sql = "";
      for (String host : List.of("127.0.0.1", "localhost")) {
        String account = "'" + ADMIN_USER + "'@'" + host + "'";
        sql += "CREATE USER " + account + " IDENTIFIED BY '" + password + "'; "
            + "GRANT ALL PRIVILEGES ON *.* TO " + account + " WITH GRANT OPTION; ";
      }
      rootSql(socket, sql + "FLUSH PRIVILEGES;");
    });
    return new MariaDbServer(dir, dataDir, socket, errorLog, port, password, process,
        Duration.between(t0, Instant.now()));
  }

  /** @return the TCP port on {@code 127.0.0.1} */
  public int port() {
    return port;
  }

  /** @return the unix-domain socket */
  public Path socket() {
    return socket;
  }

  /** @return the admin account's user name, {@value #ADMIN_USER} */
  public String adminUser() {
    return ADMIN_USER;
  }

  /** @return the admin account's password: random, letters and digits only */
  public String adminPassword() {
    return adminPassword;
  }

  /**
   * @return Provision's {@code master_db} value for the admin account:
   *     {@code mysql://provision_admin:<url-encoded password>@127.0.0.1:<port>}
   */
  public String masterDbUrl() {
    return "mysql://" + ADMIN_USER + ":" + URLEncoder.encode(adminPassword, StandardCharsets.UTF_8) + "@127.0.0.1:"
        + port;
  }

  /**
   * @return what a server context needs to be this db server: {@code context_type=server},
   *     {@code remote_host=127.0.0.1}, the mysql db service with {@link #masterDbUrl()} and the port
   */
  public PropertyChanges serverContext() {
    return PropertyChanges.builder().set("context_type", "server").set("remote_host", "127.0.0.1")
        .set("db_service_type", "mysql").set("master_db", masterDbUrl()).set("db_port", Integer.toString(port))
        .build();
  }

  /** @return the state directory */
  public Path dir() {
    return dir;
  }

  /** @return the data directory */
  public Path dataDir() {
    return dataDir;
  }

  /** @return the server's error log */
  public Path errorLog() {
    return errorLog;
  }

  /**
   * Runs SQL as the database's root, through the socket, with the {@code mariadb} client in batch
   * mode without column names ({@code -N -B}), for test assertions.
   *
   * @param statements one or more statements
   * @return the client's standard output, without its final line break: rows on lines, columns
   *     separated by tabs
   * @throws IllegalStateException when the client fails, with its error output
   */
  public String sql(String statements) {
    return rootSql(socket, statements);
  }

  /**
   * Runs SQL over TCP to {@code 127.0.0.1:<port>} as the given account, like {@link #sql}; the
   * password is passed in the environment, not on the command line.
   *
   * @param user the account's user name
   * @param password its password
   * @param statements one or more statements
   * @return the client's standard output, without its final line break
   * @throws IllegalStateException when the client fails (for example, access denied)
   */
  public String sqlOverTcp(String user, String password, String statements) {
    List<String> command = List.of(CLIENT.toString(), "--no-defaults", "--protocol=TCP", "-h", "127.0.0.1", "-P",
        Integer.toString(port), "-u", user, "-N", "-B", "-e", statements);
    return ServerProcess.run(command, Map.of("MYSQL_PWD", password), SQL_TIMEOUT).orThrow().output();
  }

  @Override
  public String toString() {
    return "mariadbd 127.0.0.1:" + port;
  }

  private static String rootSql(Path socket, String statements) {
    List<String> command = List.of(CLIENT.toString(), "--no-defaults", "-S", socket.toString(), "-u", "root", "-N",
        "-B", "-e", statements);
    return ServerProcess.run(command, SQL_TIMEOUT).orThrow().output();
  }
}
