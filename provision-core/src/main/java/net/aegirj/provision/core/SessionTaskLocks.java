package net.aegirj.provision.core;

import static net.aegirj.provision.core.ConnectionSource.closeQuietly;
import static net.aegirj.provision.core.JdbcErrors.isConnectionFailure;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.core.JdbcDialect.LockKey;
import net.aegirj.provision.spi.TaskLocks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task locks of a {@link JdbcContextRepository} (see {@link JdbcContextRepository#taskLocks()}),
 * all held by one database session; guarded by itself.
 */
final class SessionTaskLocks implements TaskLocks {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcContextRepository.class);
  /** How long a call on the lock session may wait for the network. */
  private static final Duration LOCK_NETWORK_TIMEOUT = Duration.ofSeconds(60);

  private final JdbcContextRepository repository;
  private final ConnectionSource source;
  private final JdbcErrors errors;
  private final JdbcTransactions transactions;
  private final String description;
  private final String prefix;
  /** The session that holds the locks; null until the first lock or after it broke. */
  private Connection session;
  /** The scope of the lock names, from the session's database; null until known. */
  private String scope;
  /** The dialect of the session; set with it. */
  private JdbcDialect dialect;
  /** The contexts whose locks are held through this repository, and the session of each. */
  private final Map<ContextName, Lock> held = new HashMap<>();

  SessionTaskLocks(JdbcContextRepository repository, ConnectionSource source, JdbcErrors errors,
      JdbcTransactions transactions, String description, String prefix) {
    this.repository = repository;
    this.source = source;
    this.errors = errors;
    this.transactions = transactions;
    this.description = description;
    this.prefix = prefix;
  }

  /** One held lock. */
  private final class Lock implements Held {
    private final ContextName name;
    private final LockKey key;
    private final Connection on;
    private final JdbcDialect dialect;
    private boolean released;

    Lock(ContextName name, LockKey key, Connection on, JdbcDialect dialect) {
      this.name = name;
      this.key = key;
      this.on = on;
      this.dialect = dialect;
    }

    @Override
    public void close() {
      synchronized (SessionTaskLocks.this) {
        if (released) {
          return;
        }
        released = true;
        held.remove(name, this);
        if (repository.isClosed()) {
          return; // the repository's close released every lock
        }
        if (on == session) {
          try {
            if (dialect.unlock(on, key)) {
              return;
            }
          } catch (SQLException e) {
            if (!isConnectionFailure(e)) {
              LOG.warn("{}: cannot release its task lock, {} in {}: {}", name, dialect.describe(key), description,
                  errors.scrub(String.valueOf(e.getMessage())));
              return;
            }
            broke();
          }
        }
        LOG.warn("{}: its task lock ({} in {}) was lost while the task ran, with the connection that held it; "
            + "another control node may have run a task on it meanwhile", name, dialect.describe(key), description);
      }
    }
  }

  @Override
  public Optional<Held> tryLock(ContextName name, Duration wait) {
    Objects.requireNonNull(name, "name");
    JdbcDialect d = transactions.ensureSchema("lock " + name);
    Held[] taken = new Held[1];
    try {
      long nanos = wait.compareTo(Duration.ofDays(365)) > 0 ? Long.MAX_VALUE : Math.max(0, wait.toNanos());
      JdbcDialect.poll(nanos, () -> (taken[0] = attempt(name, d)) != null);
    } catch (SQLException e) {
      throw errors.failure("take the task lock of " + name, e, false);
    }
    return Optional.ofNullable(taken[0]);
  }

  /** @return the lock, or null when another holder, here or in another process, has it */
  private synchronized Held attempt(ContextName name, JdbcDialect d) throws SQLException {
    if (held.containsKey(name)) {
      return null;
    }
    for (int attempt = 1; ; attempt++) {
      if (repository.isClosed()) {
        throw new IllegalStateException(repository + " is closed");
      }
      try {
        if (session == null) {
          session = open(d);
        }
        byte[] hash = LockKey.sha256("net.aegirj.provision.task:" + scope + ":" + name.value());
        LockKey key = new LockKey(prefix + HexFormat.of().formatHex(hash).substring(0, 64 - prefix.length()),
            LockKey.key(hash));
        if (!d.tryLock(session, key)) {
          return null;
        }
        Lock lock = new Lock(name, key, session, d);
        held.put(name, lock);
        return lock;
      } catch (SQLException e) {
        if (attempt == 1 && isConnectionFailure(e)) {
          // an idle session the server ended, or one that broke under running tasks
          LOG.debug("{}: the task locks' connection failed ({}); once more on a new one", name, e.getSQLState());
          broke();
          continue;
        }
        throw e;
      }
    }
  }

  private Connection open(JdbcDialect d) throws SQLException {
    Connection c = source.dedicated();
    try {
      c.setAutoCommit(true);
      // A task may run longer than the server's idle limit (often short where the same server
      // holds the sites' databases); the session and its locks must outlive it.
      try (Statement s = c.createStatement()) {
        s.execute(d.keepSession());
      } catch (SQLException e) {
        LOG.debug("{}: cannot lift the idle limit of the lock session: {}", description, e.getMessage());
      }
      // A hung network fails the lock calls instead of hanging every task of this node.
      c.setNetworkTimeout(Runnable::run, (int) LOCK_NETWORK_TIMEOUT.toMillis());
      scope = d.scope(c, prefix);
      dialect = d;
      return c;
    } catch (SQLException | RuntimeException e) {
      closeQuietly(c);
      throw e;
    }
  }

  /** Drops the broken session: the locks it held are gone with it. */
  private void broke() {
    if (session != null) {
      closeQuietly(session);
      session = null;
    }
  }

  /** Releases every lock and closes the session, handing a pooled connection back clean. */
  synchronized void close() {
    if (session == null) {
      return;
    }
    if (!held.isEmpty()) {
      LOG.warn("{}: closed while the task locks of {} were held; they are released", description, held.keySet());
      held.clear();
    }
    try {
      dialect.unlockAll(session);
    } catch (SQLException | RuntimeException e) {
      LOG.debug("cannot release the task locks: {}", e.getMessage());
    }
    broke();
  }

  @Override
  public String toString() {
    return description + ", tables " + prefix + "*";
  }
}
