package net.aegirj.provision.services.db;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.Intent;
import net.aegirj.provision.spi.LeftIntent;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.Step;
import net.aegirj.provision.spi.StepContext;

/**
 * The {@code mysql} db service type (MySQL and MariaDB, through MariaDB Connector/J).
 *
 * <ul>
 *   <li>Server properties: {@code master_db} (secret), {@code db_port} (3306),
 *       {@code db_grant_all_hosts} (false).
 *   <li>Server verify: connect, create and drop a scratch database (with a utf8mb4 table), create,
 *       grant, revoke and drop a scratch user — each failing with its own message.
 *   <li>Site install: a database named after the uri (Aegir's rule: drop one leading {@code www.},
 *       remove {@code .} and {@code -}, 16 characters, {@code _N} on collision), a user of the same
 *       name with a {@link SecureRandom} password, {@code GRANT ALL} to the web server's host as the
 *       db server sees it and to {@code 127.0.0.1} (or only {@code %} with
 *       {@code db_grant_all_hosts}); all undone if the task fails.
 *   <li>Site verify: re-creates a missing user or grant; changes nothing when all is in place.
 *   <li>Site delete: drops the database and the users.
 *   <li>Every database and user it creates is first recorded as an {@link Intent} (kinds
 *       {@value #DATABASE} and {@value #USER}, the user's hosts as details); what a killed task
 *       left is settled by {@link #settle(LeftIntent, StepContext)}: kept when the saved context
 *       records it, dropped otherwise.
 * </ul>
 */
public class MySql implements ServiceType {
  static final int NAME_LIMIT = 16;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String PASSWORD_CHARS =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  private static final int PASSWORD_LENGTH = 24;
  /** The kind of an {@link Intent} to create a database. */
  public static final String DATABASE = "database";
  /** The kind of an {@link Intent} to create a user's accounts (the hosts are its details). */
  public static final String USER = "db user";

  /** An account that may create databases and users (a secret). */
  public static final PropertyKey<String> MASTER_DB = PropertyKey.string(
      PropertySpec.builder(ContextType.SERVER, "master_db", PropertySpec.Kind.STRING).grammar(Grammar.DB_URL)
          .secret().description("mysql://user:password@host[:port] of an account that may create databases and users").build());
  /** Port of the database server. */
  public static final PropertyKey<Integer> DB_PORT = PropertyKey.integer(
      PropertySpec.builder(ContextType.SERVER, "db_port", PropertySpec.Kind.INTEGER).range(1, 65535)
          .defaultValue(3306).description("port of the database server").build());
  /** Grant site users access from any host ({@code %}). */
  public static final PropertyKey<Boolean> DB_GRANT_ALL_HOSTS = PropertyKey.bool(
      PropertySpec.builder(ContextType.SERVER, "db_grant_all_hosts", PropertySpec.Kind.BOOLEAN)
          .defaultValue(Boolean.FALSE).description("grant site users access from any host ('%')").build());
  /** Probed on every server verify: whether the server takes utf8mb4 tables. */
  public static final PropertyKey<Boolean> UTF8MB4_IS_SUPPORTED = PropertyKey.bool(
      PropertySpec.builder(ContextType.SERVER, "utf8mb4_is_supported", PropertySpec.Kind.BOOLEAN)
          .defaultValue(Boolean.FALSE).description("probed on every server verify: the server takes utf8mb4 tables").build());

  /** Creates it (for {@link ServiceLoader}). */
  public MySql() {}

  @Override
  public String service() {
    return "db";
  }

  @Override
  public String id() {
    return "mysql";
  }

  @Override
  public List<PropertySpec> serverProperties() {
    return List.of(MASTER_DB.spec(), DB_PORT.spec(), DB_GRANT_ALL_HOSTS.spec(), UTF8MB4_IS_SUPPORTED.spec());
  }

  /**
   * The port of a site's database: its {@code db_port} (derived from its db server's), else
   * {@link #DB_PORT}'s default (a db server whose type declares no port).
   *
   * @param site a site
   * @return the port
   */
  public static int sitePort(ResolvedContext site) {
    return site.find(SiteKeys.DB_PORT).orElseGet(() -> DB_PORT.defaultValue().orElseThrow());
  }

  // ------------------------------------------------------------------ connection

