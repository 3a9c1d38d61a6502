package net.aegirj.provision.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import net.aegirj.provision.api.ProvisionException;

/**
 * What differs between the database families of the {@link JdbcContextRepository}: its tables,
 * its clock, and the locks of a database session (which never wait; {@link #poll} does the
 * waiting).
 */
enum JdbcDialect {
  // GET_LOCK: 1 taken, 0 another session holds it (after the time-out of 0 s), NULL an error;
  // RELEASE_LOCK: 1 released, 0 another session holds it, NULL nobody does
  MYSQL("SELECT GET_LOCK(?, 0)", "SELECT RELEASE_LOCK(?)", "SELECT RELEASE_ALL_LOCKS()") {
    @Override
    List<List<String>> migrations(String p) {
      String name = " VARCHAR(253) CHARACTER SET ascii COLLATE ascii_bin NOT NULL";
      return List.of(List.of(
          "CREATE TABLE IF NOT EXISTS " + p + "context (name" + name + ", "
              + "type VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, version BIGINT NOT NULL, "
              + "body LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, "
              + "updated_at DATETIME(6) NOT NULL, PRIMARY KEY (name), KEY " + p + "context_type (type, name)) "
              + "ENGINE=InnoDB",
          "CREATE TABLE IF NOT EXISTS " + p + "reference (from_name" + name + ", to_name" + name + ", "
              + "PRIMARY KEY (from_name, to_name), KEY " + p + "reference_to (to_name, from_name)) ENGINE=InnoDB"),
          List.of("CREATE TABLE IF NOT EXISTS " + p + "host (host_name VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin"
              + " NOT NULL, site_name" + name + ", PRIMARY KEY (host_name), KEY " + p + "host_site (site_name))"
              + " ENGINE=InnoDB"));
    }

    @Override
    String now() {
      return "UTC_TIMESTAMP(6)";
    }

    @Override
    String keepSession() {
      return "SET SESSION wait_timeout = 31536000"; // the most the server allows: a year
    }

    @Override
    Object parameter(LockKey lock) {
      return lock.name();
    }

    @Override
    String describe(LockKey lock) {
      return "GET_LOCK('" + lock.name() + "')";
    }
  },
  // pg_advisory_unlock: false (and a warning from the server) when this session did not hold it
  POSTGRESQL("SELECT CASE WHEN pg_try_advisory_lock(?) THEN 1 ELSE 0 END",
      "SELECT CASE WHEN pg_advisory_unlock(?) THEN 1 ELSE 0 END", "SELECT pg_advisory_unlock_all()") {
    @Override
    List<List<String>> migrations(String p) {
      String name = " VARCHAR(253) COLLATE \"C\" NOT NULL";
      return List.of(List.of(
          "CREATE TABLE IF NOT EXISTS " + p + "context (name" + name + " PRIMARY KEY, "
              + "type VARCHAR(32) COLLATE \"C\" NOT NULL, version BIGINT NOT NULL, body TEXT NOT NULL, "
              + "updated_at TIMESTAMP WITH TIME ZONE NOT NULL)",
          "CREATE INDEX IF NOT EXISTS " + p + "context_type ON " + p + "context (type, name)",
          "CREATE TABLE IF NOT EXISTS " + p + "reference (from_name" + name + ", to_name" + name + ", "
              + "PRIMARY KEY (from_name, to_name))",
          "CREATE INDEX IF NOT EXISTS " + p + "reference_to ON " + p + "reference (to_name, from_name)"),
          List.of("CREATE TABLE IF NOT EXISTS " + p + "host (host_name VARCHAR(512) COLLATE \"C\" NOT NULL PRIMARY KEY, "
              + "site_name" + name + ")",
              "CREATE INDEX IF NOT EXISTS " + p + "host_site ON " + p + "host (site_name)"));
    }

    @Override
    String now() {
      return "CURRENT_TIMESTAMP";
    }

    @Override
    String keepSession() {
      return "SET idle_session_timeout = 0"; // PostgreSQL 14 and later; older ones have none
    }

    @Override
    Object parameter(LockKey lock) {
      return lock.key();
    }

    @Override
    String describe(LockKey lock) {
      return "advisory lock " + lock.key();
    }
  };

