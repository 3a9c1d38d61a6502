package net.aegirj.provision.services.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import net.aegirj.provision.api.ProvisionException;

/**
 * One JDBC connection to a db server, kept for the length of a task (a task resource) and closed
 * after it. Closed early (a task of a batch waiting for the others), it connects again when it is
 * used. Statements are logged by the caller in the task report, never with passwords.
 */
final class DbConnection implements AutoCloseable {
  private final String server;
  private final java.util.function.Supplier<Connection> opener;
  private Connection connection; // guarded by this

  private DbConnection(String server, java.util.function.Supplier<Connection> opener) {
    this.server = server;
    this.opener = opener;
    this.connection = opener.get();
  }

  private synchronized Connection connection() {
    if (connection == null) {
      connection = opener.get();
    }
    return connection;
  }

  static DbConnection open(String server, MasterDb db, int port) {
    Properties p = new Properties();
    p.setProperty("user", db.user());
    p.setProperty("password", db.password());
    p.setProperty("connectTimeout", "10000");
    p.setProperty("sslMode", "disable");
    String url = "jdbc:mariadb://" + (db.host().contains(":") ? "[" + db.host() + "]" : db.host()) + ":" + port + "/";
    return new DbConnection(server, () -> {
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

  /** Closes the connection; the next statement opens a new one. */
  @Override
  public synchronized void close() {
    if (connection == null) {
      return;
    }
    try {
      connection.close();
    } catch (SQLException e) {
      // closing anyway
    } finally {
      connection = null;
    }
  }
}
