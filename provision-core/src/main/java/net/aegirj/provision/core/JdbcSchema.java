package net.aegirj.provision.core;

import static net.aegirj.provision.core.ConnectionSource.rollbackQuietly;
import static net.aegirj.provision.core.JdbcContextRepository.LOCK_WAIT_MILLIS;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.core.JdbcDialect.LockKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tables of a {@link JdbcContextRepository}: creates them on one connection, or migrates them
 * step by step, under a database lock so that processes starting together are safe; the version
 * is recorded in {@code <prefix>schema}.
 */
final class JdbcSchema {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcContextRepository.class);

  private final String description;
  private final String prefix;
  private final String schemaTable;

  JdbcSchema(String description, String prefix) {
    this.description = description;
    this.prefix = prefix;
    this.schemaTable = prefix + "schema";
  }

  /**
   * Detects the dialect, then creates or migrates the tables, holding the schema lock meanwhile.
   *
   * @return the dialect of the database
   */
  JdbcDialect migrate(Connection c) throws SQLException {
    DatabaseMetaData meta = c.getMetaData();
    JdbcDialect d = JdbcDialect.detect(meta.getDatabaseProductName(), description);
    byte[] hash = LockKey.sha256("net.aegirj.provision.JdbcContextRepository:" + d.scope(c, prefix));
    LockKey schemaLock = new LockKey("provision:" + HexFormat.of().formatHex(hash, 0, 20), LockKey.key(hash));
    c.setAutoCommit(true);
    if (!JdbcDialect.poll(TimeUnit.MILLISECONDS.toNanos(LOCK_WAIT_MILLIS), () -> d.tryLock(c, schemaLock))) {
      throw new ProvisionException(Thread.currentThread().isInterrupted()
          ? "interrupted while waiting for the schema lock of " + description
          : "cannot lock the schema of " + description + " within " + LOCK_WAIT_MILLIS / 1000
              + " s: another process holds " + d.describe(schemaLock));
    }
    try {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE IF NOT EXISTS " + schemaTable
            + " (id INT NOT NULL PRIMARY KEY, version INT NOT NULL)");
      }
      int version = storedSchemaVersion(c);
      List<List<String>> steps = d.migrations(prefix);
      if (version > steps.size()) {
        throw new ProvisionException("the tables " + prefix + "* in " + description + " are at schema version "
            + version + ", newer than this release knows (" + steps.size() + "): upgrade Provision");
      }
      if (version < 0) {
        try (Statement st = c.createStatement()) {
          st.executeUpdate("INSERT INTO " + schemaTable + " (id, version) VALUES (1, 0)");
        }
        version = 0;
      }
      for (int step = version; step < steps.size(); step++) {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
          for (String sql : steps.get(step)) {
            st.execute(sql);
          }
          st.executeUpdate("UPDATE " + schemaTable + " SET version = " + (step + 1) + " WHERE id = 1");
          c.commit();
        } catch (SQLException | RuntimeException e) {
          rollbackQuietly(c);
          throw e;
        } finally {
          c.setAutoCommit(true);
        }
        LOG.info("{}: tables {}* migrated to schema version {}", description, prefix, step + 1);
      }
    } finally {
      d.unlock(c, schemaLock);
    }
    return d;
  }

  /** @return the recorded schema version, or -1 when no version is recorded yet */
  private int storedSchemaVersion(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version FROM " + schemaTable + " WHERE id = 1")) {
      return rs.next() ? rs.getInt(1) : -1;
    }
  }
}
