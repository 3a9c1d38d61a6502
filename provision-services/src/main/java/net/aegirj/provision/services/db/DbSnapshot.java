package net.aegirj.provision.services.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a db server holds, read once for a batch of tasks (a batch's shared value, {@code
 * StepContext.batch}): every database, every account, and which accounts have all privileges on
 * which database. Three queries stand in for three to five per site.
 *
 * <p>It answers only what it is sure of. A database or account is in it or not as the server said
 * when the batch first asked; one that a task of the batch is about to change is marked
 * ({@link #touch}) and from then on asked of the server again. For grants it answers only "yes":
 * a privilege row that does not list every privilege sends the caller to {@code SHOW GRANTS}, so
 * that the snapshot can never make a verify grant what is granted already. When the server does
 * not let the master account read its privilege tables, the snapshot knows nothing and every
 * question goes to the server, as without a batch.
 */
final class DbSnapshot implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DbSnapshot.class);

  private final String server;
  private final Set<String> databases = new HashSet<>();
  private final Set<String> accounts = new HashSet<>();
  /** {@code user@host@pattern} of the accounts with every database-level privilege. */
  private final Set<String> allPrivileges = new HashSet<>();
  /** Names a task of the batch changes: asked of the server again. */
  private final Set<String> touched = new HashSet<>();
  private boolean loaded;
  private boolean usable;

  /** @param server the db server's name, for messages */
  DbSnapshot(String server) {
    this.server = server;
  }

  /** Reads the server's databases, accounts and database privileges, once. */
  synchronized DbSnapshot load(DbConnection c) {
    if (!loaded) {
      loaded = true;
      try {
        c.query(this::read);
        usable = true;
      } catch (RuntimeException e) {
        LOG.debug("{}: no snapshot of the databases and accounts ({}); asking per site", server, e.getMessage());
        databases.clear();
        accounts.clear();
        allPrivileges.clear();
      }
    }
    return this;
  }

  private void read(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")) {
        while (rs.next()) {
          databases.add(rs.getString(1));
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT User, Host FROM mysql.user")) {
        while (rs.next()) {
          accounts.add(account(rs.getString(1), rs.getString(2)));
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT * FROM mysql.db")) {
        ResultSetMetaData m = rs.getMetaData();
        while (rs.next()) {
          boolean all = true;
          int privileges = 0;
          for (int i = 1; i <= m.getColumnCount(); i++) {
            String column = m.getColumnLabel(i).toLowerCase(Locale.ROOT);
            if (column.endsWith("_priv") && !column.equals("grant_priv")) {
              privileges++;
              all &= "Y".equalsIgnoreCase(rs.getString(i));
            }
          }
          if (all && privileges > 0) {
            allPrivileges.add(account(rs.getString("User"), rs.getString("Host")) + "@" + rs.getString("Db"));
          }
        }
      }
    }
  }

  private static String account(String user, String host) {
    return user + "@" + host;
  }

  /**
   * Marks names a task is about to change (a database, or a user's every account): the snapshot
   * no longer answers for them.
   *
   * @param names database or user names
   */
  synchronized void touch(String... names) {
    touched.addAll(Arrays.asList(names));
  }

  /**
   * @param name a database name
   * @return whether it exists, or empty when the server must be asked
   */
  synchronized Optional<Boolean> databaseExists(String name) {
    return !usable || touched.contains(name) ? Optional.empty() : Optional.of(databases.contains(name));
  }

  /**
   * @param user a user name
   * @param host a grant host
   * @return whether the account exists, or empty when the server must be asked
   */
  synchronized Optional<Boolean> userExists(String user, String host) {
    return !usable || touched.contains(user) ? Optional.empty() : Optional.of(accounts.contains(account(user, host)));
  }

  /**
   * @param user a user name
   * @param host a grant host
   * @param database a database name
   * @return true when the account has every privilege on the database; false when the server
   *     must be asked
   */
  synchronized boolean hasAllPrivileges(String user, String host, String database) {
    return usable && !touched.contains(user) && !touched.contains(database)
        && allPrivileges.contains(account(user, host) + "@" + database.replace("_", "\\_"));
  }

  @Override
  public void close() {
    // holds no connection: it was read through a task's
  }
}
