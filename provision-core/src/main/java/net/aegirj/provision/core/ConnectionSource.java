package net.aegirj.provision.core;

import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Where the connections of a {@link JdbcContextRepository} come from. */
interface ConnectionSource {
  Connection get() throws SQLException;

  /** Hands a connection back; one that failed is closed rather than reused. */
  void release(Connection c, boolean reusable);

  /** Closes the idle connections, after one of them turned out broken. */
  default void discardIdle() {}

  /**
   * @return a connection of its own for the task locks, outside the pool's count (it is held
   *     as long as any task runs); closing it hands it back
   */
  Connection dedicated() throws SQLException;

  void close();

  /** Closes a connection, logging (at debug level) rather than throwing when that fails. */
  static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      log().debug("cannot close a connection: {}", e.getMessage());
    }
  }

  /** Rolls back, logging (at debug level) rather than throwing when that fails. */
  static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      log().debug("rollback failed: {}", e.getMessage());
    }
  }

  /** @return the repository's logger: these messages are the repository's */
  private static Logger log() {
    return LoggerFactory.getLogger(JdbcContextRepository.class);
  }
}
