package net.aegirj.provision.core;

import static net.aegirj.provision.core.ConnectionSource.rollbackQuietly;
import static net.aegirj.provision.core.JdbcContextRepository.LOCK_WAIT_MILLIS;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.core.JdbcDialect.LockKey;
import net.aegirj.provision.core.internal.JsonCodec;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.Versioned;
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
          if (step == HOST_INDEX_STEP) {
            fillHostIndex(c);
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

  /** The migration step that creates {@code <prefix>host}, which is then filled from the stored sites. */
  static final int HOST_INDEX_STEP = 1;

  /**
   * Indexes the host names of the sites stored before the index existed. Two sites stored with
   * one name (which the index now prevents) keep it for the first by name, with a warning.
   */
  private void fillHostIndex(Connection c) throws SQLException {
    Map<String, String> owners = new TreeMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT name, body FROM " + prefix + "context WHERE type = ? ORDER BY name")) {
      ps.setString(1, ContextType.SITE.id());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String name = rs.getString(1);
          Versioned v;
          try {
            v = JsonCodec.read(rs.getString(2).getBytes(StandardCharsets.UTF_8));
          } catch (IOException | RuntimeException e) {
            LOG.warn("{}: the host names of '{}' are not indexed, its document cannot be read: {}", description, name,
                e.getMessage());
            continue;
          }
          for (String h : ContextRepository.hostNames(v.context())) {
            String other = owners.putIfAbsent(h, name);
            if (other != null) {
              LOG.warn("{}: '{}' and '{}' are both stored with the host name '{}'; the index keeps '{}'", description,
                  other, name, h, other);
            }
          }
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + prefix + "host (host_name, site_name) VALUES (?, ?)")) {
      for (Map.Entry<String, String> e : owners.entrySet()) {
        ps.setString(1, e.getKey());
        ps.setString(2, e.getValue());
        ps.addBatch();
      }
      ps.executeBatch();
    }
    LOG.info("{}: indexed {} host names in {}host", description, owners.size(), prefix);
  }

  /** @return the recorded schema version, or -1 when no version is recorded yet */
  private int storedSchemaVersion(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version FROM " + schemaTable + " WHERE id = 1")) {
      return rs.next() ? rs.getInt(1) : -1;
    }
  }
}
