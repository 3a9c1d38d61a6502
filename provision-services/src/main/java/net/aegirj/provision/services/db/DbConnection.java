package net.aegirj.provision.services.db;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;
import net.aegirj.provision.api.ProvisionException;

/**
 * One JDBC connection to a db server, kept for the length of a task (a task resource) and given
 * back to its {@link DbPool} after it. Given back early (a task of a batch waiting for the
 * others), it connects again when it is used. Statements are logged by the caller in the task
 * report, never with passwords.
 */
final class DbConnection implements AutoCloseable {
  private final String server;
  private final DbPool pool;
  private final String key;
  private final Supplier<Connection> opener;
  private Connection connection; // guarded by this
  /** Whether the connection came idle from the pool and has run nothing yet. */
  private boolean untried; // guarded by this

  private DbConnection(String server, DbPool pool, String key, Supplier<Connection> opener) {
    this.server = server;
    this.pool = pool;
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

  /** @return an idle connection of the pool that still works, else a new one */
  private Connection take() {
    Optional<Connection> idle = pool.take(key);
    untried = idle.isPresent();
    return idle.orElseGet(opener);
  }

  /**
   * Runs the work; when it is the first use of a connection taken from the pool (handed on
   * without a round trip, {@link DbPool#TRUSTED_FOR}) and the server had ended that connection
   * meanwhile, the work runs once more on a new connection: the server ran nothing on a session it
   * had already ended.
   */
  private <T> T withConnection(SqlCall<T> call) throws SQLException {
    Connection c;
    boolean first;
    synchronized (this) {
      c = connection();
      first = untried;
      untried = false;
    }
    try {
      return call.call(c);
    } catch (SQLTransientConnectionException | SQLNonTransientConnectionException e) {
      if (!first) {
        throw e;
      }
      synchronized (this) {
        if (connection == c) {
          connection = null;
        }
        try {
          c.close();
        } catch (SQLException closing) {
          // it is gone already
        }
        connection = opener.get();
        c = connection;
      }
      return call.call(c);
    }
  }

  /** A call on a connection. */
  @FunctionalInterface
  private interface SqlCall<T> {
    T call(Connection c) throws SQLException;
  }

  static DbConnection open(String server, MasterDb db, int port, DbPool pool) {
    Properties p = new Properties();
    p.setProperty("user", db.user());
    p.setProperty("password", db.password());
    p.setProperty("connectTimeout", "10000");
    p.setProperty("sslMode", "disable");
    String url = "jdbc:mariadb://" + (db.host().contains(":") ? "[" + db.host() + "]" : db.host()) + ":" + port + "/";
    return new DbConnection(server, pool, key(url, db.user(), db.password()), () -> {
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
    try {
      withConnection(c -> {
        try (Statement s = c.createStatement()) {
          return s.execute(sql);
        }
      });
    } catch (SQLException e) {
      throw new ProvisionException(server + ": " + redact(sql) + " failed: " + e.getMessage(), e);
    }
  }

  List<String> strings(String sql) {
    try {
      return withConnection(c -> {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
          List<String> out = new ArrayList<>();
          while (rs.next()) {
            out.add(rs.getString(1));
          }
          return out;
        }
      });
    } catch (SQLException e) {
      throw new ProvisionException(server + ": " + redact(sql) + " failed: " + e.getMessage(), e);
    }
  }

  /** Work done with the connection itself (several queries read together). */
  @FunctionalInterface
  interface Work {
    /**
     * @param c the connection
     * @throws SQLException when a statement fails
     */
    void run(Connection c) throws SQLException;
  }

  void query(Work work) {
    try {
      withConnection(c -> {
        work.run(c);
        return null;
      });
    } catch (SQLException e) {
      throw new ProvisionException(server + ": " + e.getMessage(), e);
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
   * Gives the connection back to the pool for the next task (closed when enough are idle, when the
   * pool is closed, or when it is not in a state to hand on); the next statement takes one again.
   */
  @Override
  public synchronized void close() {
    if (connection == null) {
      return;
    }
    Connection c = connection;
    connection = null;
    pool.giveBack(key, c);
  }
}
