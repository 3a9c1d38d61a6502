package net.aegirj.provision.core;

import static net.aegirj.provision.core.ConnectionSource.rollbackQuietly;
import static net.aegirj.provision.core.JdbcErrors.isConnectionFailure;
import static net.aegirj.provision.core.JdbcErrors.isRetryable;

import java.sql.Connection;
import java.sql.SQLException;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.InvalidContextException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a {@link JdbcContextRepository} runs its reads and writes: on a connection of its source,
 * after making sure that the tables are current, retrying what the database rolled back and what
 * a broken connection interrupted before the commit.
 */
final class JdbcTransactions {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcContextRepository.class);
  private static final int MAX_ATTEMPTS = 10;

  private final JdbcContextRepository repository;
  private final ConnectionSource source;
  private final JdbcErrors errors;
  private final JdbcSchema schema;
  private final String prefix;
  private final Object schemaLock = new Object();
  /** Set once the schema is known to be current; guarded by {@link #schemaLock} for writes. */
  private volatile JdbcDialect dialect;

  JdbcTransactions(JdbcContextRepository repository, ConnectionSource source, JdbcErrors errors, JdbcSchema schema,
      String prefix) {
    this.repository = repository;
    this.source = source;
    this.errors = errors;
    this.schema = schema;
    this.prefix = prefix;
  }

  /** A read, on a connection in auto-commit. */
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** A write, in a transaction of its own. */
  interface WriteWork<T> {
    T run(Connection c, JdbcDialect d) throws SQLException;
  }

  /**
   * Runs a read; one whose connection broke runs once more on a new one.
   *
   * @param what the operation, for messages
   */
  <T> T read(String what, Work<T> work) {
    ensureSchema(what);
    for (int attempt = 1; ; attempt++) {
      Connection c = borrow(what);
      boolean reusable = false;
      try {
        if (!c.getAutoCommit()) {
          c.setAutoCommit(true);
        }
        T result = work.run(c);
        reusable = true;
        return result;
      } catch (SQLException e) {
        if (attempt == 1 && isConnectionFailure(e)) {
          LOG.debug("{}: the connection failed ({}); once more on a new one", what, e.getSQLState());
          source.discardIdle();
          continue;
        }
        throw errors.failure(what, e, false);
      } finally {
        source.release(c, reusable);
      }
    }
  }

  /**
   * Runs a write in one transaction at {@code READ COMMITTED}; one the database rolled back whole
   * (a deadlock, a serialisation failure) runs again, and one whose connection broke before the
   * commit runs once more on a new one.
   *
   * @param what the operation, for messages
   */
  <T> T write(String what, WriteWork<T> work) {
    JdbcDialect d = ensureSchema(what);
    for (int attempt = 1; ; attempt++) {
      Connection c = borrow(what);
      boolean reusable = false;
      boolean committing = false;
      try {
        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        c.setAutoCommit(false);
        T result;
        try {
          result = work.run(c, d);
          committing = true;
          c.commit();
        } catch (SQLException | RuntimeException | Error e) {
          if (!committing) {
            rollbackQuietly(c);
          }
          throw e;
        }
        c.setAutoCommit(true);
        reusable = true;
        return result;
      } catch (ConflictException | InvalidContextException e) {
        reusable = resetQuietly(c);
        throw e;
      } catch (SQLException e) {
        if (!committing && isRetryable(e) && attempt < MAX_ATTEMPTS) {
          reusable = resetQuietly(c);
          LOG.debug("{}: the database rolled back ({}), attempt {}", what, e.getSQLState(), attempt);
          continue;
        }
        if (!committing && attempt == 1 && isConnectionFailure(e)) {
          // nothing was committed: the server rolls back what a lost connection began
          LOG.debug("{}: the connection failed ({}); once more on a new one", what, e.getSQLState());
          source.discardIdle();
          continue;
        }
        throw errors.failure(what, e, committing);
      } finally {
        source.release(c, reusable);
      }
    }
  }

  private static boolean resetQuietly(Connection c) {
    try {
      c.setAutoCommit(true);
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  private Connection borrow(String what) {
    if (repository.isClosed()) {
      throw new IllegalStateException(repository + " is closed");
    }
    try {
      return source.get();
    } catch (SQLException e) {
      throw errors.failure(what, e, false);
    }
  }

  /**
   * @param what the operation that needs the tables, for messages
   * @return the dialect of the database, once its tables are known to be current
   */
  JdbcDialect ensureSchema(String what) {
    JdbcDialect d = dialect;
    if (d != null) {
      return d;
    }
    synchronized (schemaLock) {
      if (dialect == null) {
        Connection c = borrow(what);
        boolean reusable = false;
        try {
          dialect = schema.migrate(c);
          reusable = true;
        } catch (SQLException e) {
          throw errors.failure(what + " (while creating or migrating the tables " + prefix + "*)", e, false);
        } finally {
          source.release(c, reusable);
        }
      }
      return dialect;
    }
  }
}