  static DbConnection connection(StepContext ctx, ResolvedContext server) {
    return ctx.resource("mysql:" + server.name().value(), () -> {
      String url = server.find(MASTER_DB).orElseThrow(() -> new ProvisionException(
          server.name() + ": property 'master_db' is required by the mysql db service; set it with "
              + "provision save " + server.name() + " --master_db=mysql://user:password@host"));
      MasterDb db = MasterDb.parse(server.name(), url);
      int port = db.port().orElse(server.get(DB_PORT));
      return DbConnection.open(server.name().toString(), db, port,
          ctx.shared("mysql:idle-connections", DbPool::new));
    });
  }

  /**
   * The batch's snapshot of the db server (read on first use), or empty for a task run alone.
   */
  private static Optional<DbSnapshot> snapshot(StepContext ctx, ResolvedContext server, DbConnection c) {
    return ctx.batch("mysql:snapshot:" + server.name().value(), () -> new DbSnapshot(server.name().toString()))
        .map(s -> s.load(c));
  }

  private static boolean databaseExists(Optional<DbSnapshot> snap, DbConnection c, String name) {
    return snap.flatMap(s -> s.databaseExists(name)).orElseGet(() -> c.databaseExists(name));
  }

  private static boolean userExists(Optional<DbSnapshot> snap, DbConnection c, String user, String host) {
    return snap.flatMap(s -> s.userExists(user, host)).orElseGet(() -> c.userExists(user, host));
  }

  private static void ddl(StepContext ctx, DbConnection c, ResolvedContext server, String sql) {
    c.execute(sql);
    ctx.changed(DbConnection.redact(sql) + " on " + server.name());
  }

  // ------------------------------------------------------------------ steps

  @Override
  public List<Step> steps(Task task, ResolvedContext target, ResolvedContext server) {
    String on = " on " + server.name();
    if (target.context().type() == ContextType.SERVER && task == Task.VERIFY) {
      return List.of(
          Step.of("db: connect to mysql" + on, ctx -> connection(ctx, server).strings("SELECT VERSION()")),
          Step.of("db: check create and drop database" + on, ctx -> selfTestDatabase(ctx, server)),
          Step.of("db: check grant and revoke" + on, ctx -> selfTestGrant(ctx, server)));
    }
    if (target.context().type() != ContextType.SITE) {
      return List.of();
    }
    return switch (task) {
      case INSTALL -> List.of(Step.of("db: create database and user for " + target.name() + on,
          ctx -> install(ctx, target, server)));
      case VERIFY -> List.of(Step.of("db: check database and grants of " + target.name() + on,
          ctx -> verify(ctx, target, server)));
      case DELETE -> List.of(Step.of("db: drop database and user of " + target.name() + on,
          ctx -> delete(ctx, target, server)));
      case BACKUP -> List.of(Step.of("db: dump the database of " + target.name() + on,
          ctx -> dump(ctx, target, server)));
      default -> List.of();
    };
  }

  private static String scratch() {
    return "provision_check_" + Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
  }

  private static void selfTestDatabase(StepContext ctx, ResolvedContext server) {
    if (ctx.planOnly()) {
      return;
    }
    DbConnection c = connection(ctx, server);
    String name = scratch();
    ctx.intent(Intent.of("db", server.name(), DATABASE, name));
    try {
      c.execute("CREATE DATABASE " + Sql.ident(server.name(), "database", name));
    } catch (ProvisionException e) {
      throw new ProvisionException(server.name() + ": the master_db account cannot create databases: " + e.getMessage(), e);
    }
    boolean utf8mb4 = true;
    try {
      c.execute("CREATE TABLE " + Sql.ident(server.name(), "database", name) + ".`utf8mb4_test` "
          + "(id VARCHAR(255), PRIMARY KEY(id(255))) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci ROW_FORMAT=DYNAMIC");
    } catch (ProvisionException e) {
      utf8mb4 = false;
      ctx.warn(server.name() + ": utf8mb4 is not supported: " + e.getMessage());
    } finally {
      c.execute("DROP DATABASE " + Sql.ident(server.name(), "database", name));
    }
    if (utf8mb4 != server.get(UTF8MB4_IS_SUPPORTED)) {
      ctx.save(server.name(), PropertyChanges.builder().set(UTF8MB4_IS_SUPPORTED.name(), Boolean.toString(utf8mb4)).build());
    }
  }

