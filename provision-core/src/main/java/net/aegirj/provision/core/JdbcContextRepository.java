package net.aegirj.provision.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.core.internal.JsonCodec;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.TaskLocks;
import net.aegirj.provision.spi.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A repository in a MariaDB, MySQL or PostgreSQL database, shared by any number of control
 * processes: every context is one row of {@code <prefix>context} (name, type, version, its JSON
 * document as written by the file repository, and the time of the last change), and the references
 * between contexts are kept in {@code <prefix>reference} in the same transaction, so
 * {@link #referrers} is one indexed query.
 *
 * <p>Writes are optimistic: a create is an {@code INSERT} (a duplicate name is a
 * {@link ConflictException}), an update or delete names the expected version in its
 * {@code WHERE} clause and is a conflict when it matches no row. Each write is one transaction at
 * {@code READ COMMITTED}; one that the database aborts as a deadlock or serialisation failure is
 * rolled back whole and run again. A connection that breaks before the commit (a restarted
 * server) is replaced and the operation run once more; one that breaks during the commit, when
 * the outcome is unknown, and any other failure is reported as a {@link ProvisionException}
 * naming the database (never its password).
 *
 * <p>The schema is created on first use and its version recorded in {@code <prefix>schema}; later
 * releases migrate it step by step. Migration runs under a database lock ({@code GET_LOCK} on
 * MariaDB and MySQL, an advisory lock on PostgreSQL), so processes starting together are safe.
 *
 * <p>Control nodes that share the tables, each with its own home, never run two tasks on one
 * context at once: the repository offers {@linkplain #taskLocks() task locks} of the same kind,
 * which the database drops when the node holding them dies.
 *
 * <p>The user needs to create tables (and, on PostgreSQL, indexes) in the database, or in the
 * current schema on PostgreSQL (since PostgreSQL 15 only the database owner may create in
 * {@code public}). Connections taken from a {@link DataSource} are handed back with auto-commit
 * on and at {@code READ COMMITTED}. Time-outs are the driver's: set them in the URL
 * ({@code connectTimeout}, {@code socketTimeout}).
 *
 * <p>Only {@code java.sql} is used: the JDBC driver ({@code org.mariadb.jdbc:mariadb-java-client}
 * or {@code org.postgresql:postgresql}) must be on the class path, or the {@link DataSource} given
 * must provide connections. The dialect is detected from the database's metadata.
 *
 * <pre>{@code
 * try (JdbcContextRepository repository = JdbcContextRepository.builder()
 *         .url("jdbc:mariadb://db.example.com/aegir").user("aegir").password(secret).build();
 *     Provision provision = Provision.builder().repository(repository).build()) {
 *   ...
 * }
 * }</pre>
 */
public final class JdbcContextRepository implements ContextRepository {
  /** The table prefix used unless another is given. */
  public static final String DEFAULT_TABLE_PREFIX = "provision_";
  /** The environment variable naming the JDBC URL of the repository, for {@link #fromEnvironment}. */
  public static final String URL_ENV = "PROVISION_REPOSITORY";
  /** The environment variable naming the database user, for {@link #fromEnvironment}. */
  public static final String USER_ENV = "PROVISION_REPOSITORY_USER";
  /** The environment variable holding the database password, for {@link #fromEnvironment}. */
  public static final String PASSWORD_ENV = "PROVISION_REPOSITORY_PASSWORD";
  /** The environment variable naming the table prefix, for {@link #fromEnvironment}. */
  public static final String TABLE_PREFIX_ENV = "PROVISION_REPOSITORY_TABLE_PREFIX";
  /** How many connections a repository opened from a URL holds at most, unless told otherwise. */
  public static final int DEFAULT_MAX_CONNECTIONS = 8;

  private static final Logger LOG = LoggerFactory.getLogger(JdbcContextRepository.class);
  private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,31}");
  private static final int MAX_ATTEMPTS = 10;
  private static final long LOCK_WAIT_MILLIS = 60_000;
  private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");
  private static final Pattern URL_USER_INFO = Pattern.compile("//[^/@?]*@");

  private final ConnectionSource source;
  /** The password, only to scrub it from drivers' messages; null for a data source. */
  private final String secret;
  private final String description;
  private final String contextTable;
  private final String referenceTable;
  private final String schemaTable;
  private final String prefix;
  private final Object schemaLock = new Object();
  private final SessionTaskLocks taskLocks = new SessionTaskLocks();
  /** Set once the schema is known to be current; guarded by {@link #schemaLock} for writes. */
  private volatile Dialect dialect;
  private volatile boolean closed;

  private JdbcContextRepository(ConnectionSource source, String secret, String description, String prefix) {
    this.source = source;
    this.secret = secret;
    this.description = description;
    this.prefix = prefix;
    this.contextTable = prefix + "context";
    this.referenceTable = prefix + "reference";
    this.schemaTable = prefix + "schema";
  }

  /** @return a builder; give it a URL (with user and password) or a {@link DataSource} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * @param dataSource where connections come from (a pool, typically)
   * @return a repository with the default table prefix
   */
  public static JdbcContextRepository of(DataSource dataSource) {
    return builder().dataSource(dataSource).build();
  }

  /**
   * @param url a JDBC URL, {@code jdbc:mariadb:…}, {@code jdbc:mysql:…} or {@code jdbc:postgresql:…}
   * @param user the database user
   * @param password its password
   * @return a repository with the default table prefix, holding up to
   *     {@value #DEFAULT_MAX_CONNECTIONS} connections
   */
  public static JdbcContextRepository of(String url, String user, String password) {
    return builder().url(url).user(user).password(password).build();
  }

  /**
   * Opens the repository the environment names, as the command line does: {@value #URL_ENV} (a
   * JDBC URL; unset or empty means "no JDBC repository"), {@value #USER_ENV},
   * {@value #PASSWORD_ENV} and {@value #TABLE_PREFIX_ENV} (default {@value #DEFAULT_TABLE_PREFIX}).
   *
   * @param env the environment, {@code System.getenv()} typically
   * @return the repository, not yet connected, or empty when {@value #URL_ENV} is unset or empty
   * @throws ProvisionException when a variable is not valid, naming it
   */
  public static Optional<JdbcContextRepository> fromEnvironment(Map<String, String> env) {
    String url = env.get(URL_ENV);
    if (url == null || url.isBlank()) {
      return Optional.empty();
    }
    Builder b = builder();
    try {
      b.url(url.strip());
      Optional.ofNullable(env.get(USER_ENV)).filter(v -> !v.isEmpty()).ifPresent(b::user);
      Optional.ofNullable(env.get(PASSWORD_ENV)).filter(v -> !v.isEmpty()).ifPresent(b::password);
      Optional.ofNullable(env.get(TABLE_PREFIX_ENV)).filter(v -> !v.isBlank()).ifPresent(b::tablePrefix);
      return Optional.of(b.build());
    } catch (IllegalArgumentException e) {
      throw new ProvisionException("the JDBC repository of $" + URL_ENV + " cannot be opened: " + e.getMessage(), e);
    }
  }

  /** @return the table prefix */
  public String tablePrefix() {
    return prefix;
  }

  /**
   * @return the schema version this release writes: the number of migration steps it knows
   */
  public static int schemaVersion() {
    return Dialect.MYSQL.migrations("p_").size();
  }

  /**
   * Creates or migrates the schema now, instead of on first use.
   *
   * @return the schema version, {@link #schemaVersion()}
   * @throws ProvisionException when the database cannot be reached or its schema is newer
   */
  public int migrate() {
    ensureSchema("create or migrate the tables " + prefix + "*");
    return schemaVersion();
  }

  // --- reads -----------------------------------------------------------------------------------

  @Override
  public Optional<Versioned> load(ContextName name) {
    Objects.requireNonNull(name, "name");
    return read("load " + name, c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT version, body FROM " + contextTable + " WHERE name = ?")) {
        ps.setString(1, name.value());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(row(name.value(), rs.getLong(1), rs.getString(2))) : Optional.empty();
        }
      }
    });
  }

  @Override
  public List<Versioned> list() {
    return read("list contexts", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT name, version, body FROM " + contextTable + " ORDER BY name")) {
        return rows(ps);
      }
    });
  }

  @Override
  public List<Versioned> list(ContextType type) {
    Objects.requireNonNull(type, "type");
    return read("list " + type.id() + " contexts", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT name, version, body FROM " + contextTable + " WHERE type = ? ORDER BY name")) {
        ps.setString(1, type.id());
        return rows(ps).stream().filter(v -> v.context().type() == type).toList();
      }
    });
  }

  @Override
  public List<ContextName> referrers(ContextName target) {
    Objects.requireNonNull(target, "target");
    return read("find the referrers of " + target, c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT from_name FROM " + referenceTable + " WHERE to_name = ? ORDER BY from_name")) {
        ps.setString(1, target.value());
        TreeSet<ContextName> out = new TreeSet<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(storedName(rs.getString(1)));
          }
        }
        return List.copyOf(out);
      }
    });
  }

  private List<Versioned> rows(PreparedStatement ps) throws SQLException {
    List<Versioned> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(row(rs.getString(1), rs.getLong(2), rs.getString(3)));
      }
    }
    // the columns sort bytewise already; this keeps the contract whatever the collation
    out.sort((a, b) -> a.context().name().compareTo(b.context().name()));
    return List.copyOf(out);
  }

  private Versioned row(String name, long version, String body) {
    try {
      Versioned v = JsonCodec.read(body.getBytes(StandardCharsets.UTF_8));
      if (!v.context().name().value().equals(name)) {
        throw new IllegalStateException("its document holds " + v.context().name());
      }
      return new Versioned(v.context(), version);
    } catch (IOException | RuntimeException e) {
      throw new ProvisionException("the stored context " + quoteName(name) + " in table " + contextTable + " of "
          + description + " is not valid: " + e.getMessage() + "; repair or delete the row", e);
    }
  }

  private ContextName storedName(String name) {
    if (!ContextName.isValid(name)) {
      throw new ProvisionException("table " + referenceTable + " of " + description + " holds the invalid name "
          + quoteName(name) + "; repair or delete the row");
    }
    return ContextName.of(name);
  }

  private static String quoteName(String name) {
    return "'" + (name.length() > 300 ? name.substring(0, 300) + "…" : name) + "'";
  }

  // --- writes ----------------------------------------------------------------------------------

  @Override
  public long save(Context context, long expectedVersion) {
    Objects.requireNonNull(context, "context");
    ContextName name = Objects.requireNonNull(context.name(), "context.name()");
    checkExpected(expectedVersion);
    long next = expectedVersion + 1;
    String body = new String(JsonCodec.write(new Versioned(context, next)), StandardCharsets.UTF_8);
    TreeSet<String> targets = references(context);
    write("save " + name, (c, d) -> {
      if (expectedVersion == NEW) {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + contextTable
            + " (name, type, version, body, updated_at) VALUES (?, ?, ?, ?, " + d.now() + ")")) {
          ps.setString(1, name.value());
          ps.setString(2, context.type().id());
          ps.setLong(3, next);
          ps.setString(4, body);
          ps.executeUpdate();
        } catch (SQLException e) {
          if (!isIntegrityViolation(e)) {
            throw e;
          }
          c.rollback();
          throw conflict(name, expectedVersion, currentVersion(c, name));
        }
      } else {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + contextTable
            + " SET type = ?, version = ?, body = ?, updated_at = " + d.now() + " WHERE name = ? AND version = ?")) {
          ps.setString(1, context.type().id());
          ps.setLong(2, next);
          ps.setString(3, body);
          ps.setString(4, name.value());
          ps.setLong(5, expectedVersion);
          if (ps.executeUpdate() != 1) {
            throw conflict(name, expectedVersion, currentVersion(c, name));
          }
        }
        deleteReferences(c, name);
      }
      if (!targets.isEmpty()) {
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO " + referenceTable + " (from_name, to_name) VALUES (?, ?)")) {
          for (String target : targets) {
            ps.setString(1, name.value());
            ps.setString(2, target);
            ps.addBatch();
          }
          ps.executeBatch();
        }
      }
      return null;
    });
    LOG.debug("saved {} version {}", name, next);
    return next;
  }

  @Override
  public void delete(ContextName name, long expectedVersion) {
    Objects.requireNonNull(name, "name");
    checkExpected(expectedVersion);
    write("delete " + name, (c, d) -> {
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM " + contextTable + " WHERE name = ? AND version = ?")) {
        ps.setString(1, name.value());
        ps.setLong(2, expectedVersion);
        if (expectedVersion == NEW || ps.executeUpdate() != 1) {
          throw conflict(name, expectedVersion, currentVersion(c, name));
        }
      }
      deleteReferences(c, name);
      return null;
    });
    LOG.debug("deleted {}", name);
  }

  private void deleteReferences(Connection c, ContextName name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + referenceTable + " WHERE from_name = ?")) {
      ps.setString(1, name.value());
      ps.executeUpdate();
    }
  }

  private long currentVersion(Connection c, ContextName name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT version FROM " + contextTable + " WHERE name = ?")) {
      ps.setString(1, name.value());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : NEW;
      }
    }
  }

  /** The names the context's stored reference properties point to, as the stored form {@code @name}. */
  private static TreeSet<String> references(Context context) {
    TreeSet<String> out = new TreeSet<>();
    Map<String, Object> properties = ContextProperties.toMap(context);
    for (PropertySpec spec : Schema.properties(context.type())) {
      if (spec.kind() == PropertySpec.Kind.REFERENCE && properties.get(spec.name()) instanceof String s
          && s.startsWith("@") && ContextName.isValid(s) && ContextName.of(s).toString().equals(s)) {
        out.add(ContextName.of(s).value());
      }
    }
    return out;
  }

  private static void checkExpected(long expectedVersion) {
    if (expectedVersion < NEW) {
      throw new IllegalArgumentException(
          "expected version must be " + NEW + " (new) or a stored version, not " + expectedVersion);
    }
  }

  private static ConflictException conflict(ContextName name, long expected, long current) {
    String found = current == NEW ? "it does not exist" : "it is at version " + current;
    String wanted = expected == NEW ? "expected it not to exist" : "expected version " + expected;
    return new ConflictException(name + ": concurrent change detected (" + wanted + ", but " + found
        + "); nothing was written; reload and try again");
  }

  private static boolean isIntegrityViolation(SQLException e) {
    String state = e.getSQLState();
    return state != null && state.startsWith("23");
  }

  /** Deadlocks and serialisation failures: the database rolled the transaction back whole. */
  private static boolean isRetryable(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null
          && (s.getSQLState().equals("40001") || s.getSQLState().equals("40P01"))) {
        return true;
      }
    }
    return false;
  }

  /** A connection that broke (a restarted server, a killed session, a network failure). */
  private static boolean isConnectionFailure(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLNonTransientConnectionException || t instanceof SQLRecoverableException
          || t instanceof SQLTransientConnectionException) {
        return true;
      }
      // 08: connection exception; 57P0x: PostgreSQL ended the session (shutdown, crash, terminated)
      if (t instanceof SQLException s && s.getSQLState() != null
          && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57P0"))) {
        return true;
      }
    }
    return false;
  }

  // --- transactions and connections ------------------------------------------------------------

  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private interface WriteWork<T> {
    T run(Connection c, Dialect d) throws SQLException;
  }

  private <T> T read(String what, Work<T> work) {
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
        throw failure(what, e, false);
      } finally {
        source.release(c, reusable);
      }
    }
  }

  private <T> T write(String what, WriteWork<T> work) {
    Dialect d = ensureSchema(what);
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
      } catch (ConflictException e) {
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
        throw failure(what, e, committing);
      } finally {
        source.release(c, reusable);
      }
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      LOG.debug("rollback failed: {}", e.getMessage());
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
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
    try {
      return source.get();
    } catch (SQLException e) {
      throw failure(what, e, false);
    }
  }

  private ProvisionException failure(String what, SQLException e, boolean committing) {
    String state = e.getSQLState();
    String raw = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    String said = scrub(raw);
    StringBuilder m = new StringBuilder("cannot ").append(what).append(" in ").append(description).append(": ");
    m.append(said);
    if (state != null) {
      m.append(" (SQLState ").append(state).append(')');
    }
    if (committing) {
      m.append("; the connection failed while committing, so the change may or may not be stored: reload and check");
    } else if (e.getMessage() != null && e.getMessage().startsWith("No suitable driver")) {
      m.append("; put the JDBC driver on the class path (org.mariadb.jdbc:mariadb-java-client or "
          + "org.postgresql:postgresql)");
    } else if (state != null && state.startsWith("08")) {
      m.append("; the database cannot be reached: check that it runs and the URL, user and password");
    } else if (state != null && state.startsWith("28")) {
      m.append("; the database refused the user: check the user and password");
    }
    // a driver may quote the URL, password included: then the cause is replaced by a scrubbed copy
    SQLException cause = said.equals(raw) ? e : new SQLException(said, state, e.getErrorCode());
    return new ProvisionException(m.toString(), cause);
  }

  /** @return the text without the password or a URL's credentials */
  private String scrub(String text) {
    String out = redact(text);
    return secret == null || secret.isEmpty() ? out : out.replace(secret, "***");
  }

  // --- task locks ------------------------------------------------------------------------------

  /**
   * Task locks that every control node using these tables sees: locks of a database session,
   * which the database drops when the session ends, so a control node killed while it runs a
   * task (even by {@code kill -9}) leaves no lock behind. On MariaDB and MySQL a context's lock
   * is {@code GET_LOCK(name)}, its name the table prefix and a SHA-256 of the database, the
   * prefix and the context's name (64 characters at most); on PostgreSQL it is the advisory lock
   * whose 64-bit key is the start of such a hash, taken by {@code pg_try_advisory_lock}.
   *
   * <p>Every lock this repository holds is held by one connection of its own, opened at the
   * first task and kept until {@link #close()}, outside the count of {@link Builder#maxConnections
   * maxConnections} (a batch holds a lock per context of a group, and they must not drain the
   * pool that its tasks read through). Waiting is polling: a try that does not wait, at once and
   * then at growing intervals up to 200 ms, until the wait is over; the connection is never
   * blocked by a waiting task. If that connection breaks while tasks run, their locks are lost
   * (the database dropped them): the loss is logged when each task releases its lock, and the
   * next lock opens a new connection.
   *
   * @return the task locks, never empty
   */
  @Override
  public Optional<TaskLocks> taskLocks() {
    return Optional.of(taskLocks);
  }

  /** The task locks, all held by one database session; guarded by itself. */
  /** How long a call on the lock session may wait for the network. */
  private static final Duration LOCK_NETWORK_TIMEOUT = Duration.ofSeconds(60);

  private final class SessionTaskLocks implements TaskLocks {
    /** The session that holds the locks; null until the first lock or after it broke. */
    private Connection session;
    /** The scope of the lock names, from the session's database; null until known. */
    private String scope;
    /** The contexts whose locks are held through this repository, and the session of each. */
    private final Map<ContextName, Lock> held = new HashMap<>();

    /** One held lock. */
    private final class Lock implements Held {
      private final ContextName name;
      private final LockKey key;
      private final Connection on;
      private final Dialect dialect;
      private boolean released;

      Lock(ContextName name, LockKey key, Connection on, Dialect dialect) {
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
          if (closed) {
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
                    scrub(String.valueOf(e.getMessage())));
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
      Dialect d = ensureSchema("lock " + name);
      Held[] taken = new Held[1];
      try {
        long nanos = wait.compareTo(Duration.ofDays(365)) > 0 ? Long.MAX_VALUE : Math.max(0, wait.toNanos());
        poll(nanos, () -> (taken[0] = attempt(name, d)) != null);
      } catch (SQLException e) {
        throw failure("take the task lock of " + name, e, false);
      }
      return Optional.ofNullable(taken[0]);
    }

    /** @return the lock, or null when another holder, here or in another process, has it */
    private synchronized Held attempt(ContextName name, Dialect d) throws SQLException {
      if (held.containsKey(name)) {
        return null;
      }
      for (int attempt = 1; ; attempt++) {
        if (closed) {
          throw new IllegalStateException(JdbcContextRepository.this + " is closed");
        }
        try {
          if (session == null) {
            session = open(d);
          }
          byte[] hash = sha256("net.aegirj.provision.task:" + scope + ":" + name.value());
          LockKey key = new LockKey(prefix + HexFormat.of().formatHex(hash).substring(0, 64 - prefix.length()),
              key(hash));
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

    private Connection open(Dialect d) throws SQLException {
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
        scope = scope(c, d);
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

  // --- schema ----------------------------------------------------------------------------------

  private Dialect ensureSchema(String what) {
    Dialect d = dialect;
    if (d != null) {
      return d;
    }
    synchronized (schemaLock) {
      if (dialect == null) {
        Connection c = borrow(what);
        boolean reusable = false;
        try {
          dialect = migrate(c);
          reusable = true;
        } catch (SQLException e) {
          throw failure(what + " (while creating or migrating the tables " + prefix + "*)", e, false);
        } finally {
          source.release(c, reusable);
        }
      }
      return dialect;
    }
  }

  private Dialect migrate(Connection c) throws SQLException {
    DatabaseMetaData meta = c.getMetaData();
    Dialect d = Dialect.detect(meta.getDatabaseProductName(), description);
    byte[] hash = sha256("net.aegirj.provision.JdbcContextRepository:" + scope(c, d));
    LockKey schemaLock = new LockKey("provision:" + HexFormat.of().formatHex(hash, 0, 20), key(hash));
    c.setAutoCommit(true);
    if (!poll(TimeUnit.MILLISECONDS.toNanos(LOCK_WAIT_MILLIS), () -> d.tryLock(c, schemaLock))) {
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

  /** @return what sets this repository apart on its server: database, schema (PostgreSQL), table prefix */
  private String scope(Connection c, Dialect d) throws SQLException {
    return c.getCatalog() + "." + (d == Dialect.POSTGRESQL ? c.getSchema() : "") + "." + prefix;
  }

  /**
   * A lock of the database session: a name for {@code GET_LOCK} (at most 64 characters) and a
   * key for PostgreSQL's advisory locks.
   */
  private record LockKey(String name, long key) {}

  /** @return the first 8 bytes of a hash as a key of PostgreSQL's advisory locks */
  private static long key(byte[] hash) {
    long k = 0;
    for (int i = 0; i < 8; i++) {
      k = (k << 8) | (hash[i] & 0xff);
    }
    return k;
  }

  /** One try at taking a lock. */
  private interface Attempt {
    boolean run() throws SQLException;
  }

  /**
   * Tries at once, then again after 10 ms, pausing twice as long each time up to 200 ms, until
   * the attempt succeeds or the wait is over.
   *
   * @return whether the attempt succeeded; false when the wait ran out or the thread was
   *     interrupted (its flag is set again then)
   */
  private static boolean poll(long waitNanos, Attempt attempt) throws SQLException {
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

  /** @return the recorded schema version, or -1 when no version is recorded yet */
  private int storedSchemaVersion(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version FROM " + schemaTable + " WHERE id = 1")) {
      return rs.next() ? rs.getInt(1) : -1;
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What differs between the database families. */
  private enum Dialect {
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
                + "PRIMARY KEY (from_name, to_name), KEY " + p + "reference_to (to_name, from_name)) ENGINE=InnoDB"));
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
            "CREATE INDEX IF NOT EXISTS " + p + "reference_to ON " + p + "reference (to_name, from_name)"));
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
    Dialect(String tryLockSql, String unlockSql, String unlockAllSql) {
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

    static Dialect detect(String product, String description) {
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
  }

  /** Where connections come from. */
  private interface ConnectionSource {
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
  }

  /** A caller's {@link DataSource}: it pools, or not, as it likes. */
  private static final class DataSourceConnections implements ConnectionSource {
    private final DataSource dataSource;

    DataSourceConnections(DataSource dataSource) {
      this.dataSource = dataSource;
    }

    @Override
    public Connection get() throws SQLException {
      return dataSource.getConnection();
    }

    @Override
    public void release(Connection c, boolean reusable) {
      closeQuietly(c);
    }

    @Override
    public Connection dedicated() throws SQLException {
      return dataSource.getConnection();
    }

    @Override
    public void close() {}
  }

  /** Connections opened by {@link DriverManager}, kept for reuse, at most {@code max} at a time. */
  private static final class DriverConnections implements ConnectionSource {
    private static final long IDLE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final String url;
    private final Properties properties;
    private final Semaphore permits;
    private final int max;
    /** Guarded by itself: idle connections and when they were handed back. */
    private final Deque<Idle> idle = new ArrayDeque<>();
    private volatile boolean closed;

    private record Idle(Connection connection, long since) {}

    DriverConnections(String url, Properties properties, int max) {
      this.url = url;
      this.properties = properties;
      this.max = max;
      this.permits = new Semaphore(max, true);
    }

    @Override
    public Connection get() throws SQLException {
      try {
        if (!permits.tryAcquire(LOCK_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
          throw new SQLException("all " + max + " connections stayed busy for " + LOCK_WAIT_MILLIS / 1000 + " s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException("interrupted while waiting for a connection", e);
      }
      try {
        while (true) {
          Idle i;
          synchronized (idle) {
            i = idle.pollFirst();
          }
          if (i == null) {
            return DriverManager.getConnection(url, properties);
          }
          if (System.nanoTime() - i.since() < IDLE_CHECK_NANOS || i.connection().isValid(5)) {
            return i.connection();
          }
          closeQuietly(i.connection());
        }
      } catch (SQLException | RuntimeException e) {
        permits.release();
        throw e;
      }
    }

    @Override
    public void release(Connection c, boolean reusable) {
      try {
        if (reusable && !closed) {
          synchronized (idle) {
            if (idle.size() < max) {
              idle.addFirst(new Idle(c, System.nanoTime()));
              return;
            }
          }
        }
        closeQuietly(c);
      } finally {
        permits.release();
      }
    }

    @Override
    public Connection dedicated() throws SQLException {
      return DriverManager.getConnection(url, properties);
    }

    @Override
    public void discardIdle() {
      List<Idle> all;
      synchronized (idle) {
        all = new ArrayList<>(idle);
        idle.clear();
      }
      all.forEach(i -> closeQuietly(i.connection()));
    }

    @Override
    public void close() {
      closed = true;
      List<Idle> all;
      synchronized (idle) {
        all = new ArrayList<>(idle);
        idle.clear();
      }
      all.forEach(i -> closeQuietly(i.connection()));
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      LOG.debug("cannot close a connection: {}", e.getMessage());
    }
  }

  /**
   * Closes the connections this repository opened, the task locks' included (which releases any
   * task lock still held); a {@link DataSource} given to it is left open.
   */
  @Override
  public void close() {
    closed = true;
    taskLocks.close();
    source.close();
  }

  /** @return the database (its URL without credentials) and the table prefix; never a password */
  @Override
  public String toString() {
    return "JdbcContextRepository[" + description + ", tables " + prefix + "*]";
  }

  static String redact(String url) {
    return URL_USER_INFO.matcher(URL_PASSWORD.matcher(url).replaceAll("$1***")).replaceAll("//***@");
  }

  /** Builds a {@link JdbcContextRepository}: a URL with user and password, or a data source. */
  public static final class Builder {
    private String url;
    private String user;
    private String password;
    private DataSource dataSource;
    private String tablePrefix = DEFAULT_TABLE_PREFIX;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;

    private Builder() {}

    /**
     * @param url a JDBC URL: {@code jdbc:mariadb:…}, {@code jdbc:mysql:…} or {@code jdbc:postgresql:…}
     * @return this builder
     */
    public Builder url(String url) {
      this.url = Objects.requireNonNull(url, "url");
      return this;
    }

    /**
     * @param user the database user (optional when the URL or the driver supplies it)
     * @return this builder
     */
    public Builder user(String user) {
      this.user = Objects.requireNonNull(user, "user");
      return this;
    }

    /**
     * @param password the user's password; never shown in messages, logs or {@code toString()}
     * @return this builder
     */
    public Builder password(String password) {
      this.password = Objects.requireNonNull(password, "password");
      return this;
    }

    /**
     * @param dataSource where connections come from, instead of a URL
     * @return this builder
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      return this;
    }

    /**
     * @param tablePrefix the prefix of the repository's tables: a lower-case letter, then up to 31
     *     lower-case letters, digits and {@code _} (default {@value #DEFAULT_TABLE_PREFIX})
     * @return this builder
     */
    public Builder tablePrefix(String tablePrefix) {
      Objects.requireNonNull(tablePrefix, "tablePrefix");
      if (!PREFIX.matcher(tablePrefix).matches()) {
        throw new IllegalArgumentException("invalid table prefix '" + tablePrefix
            + "': use a lower-case letter, then up to 31 lower-case letters, digits and '_'");
      }
      this.tablePrefix = tablePrefix;
      return this;
    }

    /**
     * @param maxConnections how many connections a repository opened from a URL holds at most
     *     (default {@value #DEFAULT_MAX_CONNECTIONS})
     * @return this builder
     */
    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be at least 1, not " + maxConnections);
      }
      this.maxConnections = maxConnections;
      return this;
    }

    /**
     * Creates the repository; nothing is connected until its first use.
     *
     * @return the repository
     * @throws IllegalStateException when neither or both of a URL and a data source were given
     */
    public JdbcContextRepository build() {
      if ((url == null) == (dataSource == null)) {
        throw new IllegalStateException("give the JDBC repository either a URL or a data source");
      }
      if (dataSource != null) {
        return new JdbcContextRepository(new DataSourceConnections(dataSource), null,
            "the data source " + dataSource.getClass().getName(),
            tablePrefix);
      }
      if (!url.startsWith("jdbc:")) {
        throw new IllegalArgumentException("not a JDBC URL: " + redact(url)
            + " (expected jdbc:mariadb:, jdbc:mysql: or jdbc:postgresql:)");
      }
      Properties properties = new Properties();
      if (user != null) {
        properties.setProperty("user", user);
      }
      if (password != null) {
        properties.setProperty("password", password);
      }
      String description = redact(url) + (user == null ? "" : " as " + user);
      return new JdbcContextRepository(new DriverConnections(url, properties, maxConnections), password,
          description, tablePrefix);
    }
  }
}
