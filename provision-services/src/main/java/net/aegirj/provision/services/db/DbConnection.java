package net.aegirj.provision.services.db;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import net.aegirj.provision.api.ProvisionException;

/**
 * One JDBC connection to a db server, kept for the length of a task (a task resource) and given
 * back after it. Given back early (a task of a batch waiting for the others), it connects again
 * when it is used. Statements are logged by the caller in the task report, never with passwords.
 *
 * <p>A connection given back is kept open for {@link #IDLE_LIMIT}, at most {@link #MAX_IDLE} per
 * server and account, for the next task to take: a batch of a thousand installs opens about as
 * many connections as it runs tasks at once, not one or two per task. One kept too long is closed
 * by a daemon thread; one the server closed meanwhile is noticed when it is taken, and replaced.
 */
final class DbConnection implements AutoCloseable {
  /** How long a connection given back stays open for the next task. */
  static final Duration IDLE_LIMIT = Duration.ofSeconds(30);
  /** How many connections given back stay open per server and account. */
  static final int MAX_IDLE = 8;

  private record Idle(Connection connection, long since) {}

  /** Open connections given back, by server URL, user and a hash of the password. */
  private static final ConcurrentHashMap<String, ConcurrentLinkedDeque<Idle>> IDLE = new ConcurrentHashMap<>();
  private static final ScheduledExecutorService SWEEPER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "provision-db-idle-sweeper");
    t.setDaemon(true);
    return t;
  });

  static {
    long every = IDLE_LIMIT.toMillis() / 3;
    SWEEPER.scheduleWithFixedDelay(() -> IDLE.values().forEach(q -> expire(q, System.nanoTime())), every, every,
        TimeUnit.MILLISECONDS);
  }

  private final String server;
  private final String key;
  private final java.util.function.Supplier<Connection> opener;
  private Connection connection; // guarded by this

  private DbConnection(String server, String key, java.util.function.Supplier<Connection> opener) {
    this.server = server;
    this.key = key;
    this.opener = opener;
    this.connection = take();
  }

  private synchronized Connection connection() {
    if (connection == null) {
      connection = take();
    }
    return connection;
  }

  /** @return an idle connection that still works, else a new one */
  private Connection take() {
    ConcurrentLinkedDeque<Idle> idle = IDLE.get(key);
    for (Idle i = idle == null ? null : idle.pollFirst(); i != null; i = idle.pollFirst()) {
      if (System.nanoTime() - i.since() < IDLE_LIMIT.toNanos() && usable(i.connection())) {
        return i.connection();
      }
      closeQuietly(i.connection());
    }
    return opener.get();
  }

  private static boolean usable(Connection c) {
    try {
      return c.isValid(2) && c.getAutoCommit();
    } catch (SQLException e) {
      return false;
    }
  }

  /** Closes the connections of a queue that have been idle for longer than the limit. */
  private static void expire(ConcurrentLinkedDeque<Idle> idle, long now) {
    for (Idle i = idle.peekLast(); i != null && now - i.since() >= IDLE_LIMIT.toNanos(); i = idle.peekLast()) {
      if (idle.removeLastOccurrence(i)) {
        closeQuietly(i.connection());
      }
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      // closing anyway
    }
  }

  static DbConnection open(String server, MasterDb db, int port) {
    Properties p = new Properties();
    p.setProperty("user", db.user());
    p.setProperty("password", db.password());
    p.setProperty("connectTimeout", "10000");
    p.setProperty("sslMode", "disable");
    String url = "jdbc:mariadb://" + (db.host().contains(":") ? "[" + db.host() + "]" : db.host()) + ":" + port + "/";
    return new DbConnection(server, key(url, db.user(), db.password()), () -> {
      try {
        return DriverManager.getConnection(url, p);
      } catch (SQLException e) {
        throw new ProvisionException(server + ": cannot connect to the database server at " + db.host() + ":" + port
            + " as " + db.user() + ": " + e.getMessage() + "; check master_db and that the server accepts TCP connections",
            e);
      }
    });
  }

  void execute(String sql) {
    try (Statement s = connection().createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new ProvisionException(server + ": " + redact(sql) + " failed: " + e.getMessage(), e);
    }
  }

  List<String> strings(String sql) {
    try (Statement s = connection().createStatement(); ResultSet rs = s.executeQuery(sql)) {
      List<String> out = new ArrayList<>();
      while (rs.next()) {
        out.add(rs.getString(1));
      }
      return out;
    } catch (SQLException e) {
      throw new ProvisionException(server + ": " + redact(sql) + " failed: " + e.getMessage(), e);
    }
  }

  boolean databaseExists(String name) {
    return !strings("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" + name + "'").isEmpty();
  }

  boolean userExists(String user, String host) {
    return !strings("SELECT User FROM mysql.user WHERE User = '" + user + "' AND Host = '" + host + "'").isEmpty();
  }

  /** @return the statement with any quoted password replaced */
  static String redact(String sql) {
    return sql.replaceAll("(?i)(IDENTIFIED BY )'[^']*'", "$1'****'");
  }

  /** The pool key: the password only as a hash, so that no map holds it in clear. */
  private static String key(String url, String user, String password) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
      return url + "\u0000" + user + "\u0000" + HexFormat.of().formatHex(h);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Gives the connection back for the next task (closed when enough are idle, or when it is not in
   * a state to hand on); the next statement takes one again.
   */
  @Override
  public synchronized void close() {
    if (connection == null) {
      return;
    }
    Connection c = connection;
    connection = null;
    ConcurrentLinkedDeque<Idle> idle = IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>());
    if (idle.size() < MAX_IDLE && usable(c)) {
      idle.addFirst(new Idle(c, System.nanoTime()));
    } else {
      closeQuietly(c);
    }
  }
}