  private static void selfTestGrant(StepContext ctx, ResolvedContext server) {
    if (ctx.planOnly()) {
      return;
    }
    DbConnection c = connection(ctx, server);
    String user = scratch().substring(0, 24);
    String account = Sql.account(server.name(), user, "localhost");
    ctx.intent(new Intent("db", server.name(), USER, user, List.of("localhost")));
    try {
      c.execute("CREATE USER " + account + " IDENTIFIED BY " + Sql.password(server.name(), password()));
      c.execute("GRANT ALL PRIVILEGES ON `provision\\_check\\_%`.* TO " + account);
      c.execute("REVOKE ALL PRIVILEGES ON `provision\\_check\\_%`.* FROM " + account);
    } catch (ProvisionException e) {
      throw new ProvisionException(server.name() + ": the master_db account cannot grant privileges: " + e.getMessage()
          + "; it needs ALL PRIVILEGES WITH GRANT OPTION", e);
    } finally {
      c.execute("DROP USER IF EXISTS " + account);
    }
  }

  /** A random password from {@link SecureRandom}: 24 letters and digits (no look-alikes). */
  static String password() {
    StringBuilder b = new StringBuilder(PASSWORD_LENGTH);
    for (int i = 0; i < PASSWORD_LENGTH; i++) {
      b.append(PASSWORD_CHARS.charAt(RANDOM.nextInt(PASSWORD_CHARS.length())));
    }
    return b.toString();
  }

  /**
   * Aegir's database name for a uri: one leading {@code www.} dropped, every {@code .} and
   * {@code -} removed, cut to 16 characters.
   *
   * @param uri the site's uri
   * @return the base name
   */
  public static String baseName(String uri) {
    String u = uri.startsWith("www.") ? uri.substring(4) : uri;
    String n = u.replace(".", "").replace("-", "");
    return n.length() > NAME_LIMIT ? n.substring(0, NAME_LIMIT) : n;
  }

  /**
   * The {@code i}-th alternative when the base name is taken: the first {@code 15 - len(i)}
   * characters, {@code _}, {@code i} (at most 16 characters).
   *
   * @param base the base name
   * @param i the attempt, from 0
   * @return the alternative name
   */
  public static String alternative(String base, int i) {
    String suffix = "_" + i;
    int keep = Math.min(base.length(), NAME_LIMIT - suffix.length());
    return base.substring(0, keep) + suffix;
  }

  private static void install(StepContext ctx, ResolvedContext site, ResolvedContext server) {
    ContextName n = site.name();
    if (site.get(SiteKeys.INSTALLED) && site.find(SiteKeys.DB_NAME).isPresent()) {
      throw new ProvisionException(n + ": the site is installed already (database " + site.get(SiteKeys.DB_NAME)
          + "); verify it, or delete it first");
    }
    String uri = site.get(SiteKeys.URI);
    if (ctx.planOnly()) {
      ctx.changed("CREATE DATABASE `" + baseName(uri) + "` on " + server.name());
      return;
    }
    Optional<String> leftover = site.find(SiteKeys.DB_NAME).filter(d -> Grammar.DB_NAME.accepts(d));
    if (leftover.isPresent() && connection(ctx, server).databaseExists(leftover.get())) {
      // The context records a database for a site that is not installed: an install that was
      // killed before it could finish or roll back. Its database goes; a fresh one is made.
      String user = site.find(SiteKeys.DB_USER).filter(u -> Grammar.DB_NAME.accepts(u))
          .orElse(leftover.get());
      ctx.warn(n + ": database " + leftover.get() + " was left by an install that did not finish; it is replaced");
      dropQuietly(ctx, n, server, leftover.get(), user);
    }
    createDatabase(ctx, site, server);
  }

