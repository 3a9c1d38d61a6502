package net.aegirj.provision.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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
 * {@link #referrers} is one indexed query; so are the sites' host names in {@code <prefix>host}, whose
 * key keeps a host name to one site even when two processes save at once.
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
  /** How long a connection of a full pool, or the schema lock, is waited for. */
  static final long LOCK_WAIT_MILLIS = 60_000;

  private final ConnectionSource source;
  private final String description;
  private final String contextTable;
  private final String referenceTable;
  private final String hostTable;
  private final String prefix;
  private final JdbcTransactions transactions;
  private final SessionTaskLocks taskLocks;
  private volatile boolean closed;

  /** @param secret the password, only to scrub it from drivers' messages; null for a data source */
  private JdbcContextRepository(ConnectionSource source, String secret, String description, String prefix) {
    this.source = source;
    JdbcErrors errors = new JdbcErrors(description, secret);
    this.transactions = new JdbcTransactions(this, source, errors, new JdbcSchema(description, prefix), prefix);
    this.description = description;
    this.prefix = prefix;
    this.contextTable = prefix + "context";
    this.referenceTable = prefix + "reference";
    this.hostTable = prefix + "host";
    this.taskLocks = new SessionTaskLocks(this, source, errors, transactions, description, prefix);
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
    return JdbcDialect.MYSQL.migrations("p_").size();
  }

  /**
   * Creates or migrates the schema now, instead of on first use.
   *
   * @return the schema version, {@link #schemaVersion()}
   * @throws ProvisionException when the database cannot be reached or its schema is newer
   */
  public int migrate() {
    transactions.ensureSchema("create or migrate the tables " + prefix + "*");
    return schemaVersion();
  }

  // --- reads -----------------------------------------------------------------------------------

  @Override
  public Optional<Versioned> load(ContextName name) {
    Objects.requireNonNull(name, "name");
    return transactions.read("load " + name, c -> {
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
    return transactions.read("list contexts", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT name, version, body FROM " + contextTable + " ORDER BY name")) {
        return rows(ps);
      }
    });
  }

  @Override
  public List<Versioned> list(ContextType type) {
    Objects.requireNonNull(type, "type");
    return transactions.read("list " + type.id() + " contexts", c -> {
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
    return transactions.read("find the referrers of " + target, c -> {
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
    ContextRepository.checkExpectedVersion(expectedVersion);
    long next = expectedVersion + 1;
    transactions.write("save " + name, (c, d) -> {
      write(c, d, new Save(context, expectedVersion));
      insertHostNames(c, context);
      return null;
    });
    LOG.debug("saved {} version {}", name, next);
    return next;
  }

  /**
   * Checks the batch, then writes it in one transaction, which checks it again (versions in the
   * {@code WHERE} clauses, host names by the key of {@code <prefix>host}): the batch is saved whole
   * or not at all.
   */
  @Override
  public List<Long> saveAll(List<Save> saves) {
    if (saves.isEmpty()) {
      return List.of();
    }
    ContextRepository.checkBatch(this, saves);
    transactions.write("save " + saves.size() + " contexts", (c, d) -> {
      for (Save s : saves) {
        write(c, d, s);
      }
      // after every row: a name that one site of the batch gives up is free for another
      for (Save s : saves) {
        insertHostNames(c, s.context());
      }
      return null;
    });
    LOG.debug("saved a batch of {} contexts", saves.size());
    return saves.stream().map(s -> s.expectedVersion() + 1).toList();
  }

  /**
   * One save inside a transaction: the row and its references; its earlier host names are
   * dropped, and the caller indexes the new ones ({@link #insertHostNames}).
   */
  private void write(Connection c, JdbcDialect d, Save save) throws SQLException {
    Context context = save.context();
    ContextName name = context.name();
    long expectedVersion = save.expectedVersion();
    long next = expectedVersion + 1;
    String body = new String(JsonCodec.write(new Versioned(context, next)), StandardCharsets.UTF_8);
    if (expectedVersion == NEW) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + contextTable
          + " (name, type, version, body, updated_at) VALUES (?, ?, ?, ?, " + d.now() + ")")) {
        ps.setString(1, name.value());
        ps.setString(2, context.type().id());
        ps.setLong(3, next);
        ps.setString(4, body);
        ps.executeUpdate();
      } catch (SQLException e) {
        if (!JdbcErrors.isIntegrityViolation(e)) {
          throw e;
        }
        c.rollback();
        throw ContextRepository.conflict(name, expectedVersion, currentVersion(c, name));
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
          throw ContextRepository.conflict(name, expectedVersion, currentVersion(c, name));
        }
      }
      deleteReferences(c, name);
      deleteHostNames(c, name);
    }
    TreeSet<String> targets = references(context);
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
  }

  /**
   * Indexes a site's host names; one that another site holds (committed, or committed by a
   * concurrent transaction while this one waited on its key) fails the transaction.
   */
  private void insertHostNames(Connection c, Context context) throws SQLException {
    Set<String> names = ContextRepository.hostNames(context);
    if (names.isEmpty()) {
      return;
    }
    Map<String, ContextName> taken = owners(c, names);
    for (Map.Entry<String, ContextName> e : taken.entrySet()) {
      if (!e.getValue().equals(context.name())) {
        throw ContextRepository.hostNameTaken(context, e.getKey(), e.getValue());
      }
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + hostTable + " (host_name, site_name) VALUES (?, ?)")) {
      for (String h : names) {
        ps.setString(1, h);
        ps.setString(2, context.name().value());
        ps.executeUpdate();
      }
    } catch (SQLException e) {
      if (!JdbcErrors.isIntegrityViolation(e)) {
        throw e;
      }
      c.rollback(); // a concurrent save claimed a name first: it is committed now
      for (Map.Entry<String, ContextName> o : owners(c, names).entrySet()) {
        if (!o.getValue().equals(context.name())) {
          throw ContextRepository.hostNameTaken(context, o.getKey(), o.getValue());
        }
      }
      throw e;
    }
  }

  private void deleteHostNames(Connection c, ContextName name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + hostTable + " WHERE site_name = ?")) {
      ps.setString(1, name.value());
      ps.executeUpdate();
    }
  }

  private Map<String, ContextName> owners(Connection c, Collection<String> names) throws SQLException {
    Map<String, ContextName> out = new TreeMap<>();
    List<String> all = List.copyOf(names);
    for (int from = 0; from < all.size(); from += 500) {
      List<String> part = all.subList(from, Math.min(all.size(), from + 500));
      try (PreparedStatement ps = c.prepareStatement("SELECT host_name, site_name FROM " + hostTable
          + " WHERE host_name IN (" + String.join(", ", Collections.nCopies(part.size(), "?")) + ")")) {
        for (int i = 0; i < part.size(); i++) {
          ps.setString(i + 1, part.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(rs.getString(1), storedName(rs.getString(2)));
          }
        }
      }
    }
    return out;
  }

  /** One indexed query on {@code <prefix>host}. */
  @Override
  public Map<String, ContextName> hostOwners(Collection<String> hostNames) {
    Objects.requireNonNull(hostNames, "hostNames");
    if (hostNames.isEmpty()) {
      return Map.of();
    }
    return transactions.read("find the sites of " + hostNames.size() + " host names", c -> owners(c, hostNames));
  }

  @Override
  public void delete(ContextName name, long expectedVersion) {
    Objects.requireNonNull(name, "name");
    ContextRepository.checkExpectedVersion(expectedVersion);
    transactions.write("delete " + name, (c, d) -> {
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM " + contextTable + " WHERE name = ? AND version = ?")) {
        ps.setString(1, name.value());
        ps.setLong(2, expectedVersion);
        if (expectedVersion == NEW || ps.executeUpdate() != 1) {
          throw ContextRepository.conflict(name, expectedVersion, currentVersion(c, name));
        }
      }
      deleteReferences(c, name);
      deleteHostNames(c, name);
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

  /** @return whether {@link #close()} was called */
  boolean isClosed() {
    return closed;
  }

  /** @return the database (its URL without credentials) and the table prefix; never a password */
  @Override
  public String toString() {
    return "JdbcContextRepository[" + description + ", tables " + prefix + "*]";
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
        throw new IllegalArgumentException("not a JDBC URL: " + JdbcErrors.redact(url)
            + " (expected jdbc:mariadb:, jdbc:mysql: or jdbc:postgresql:)");
      }
      Properties properties = new Properties();
      if (user != null) {
        properties.setProperty("user", user);
      }
      if (password != null) {
        properties.setProperty("password", password);
      }
      String description = JdbcErrors.redact(url) + (user == null ? "" : " as " + user);
      return new JdbcContextRepository(new DriverConnections(url, properties, maxConnections), password,
          description, tablePrefix);
    }
  }
}
