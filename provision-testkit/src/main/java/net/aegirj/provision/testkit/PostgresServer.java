package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A PostgreSQL 15 server, started by {@link LocalServers#postgres()}: a fresh cluster made by
 * {@code initdb} (UTF-8, locale {@code C}, the superuser {@code postgres} with a random password),
 * then {@code postgres} in the foreground, listening on a free port of {@code 127.0.0.1} and on a
 * unix-domain socket in its state directory ({@code -k}), everything in that directory. No
 * configuration file of the Debian cluster is read. Durability is switched off ({@code fsync},
 * {@code synchronous_commit}, {@code full_page_writes}): this server is for tests.
 *
 * <p>PostgreSQL refuses to run as root: when the JVM is root, the state directory is given to the
 * {@code postgres} system user of Debian's package and {@code initdb} and {@code postgres} run as
 * that user through {@code setpriv}. TCP clients authenticate with {@code scram-sha-256}; the
 * socket trusts its clients, but only its owner (and root) may open it (mode 0700).
 *
 * <p>Ready means the server answers {@code pg_isready}; then a database {@value #DATABASE} is
 * created. {@link #close()} asks for a fast shutdown ({@code SIGINT}, which ends open sessions),
 * then stops the process tree.
 */
public final class PostgresServer extends RunningServer {
  /** The directory of the server binaries used. */
  public static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");
  /** The superuser's name. */
  public static final String SUPERUSER = "postgres";
  /** The database created for tests. */
  public static final String DATABASE = "provision";
  private static final String SYSTEM_USER = "postgres";
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z][a-z0-9_]{0,62}");
  private static final Duration INITDB_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration SQL_TIMEOUT = Duration.ofSeconds(30);

  private final Path dir;
  private final Path dataDir;
  private final int port;
  private final String password;

  private PostgresServer(Path dir, Path dataDir, int port, String password, ServerProcess process,
      Duration startupTime) {
    super(process, startupTime);
    this.dir = dir;
    this.dataDir = dataDir;
    this.port = port;
    this.password = password;
  }

  /**
   * Initialises a cluster in {@code dir}, starts the server and creates the database
   * {@value #DATABASE}.
   *
   * @param dir an empty directory for its state (created); when the JVM is root, it and every
   *     directory above it must be searchable by others
   * @return the running server
   * @throws IllegalStateException when PostgreSQL is missing or does not start in time
   */
  static PostgresServer start(Path dir) {
    Path initdb = ServerProcess.requireExecutable(BIN.resolve("initdb"), "postgresql-15");
    Path postgres = ServerProcess.requireExecutable(BIN.resolve("postgres"), "postgresql-15");
    ServerProcess.requireExecutable(BIN.resolve("pg_isready"), "postgresql-client-15");
    ServerProcess.requireExecutable(BIN.resolve("psql"), "postgresql-client-15");
    Instant t0 = Instant.now();
    Path dataDir = dir.resolve("data");
    Path passwordFile = dir.resolve("initdb.pw");
    int port = Ports.free();
    LocalServers.checkSocketPath(dir.resolve(".s.PGSQL." + port));
    boolean root = ServerProcess.runningAsRoot();
    String password = randomPassword();
    try {
      Files.createDirectories(dir);
      Files.writeString(passwordFile, password + "\n");
      Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
      if (root) {
        giveToSystemUser(dir);
        giveToSystemUser(passwordFile);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + dir, e);
    }
    ServerProcess.Result initialised;
    try {
      initialised = ServerProcess.run(asServerUser(root, List.of(initdb.toString(), "-D", dataDir.toString(),
          "-U", SUPERUSER, "--pwfile=" + passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256",
          "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")), INITDB_TIMEOUT);
    } finally {
      try {
        Files.deleteIfExists(passwordFile);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove " + passwordFile, e);
      }
    }
    initialised.saveTo(dir.resolve("initdb.log")).orThrow();

    List<String> command = asServerUser(root, List.of(postgres.toString(), "-D", dataDir.toString(),
        "-p", Integer.toString(port), "-k", dir.toString(), "-c", "listen_addresses=127.0.0.1",
        "-c", "unix_socket_permissions=0700", "-c", "fsync=off", "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off", "-c", "max_connections=60", "-c", "shared_buffers=32MB"));
    ServerProcess process = ServerProcess.start("postgres", command, dir, dir.resolve("console.log"), List.of(),
        STOP_TIMEOUT);
    PostgresServer server = new PostgresServer(dir, dataDir, port, password, process, Duration.ZERO);
    process.awaitReady(p -> {
      p.awaitTcp(port, START_TIMEOUT);
      p.await("pg_isready", server::isReady, START_TIMEOUT);
      server.sql("CREATE DATABASE " + DATABASE);
    });
    return new PostgresServer(dir, dataDir, port, password, process, Duration.between(t0, Instant.now()));
  }

  private static List<String> asServerUser(boolean root, List<String> command) {
    if (!root) {
      return command;
    }
    List<String> out = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=" + SYSTEM_USER,
        "--regid=" + SYSTEM_USER, "--init-groups", "--"));
    out.addAll(command);
    return out;
  }

  private static void giveToSystemUser(Path p) throws IOException {
    UserPrincipalLookupService lookup = p.getFileSystem().getUserPrincipalLookupService();
    UserPrincipal user = lookup.lookupPrincipalByName(SYSTEM_USER);
    GroupPrincipal group = lookup.lookupPrincipalByGroupName(SYSTEM_USER);
    Files.setOwner(p, user);
    Files.setAttribute(p, "posix:group", group);
  }

  private boolean isReady() {
    return ServerProcess.run(List.of(BIN.resolve("pg_isready").toString(), "-q", "-h", dir.toString(), "-p",
        Integer.toString(port), "-U", SUPERUSER, "-d", "postgres"), SQL_TIMEOUT).exitCode() == 0;
  }

  /** @return the TCP port on {@code 127.0.0.1} */
  public int port() {
    return port;
  }

  /** @return the superuser's name, {@value #SUPERUSER} */
  public String user() {
    return SUPERUSER;
  }

  /** @return the superuser's password: random, letters and digits only */
  public String password() {
    return password;
  }

  /**
   * @param database a database name: lower-case letters, digits and {@code _}
   * @return the JDBC URL of that database over TCP, without credentials
   */
  public String jdbcUrl(String database) {
    if (!IDENTIFIER.matcher(database).matches()) {
      throw new IllegalArgumentException("not a plain database name: " + database);
    }
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** @return the JDBC URL of the database {@value #DATABASE} */
  public String jdbcUrl() {
    return jdbcUrl(DATABASE);
  }

  /** @return the state directory, which holds the socket */
  public Path dir() {
    return dir;
  }

  /** @return the data directory */
  public Path dataDir() {
    return dataDir;
  }

  /**
   * Runs SQL as the superuser in the database {@code postgres}, through the socket, with
   * {@code psql} (no {@code .psqlrc}, stop at the first error, unaligned tuples only), for test
   * set-up and assertions.
   *
   * @param statements one or more statements; several run as one transaction
   * @return psql's standard output, without its final line break: rows on lines, columns
   *     separated by {@code |}
   * @throws IllegalStateException when psql fails, with its error output
   */
  public String sql(String statements) {
    List<String> command = List.of(BIN.resolve("psql").toString(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
        "-h", dir.toString(), "-p", Integer.toString(port), "-U", SUPERUSER, "-d", "postgres", "-c", statements);
    return ServerProcess.run(command, SQL_TIMEOUT).orThrow().output();
  }

  /** Fast shutdown ({@code SIGINT}: open sessions are ended), then the whole process tree is stopped. */
  @Override
  public void close() {
    if (process().isAlive()) {
      ServerProcess.run(List.of("/bin/kill", "-INT", Long.toString(process().pid())), SQL_TIMEOUT);
    }
    super.close();
  }

  @Override
  public String toString() {
    return "postgres 127.0.0.1:" + port;
  }
}