  /**
   * Creates a new database for a site (Aegir's name with {@code _N} on collision), its user with a
   * fresh {@link SecureRandom} password and the grants, and records the credentials on the site;
   * all undone if the task fails. Install and restore use it.
   *
   * @param ctx the step's context
   * @param site the site
   * @param server the db server
   * @return the new database's name
   */
  public static String createDatabase(StepContext ctx, ResolvedContext site, ResolvedContext server) {
    ContextName n = site.name();
    String uri = site.get(SiteKeys.URI);
    DbConnection c = connection(ctx, server);
    Optional<DbSnapshot> snap = snapshot(ctx, server, c);
    String base = baseName(uri);
    String name = base;
    for (int i = 0; databaseExists(snap, c, name) || userExists(snap, c, name, "127.0.0.1")
        || userExists(snap, c, name, "localhost") || userExists(snap, c, name, "%"); i++) {
      if (i >= 100) {
        throw new ProvisionException(n + ": no free database name for " + base + " (tried " + base + " and "
            + alternative(base, 0) + " … " + alternative(base, 99) + ")");
      }
      name = alternative(base, i);
    }
    String password = password();
    String db = Sql.ident(n, "db_name", name);
    String user = name;
    Set<String> hosts = GrantHosts.of(ctx, site, server);
    // Recorded (synced to disk) before anything is created: a task killed from here until it ends
    // leaves a record, and the next task on the site drops what the saved site does not own.
    ctx.intents(List.of(Intent.of("db", server.name(), DATABASE, name),
        new Intent("db", server.name(), USER, user, List.copyOf(hosts))));
    String made = name;
    snap.ifPresent(sn -> sn.touch(made, user));
    ddl(ctx, c, server, "CREATE DATABASE " + db + " CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
    ctx.onRollback("DROP DATABASE " + db + " on " + server.name(), () -> c.execute("DROP DATABASE IF EXISTS " + db));
    // One statement creates the accounts of every grant host, one grants them the database: the
    // server writes its privilege tables twice, not twice per host.
    List<String> accounts = hosts.stream().map(h -> Sql.account(n, user, h)).toList();
    String identified = " IDENTIFIED BY " + Sql.password(n, password);
    ddl(ctx, c, server, "CREATE USER " + accounts.stream().map(a -> a + identified).collect(Collectors.joining(", ")));
    String all = String.join(", ", accounts);
    ctx.onRollback("DROP USER " + all + " on " + server.name(), () -> c.execute("DROP USER IF EXISTS " + all));
    ddl(ctx, c, server, "GRANT ALL PRIVILEGES ON " + Sql.grantTarget(n, name) + ".* TO " + all);
    ctx.save(n, PropertyChanges.builder().set(SiteKeys.DB_NAME, name).set(SiteKeys.DB_USER, name)
        .set(SiteKeys.DB_PASSWD, password).build());
    return name;
  }

  /**
   * Imports a dump into the site's current database with the site's own credentials, streamed by
   * the {@code mysql} client from the file (no JVM memory grows with the dump).
   *
   * <p>A dump is untrusted input (it may come from anyone's archive), so it can only run SQL on
   * the site's own database: the client reads no option file but ours ({@code --defaults-file},
   * so no {@code [client]} section of the machine can turn anything back on), runs in
   * {@code --sandbox} mode (a client command that touches the file system or runs a program,
   * such as {@code \!}, {@code system}, {@code \.}/{@code source}, {@code tee} or {@code pager},
   * is an error that stops the import), with {@code --local-infile=0} ({@code LOAD DATA LOCAL}
   * cannot read the master's files), as the site's own account (its grants reach its own
   * database only; never the server's admin), with the database named on the command line.
   * The first error stops the import and fails the step.
   *
   * @param ctx the step's context
   * @param site the site, resolved with its current credentials
   * @param sql the dump on the master
   */
  public static void importDump(StepContext ctx, ResolvedContext site, Path sql) {
    ContextName n = site.name();
    String db = Grammar.DB_NAME.check(n, "db_name", site.get(SiteKeys.DB_NAME));
    // The option file (the site's account, see clientOptions) arrives on standard input and is
    // moved to fd 3 before the dump takes stdin; --defaults-file must come first.
    ctx.host(ContextName.MASTER).run(Command.of("sh", "-c",
        "exec 3<&0; exec mysql --defaults-file=/dev/fd/3 --sandbox --local-infile=0 --batch \"$1\" < \"$2\"",
        "sh", db, sql.toString())
        .withStdin(clientOptions(site)).withTimeout(Duration.ofHours(2))
        .withDisplay("mysql --sandbox --local-infile=0 " + db + " < " + sql)).orThrow();
    ctx.changed("imported " + sql + " into " + db);
  }

  /** Text columns where Drupal keeps paths to a site's files (Aegir's deploy rewrite, §5.7). */
  static final List<String[]> URI_COLUMNS = List.of(
      new String[] {"node__body", "body_value"}, new String[] {"node__body", "body_summary"},
      new String[] {"node_revision__body", "body_value"}, new String[] {"node_revision__body", "body_summary"},
      new String[] {"block_content__body", "body_value"}, new String[] {"block_content_revision__body", "body_value"},
      new String[] {"field_data_body", "body_value"}, new String[] {"field_data_body", "body_summary"},
      new String[] {"field_revision_body", "body_value"}, new String[] {"field_revision_body", "body_summary"},
      new String[] {"block_custom", "body"}, new String[] {"system", "filename"});

  /**
   * Rewrites {@code sites/<old_uri>/} and {@code sites/default/} paths to {@code sites/<uri>/} in the
   * text columns Drupal keeps file paths in, for a site deployed from another site's archive. Only
   * tables and columns that exist are touched; both uris are host names (no quote can reach the
   * statement).
   *
   * @param ctx the step's context
   * @param site the site, resolved with its new credentials
   * @param server the db server
   * @param oldUri the uri the archive was made from
   */
  public static void rewriteUri(StepContext ctx, ResolvedContext site, ResolvedContext server, String oldUri) {
    ContextName n = site.name();
    String uri = Grammar.HOST.check(n, "uri", site.get(SiteKeys.URI));
    Grammar.HOST.check(n, "old_uri", oldUri);
    if (uri.equals(oldUri)) {
      return;
    }
    String db = Grammar.DB_NAME.check(n, "db_name", site.get(SiteKeys.DB_NAME));
    DbConnection c = connection(ctx, server);
    List<String> present = c.strings("SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) FROM information_schema.COLUMNS"
        + " WHERE TABLE_SCHEMA = '" + db + "'");
    for (String[] tc : URI_COLUMNS) {
      if (!present.contains(tc[0] + "." + tc[1])) {
        continue;
      }
      String col = "`" + tc[1] + "`";
      for (String from : List.of("sites/" + oldUri + "/", "sites/default/")) {
        c.execute("UPDATE `" + db + "`.`" + tc[0] + "` SET " + col + " = REPLACE(" + col + ", '" + from
            + "', 'sites/" + uri + "/') WHERE " + col + " LIKE '%" + from.replace("_", "\\_") + "%'");
      }
      ctx.changed("rewrote " + oldUri + " to " + uri + " in " + db + "." + tc[0] + "." + tc[1]);
    }
  }

  /**
   * Drops a database and its user's accounts, for cleanup after a task succeeded: failures are
   * warnings (Aegir's rule for an old database), never errors.
   *
   * @param ctx the step's context
   * @param site the site, for messages
   * @param server the db server
   * @param name the database
   * @param user its user
   */
  public static void dropQuietly(StepContext ctx, ContextName site, ResolvedContext server, String name, String user) {
    try {
      drop(ctx, site, server, name, user);
    } catch (RuntimeException e) {
      ctx.warn(site + ": the old database " + name + " on " + server.name() + " was not dropped: " + e.getMessage()
          + "; drop it by hand");
    }
  }

  private static void verify(StepContext ctx, ResolvedContext site, ResolvedContext server) {
    ContextName n = site.name();
    Optional<String> dbName = site.find(SiteKeys.DB_NAME);
    if (dbName.isEmpty()) {
      ctx.skip(n + " has no database yet (install it first)");
      return;
    }
    if (ctx.planOnly()) {
      return;
    }
    DbConnection c = connection(ctx, server);
    Optional<DbSnapshot> snap = snapshot(ctx, server, c);
    String name = dbName.get();
    String user = site.find(SiteKeys.DB_USER).orElse(name);
    String db = Sql.ident(n, "db_name", name);
    // A database the snapshot does not list is asked of the server before the site is failed.
    if (!snap.flatMap(sn -> sn.databaseExists(name)).orElse(false) && !c.databaseExists(name)) {
      throw new ProvisionException(n + ": database " + name + " is missing on " + server.name()
          + "; restore it from a backup, or delete and reinstall the site");
    }
    String password = site.find(SiteKeys.DB_PASSWD).orElseThrow(() ->
        new ProvisionException(n + ": db_passwd is missing; the site's credentials are incomplete"));
    for (String host : GrantHosts.of(ctx, site, server)) {
      String account = Sql.account(n, user, host);
      if (snap.isPresent() && snap.get().hasAllPrivileges(user, host, name)) {
        continue; // the account exists and has every privilege on the database
      }
      if (!userExists(snap, c, user, host)) {
        snap.ifPresent(sn -> sn.touch(user));
        ddl(ctx, c, server, "CREATE USER " + account + " IDENTIFIED BY " + Sql.password(n, password));
        ctx.onRollback("DROP USER " + account, () -> c.execute("DROP USER IF EXISTS " + account));
      }
      String target = Sql.grantTarget(n, name);
      boolean granted = c.strings("SHOW GRANTS FOR " + account).stream()
          .anyMatch(g -> g.startsWith("GRANT ALL PRIVILEGES ON " + target + ".*"));
      if (!granted) {
        snap.ifPresent(sn -> sn.touch(user));
        ddl(ctx, c, server, "GRANT ALL PRIVILEGES ON " + target + ".* TO " + account);
      }
    }
  }

  /** The dump a backup archives, in the site directory (Aegir's place for it). */
  public static final String DUMP = "database.sql";
  static final int SMALLEST_DUMP = 1024;

  /**
   * The {@code [client]} option file with the site's own credentials, fed to the client on
   * standard input, so the password is on no command line.
   */
  static byte[] clientOptions(ResolvedContext site) {
    ContextName n = site.name();
    String host = Grammar.HOST_OR_IP.check(n, "db_host", site.get(SiteKeys.DB_HOST));
    String user = Grammar.DB_NAME.check(n, "db_user", site.get(SiteKeys.DB_USER));
    String pass = Grammar.TOKEN.check(n, "db_passwd", site.get(SiteKeys.DB_PASSWD));
    int port = sitePort(site);
    return ("[client]\nhost=" + host + "\nport=" + port + "\nuser=" + user + "\npassword=\"" + pass + "\"\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static void dump(StepContext ctx, ResolvedContext site, ResolvedContext server) {
    ContextName n = site.name();
    if (site.find(SiteKeys.DB_NAME).isEmpty()) {
      throw new ProvisionException(n + ": the site has no database to back up; install it first");
    }
    String db = Grammar.DB_NAME.check(n, "db_name", site.get(SiteKeys.DB_NAME));
    Path sql = Path.of(site.get(SiteKeys.SITE_PATH)).resolve(DUMP);
    Host h = ctx.host(ContextName.MASTER);
    if (h.stat(sql.getParent()).isEmpty()) {
      throw new ProvisionException(n + ": the site directory " + sql.getParent() + " does not exist; verify the site first");
    }
    if (h.stat(sql).isPresent()) {
      throw new ProvisionException(n + ": " + sql + " exists (left by an interrupted backup?); remove it and try again");
    }
    ctx.changed(sql.toString());
    if (ctx.planOnly()) {
      return;
    }
    ctx.onRollback("remove " + sql, () -> h.remove(sql));
    // Streamed by the client straight to disk (no JVM memory grows with the database); the file is
    // private (umask 077) because a dump holds the site's data.
    h.run(Command.of("sh", "-c",
        "umask 077; exec mysqldump --defaults-extra-file=/dev/stdin --single-transaction --quick --no-autocommit"
            + " --result-file=\"$1\" \"$2\"", "sh", sql.toString(), db)
        .withStdin(clientOptions(site)).withTimeout(Duration.ofHours(2))
        .withDisplay("mysqldump " + db + " > " + sql)).orThrow();
    long size = h.stat(sql).map(FileInfo::size).orElse(0L);
    if (size < SMALLEST_DUMP && !Boolean.parseBoolean(ctx.option("force").orElse("false"))) {
      throw new ProvisionException(n + ": the dump of " + db + " is only " + size + " bytes, too small to be a "
          + "database; check the database, or back up with force=true");
    }
  }

  private static void delete(StepContext ctx, ResolvedContext site, ResolvedContext server) {
    ContextName n = site.name();
    Optional<String> dbName = site.find(SiteKeys.DB_NAME);
    if (dbName.isEmpty()) {
      ctx.skip(n + " has no database");
      return;
    }
    if (ctx.planOnly()) {
      ctx.changed("DROP DATABASE `" + dbName.get() + "` on " + server.name());
      return;
    }
    drop(ctx, n, server, dbName.get(), site.find(SiteKeys.DB_USER).orElse(dbName.get()));
  }

  /**
   * Drops a site's database and every account of its user, each statement recorded in the
   * report. Names are held to their grammar and refused when they are the server's own.
   */
  private static void drop(StepContext ctx, ContextName n, ResolvedContext server, String db, String dbUser) {
    String name = Grammar.DB_NAME.check(n, "db_name", db);
    String user = Grammar.DB_NAME.check(n, "db_user", dbUser);
    refuseSystemNames(n, server, name, user);
    DbConnection c = connection(ctx, server);
    List<String> hosts = c.strings("SELECT Host FROM mysql.user WHERE User = '" + user + "'");
    if (c.databaseExists(name)) {
      ddl(ctx, c, server, "DROP DATABASE " + Sql.ident(n, "db_name", name));
    }
    for (String host : hosts) {
      ddl(ctx, c, server, "DROP USER IF EXISTS " + Sql.account(n, user, host));
    }
  }

  private static final Set<String> SYSTEM_SCHEMAS =
      Set.of("mysql", "information_schema", "performance_schema", "sys", "test");

  /** A site's recorded database must never be one of the server's own, nor its user the admin. */
  static void refuseSystemNames(ContextName site, ResolvedContext server, String db, String user) {
    refuseSystemDatabase(site, db);
    refuseAdminUser(site, server, user);
  }

  private static void refuseSystemDatabase(ContextName site, String db) {
    if (SYSTEM_SCHEMAS.contains(db.toLowerCase(Locale.ROOT))) {
      throw new InvalidContextException(site.toString(), "db_name",
          "'" + db + "' is a system database of the server, never a site's; refusing to touch it");
    }
  }

  private static void refuseAdminUser(ContextName site, ResolvedContext server, String user) {
    Optional<String> url = server.find(MASTER_DB);
    if (url.isPresent()) {
      String admin = MasterDb.parse(server.name(), url.get()).user();
      if (admin.equals(user)) {
        throw new InvalidContextException(site.toString(), "db_user",
            "'" + user + "' is the server's administrative account (master_db), never a site's; refusing to touch it");
      }
    }
  }

  /**
   * Settles a database or user that a killed task meant to create: kept when the saved context
   * records it ({@code db_name} or {@code db_user}, on this server) or another context or a
   * running task claims it; otherwise dropped if it exists (a user only on the hosts the intent
   * names), with a warning naming what was dropped.
   */
  @Override
  public boolean settle(LeftIntent left, StepContext ctx) {
    Intent i = left.intent();
    PropertyKey<String> key = switch (i.kind()) {
      case DATABASE -> SiteKeys.DB_NAME;
      case USER -> SiteKeys.DB_USER;
      default -> null;
    };
    if (key == null) {
      return false;
    }
    String property = key.name();
    ContextName n = left.context();
    String name = Grammar.DB_NAME.check(n, property, i.name());
    String by = "a killed " + (left.task() == null ? "task" : left.task().id()) + " of " + n;
    boolean owned = left.saved().filter(s -> name.equals(s.find(key).orElse(null)))
        .filter(s -> i.server().equals(ContextName.of(s.get(SiteKeys.DB_SERVER))))
        .isPresent();
    if (owned) {
      return true; // the site records it: its own tasks look after it
    }
    if (left.claimedByAnother(property)) {
      ctx.warn(i + " was meant to be created by " + by + ", and another context or a running task uses the name;"
          + " it is kept");
      return true;
    }
    ResolvedContext server = ctx.resolve(i.server());
    DbConnection c = connection(ctx, server);
    if (i.kind().equals(DATABASE)) {
      refuseSystemDatabase(n, name);
      if (c.databaseExists(name)) {
        ddl(ctx, c, server, "DROP DATABASE " + Sql.ident(n, "db_name", name));
        ctx.warn("database " + name + " on " + server.name() + " was left by " + by + " and no context records it;"
            + " dropped");
      }
    } else {
      refuseAdminUser(n, server, name);
      List<String> hosts = i.details().isEmpty()
          ? c.strings("SELECT Host FROM mysql.user WHERE User = '" + name + "'") : i.details();
      List<String> dropped = new ArrayList<>();
      for (String host : hosts) {
        String account = Sql.account(n, name, host); // checks the host's grammar before it reaches SQL
        if (c.userExists(name, host)) {
          ddl(ctx, c, server, "DROP USER IF EXISTS " + account);
          dropped.add("'" + name + "'@'" + host + "'");
        }
      }
      if (!dropped.isEmpty()) {
        ctx.warn("user " + String.join(", ", dropped) + " on " + server.name() + " was left by " + by
            + " and no context records it; dropped");
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "db/mysql";
  }
}