  private final String tryLockSql;
  private final String unlockSql;
  private final String unlockAllSql;

  /** The lock functions: each answers 1 when it took or released the lock. */
  JdbcDialect(String tryLockSql, String unlockSql, String unlockAllSql) {
    this.tryLockSql = tryLockSql;
    this.unlockSql = unlockSql;
    this.unlockAllSql = unlockAllSql;
  }

  /** @return the migration steps, in order: step {@code i} takes the schema to version {@code i + 1} */
  abstract List<List<String>> migrations(String prefix);

  /** @return the SQL expression of the current time */
  abstract String now();

  /** @return the statement that keeps an idle session open: the locks held on it live as long */
  abstract String keepSession();

  /**
   * Takes a lock of the connection's session without waiting; the session holds it until it
   * is released or the session ends (a dead client's session ends with its connection).
   *
   * @return true when this session holds it now, false when another session does
   */
  boolean tryLock(Connection c, LockKey lock) throws SQLException {
    return query(c, tryLockSql, parameter(lock)) == 1;
  }

  /** @return true when the session held the lock and released it */
  boolean unlock(Connection c, LockKey lock) throws SQLException {
    return query(c, unlockSql, parameter(lock)) == 1;
  }

  /** Releases every lock the session holds. */
  void unlockAll(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.executeQuery(unlockAllSql).close();
    }
  }

  /** @return what names the lock in the dialect's lock functions */
  abstract Object parameter(LockKey lock);

  /** @return how the lock is shown in messages */
  abstract String describe(LockKey lock);

  /** @return the integer of the one-row, one-column answer to the query; -1 for NULL */
  static int query(Connection c, String sql, Object parameter) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setObject(1, parameter);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return -1;
        }
        int v = rs.getInt(1);
        return rs.wasNull() ? -1 : v;
      }
    }
  }

  /** @return what sets a repository apart on its server: database, schema (PostgreSQL), table prefix */
  String scope(Connection c, String prefix) throws SQLException {
    return c.getCatalog() + "." + (this == POSTGRESQL ? c.getSchema() : "") + "." + prefix;
  }

  static JdbcDialect detect(String product, String description) {
    String p = product == null ? "" : product.toLowerCase(Locale.ROOT);
    if (p.contains("mariadb") || p.contains("mysql")) {
      return MYSQL;
    }
    if (p.contains("postgresql")) {
      return POSTGRESQL;
    }
    throw new ProvisionException(description + " is " + product
        + ", which the JDBC repository does not support: use MariaDB, MySQL or PostgreSQL");
  }

  /**
   * A lock of the database session: a name for {@code GET_LOCK} (at most 64 characters) and a
   * key for PostgreSQL's advisory locks.
   */
  record LockKey(String name, long key) {
    /** @return the first 8 bytes of a hash as a key of PostgreSQL's advisory locks */
    static long key(byte[] hash) {
      long k = 0;
      for (int i = 0; i < 8; i++) {
        k = (k << 8) | (hash[i] & 0xff);
      }
      return k;
    }

    /** @return the SHA-256 of the text, which lock names and keys are made from */
    static byte[] sha256(String s) {
      try {
        return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** One try at taking a lock. */
  interface Attempt {
    boolean run() throws SQLException;
  }

  /**
   * Tries at once, then again after 10 ms, pausing twice as long each time up to 200 ms, until
   * the attempt succeeds or the wait is over.
   *
   * @return whether the attempt succeeded; false when the wait ran out or the thread was
   *     interrupted (its flag is set again then)
   */
  static boolean poll(long waitNanos, Attempt attempt) throws SQLException {
    long start = System.nanoTime();
    long pause = 10;
    while (!attempt.run()) {
      long left = waitNanos - (System.nanoTime() - start);
      if (left <= 0) {
        return false;
      }
      try {
        Thread.sleep(Math.min(pause, TimeUnit.NANOSECONDS.toMillis(left) + 1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      pause = Math.min(pause * 2, 200);
    }
    return true;
  }
}
