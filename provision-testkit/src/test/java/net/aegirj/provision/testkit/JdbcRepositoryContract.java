package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.JdbcContextRepository;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.TaskListener;
import net.aegirj.provision.spi.TaskLocks;
import net.aegirj.provision.spi.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository contract for {@link JdbcContextRepository} against a real database, plus what is
 * particular to it: the schema and its version, concurrent first use, two control processes on
 * one database, task locks shared by control nodes with their own homes, connections from a
 * {@link DataSource}, and errors that never show the password.
 * Each test gets its own table prefix, so its repository starts empty.
 */
abstract class JdbcRepositoryContract extends ContextRepositoryContract {
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  private String prefix;

  /** @return the JDBC URL of the test database */
  protected abstract String url();

  /** @return a user with every privilege on the test database */
  protected abstract String user();

  /** @return its password */
  protected abstract String password();

  /** @return a data source of the driver for the test database, with user and password */
  protected abstract DataSource dataSource();

  /** @return a URL of the same database on a port where nothing listens */
  protected abstract String unreachableUrl();

  /**
   * Ends every session of the test user but the one given, as a restarted server or a failover
   * would.
   *
   * @param c a connection of the test user
   * @return how many sessions were ended
   * @throws SQLException when the database refuses
   */
  protected abstract int killOtherSessions(Connection c) throws SQLException;

  /**
   * @param shortLimit true: new sessions of the test user are ended after 2 idle seconds; false:
   *     the server's default again
   * @return the statement that does it
   */
  protected abstract String idleLimit(boolean shortLimit);

  private static String freshPrefix() {
    return "t" + PREFIXES.incrementAndGet() + "_";
  }

  private JdbcContextRepository open(String tablePrefix) {
    return JdbcContextRepository.builder().url(url()).user(user()).password(password()).tablePrefix(tablePrefix)
        .build();
  }

  @Override
  protected ContextRepository newRepository() {
    prefix = freshPrefix();
    return open(prefix);
  }

  @Override
  protected boolean supportsPersistence() {
    return true;
  }

  @Override
  protected ContextRepository reopen() {
    return open(prefix);
  }

  /** Drops the table of host names and records the schema version before it, as an older release left it. */
  @Override
  protected boolean removeHostIndex() {
    try {
      execute("DROP TABLE " + prefix + "host");
      execute("UPDATE " + prefix + "schema SET version = 1 WHERE id = 1");
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return true;
  }

  private List<String> query(String sql) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url(), user(), password());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= columns; i++) {
          row.add(rs.getString(i));
        }
        rows.add(String.join("|", row));
      }
    }
    return rows;
  }

  private void execute(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url(), user(), password());
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /** The first use creates the tables and records the schema version; rows hold name, type, version, JSON. */
  @Test
  void firstUseCreatesTheSchemaAndRecordsItsVersion() throws SQLException {
    repository().save(Site.named("a.example.com").platform("platform_d10").build(), ContextRepository.NEW);
    assertThat(query("SELECT id, version FROM " + prefix + "schema"))
        .as("one row records the schema version this release writes")
        .containsExactly("1|" + JdbcContextRepository.schemaVersion());
    assertThat(query("SELECT name, type, version FROM " + prefix + "context"))
        .as("the context is one row with its type and version").containsExactly("a.example.com|site|1");
    assertThat(query("SELECT body FROM " + prefix + "context").get(0))
        .as("the body is the context's JSON document").contains("\"platform\"").contains("@platform_d10");
    assertThat(query("SELECT from_name, to_name FROM " + prefix + "reference"))
        .as("the site's reference to its platform is a row of the reference table")
        .containsExactly("a.example.com|platform_d10");
    assertThat(query("SELECT COUNT(*) FROM " + prefix + "context WHERE updated_at IS NOT NULL"))
        .as("the time of the change is recorded").containsExactly("1");
  }

  /** Processes starting together on an empty database create the schema once, without failing. */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void concurrentFirstUseCreatesTheSchemaOnce() throws Exception {
    String shared = freshPrefix();
    int n = 6;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    List<JdbcContextRepository> repositories = new ArrayList<>();
    try {
      List<Future<Long>> saves = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        JdbcContextRepository r = open(shared);
        repositories.add(r);
        ContextName name = ContextName.of("server_" + i);
        saves.add(pool.submit(() -> {
          start.await();
          return r.save(Server.builder().name(name).build(), ContextRepository.NEW);
        }));
      }
      start.countDown();
      for (Future<Long> f : saves) {
        assertThat(f.get(100, TimeUnit.SECONDS)).as("every first use succeeds and saves version 1").isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
      repositories.forEach(JdbcContextRepository::close);
    }
    assertThat(query("SELECT id, version FROM " + shared + "schema"))
        .as("the schema version is recorded once").containsExactly("1|" + JdbcContextRepository.schemaVersion());
    assertThat(query("SELECT COUNT(*) FROM " + shared + "context")).as("every save landed").containsExactly("" + n);
  }

  /** A schema newer than this release is refused with what to do, and left alone. */
  @Test
  void newerSchemaIsRefused() throws SQLException {
    String newer = freshPrefix();
    try (JdbcContextRepository r = open(newer)) {
      assertThat(r.migrate()).as("migrate() creates the schema").isEqualTo(JdbcContextRepository.schemaVersion());
    }
    execute("UPDATE " + newer + "schema SET version = 99 WHERE id = 1");
    try (JdbcContextRepository r = open(newer)) {
      assertThatThrownBy(() -> r.load(ContextName.MASTER))
          .as("a newer schema must be refused, saying what to do")
          .isInstanceOf(ProvisionException.class)
          .hasMessageContaining("99").hasMessageContaining("upgrade Provision");
    }
    assertThat(query("SELECT version FROM " + newer + "schema")).as("the newer schema is left alone")
        .containsExactly("99");
  }

  /**
   * Two control processes (child JVMs) set different properties of one context 300 times each by
   * read-modify-write: every change lands as its own version or is reported as a conflict and
   * retried, so none is lost.
   */
  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void twoProcessesLoseNoUpdate() throws Exception {
    int n = 300;
    repository().save(Server.builder().name(ContextName.MASTER).build(), ContextRepository.NEW);
    Process a = worker("master_url", n);
    Process b = worker("admin_email", n);
    String outA = new String(a.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    String outB = new String(b.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(a.waitFor(240, TimeUnit.SECONDS)).as("worker a finishes").isTrue();
    assertThat(b.waitFor(240, TimeUnit.SECONDS)).as("worker b finishes").isTrue();
    assertThat(a.exitValue()).as("worker a succeeded").isZero();
    assertThat(b.exitValue()).as("worker b succeeded").isZero();
    System.out.printf("two processes, 2 x %d saves: %s, %s%n", n, outA, outB);
    Versioned last = repository().load(ContextName.MASTER).orElseThrow();
    Server master = (Server) last.context();
    assertThat(last.version()).as("every one of the 2 x %d saves produced its own version: no update was lost", n)
        .isEqualTo(1 + 2L * n);
    assertThat(master.masterUrl()).as("a's last write survived").contains("http://front.example.com/run" + n);
    assertThat(master.adminEmail()).as("b's last write survived").contains("admin" + n + "@example.com");
  }

  private Process worker(String property, int count) throws java.io.IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", JdbcSaveWorker.class.getName(), url(), user(), prefix,
        property, Integer.toString(count));
    pb.environment().put(JdbcSaveWorker.PASSWORD_ENV, password());
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    return pb.start();
  }

  /** A repository on a caller's data source sees and conflicts with one opened from the URL. */
  @Test
  void dataSourceRepositorySharesTheTables() {
    Server master = Server.builder().name(ContextName.MASTER).build();
    repository().save(master, ContextRepository.NEW);
    try (JdbcContextRepository viaDataSource = JdbcContextRepository.builder().dataSource(dataSource())
        .tablePrefix(prefix).build()) {
      assertThat(viaDataSource.load(ContextName.MASTER)).as("the data source repository reads the same row")
          .contains(new Versioned(master, 1));
      assertThat(viaDataSource.save(master, 1)).as("and writes it").isEqualTo(2);
      assertThatThrownBy(() -> viaDataSource.save(master, 1)).as("a stale write through the data source conflicts")
          .isInstanceOf(net.aegirj.provision.api.ConflictException.class);
    }
    assertThat(repository().load(ContextName.MASTER).orElseThrow().version())
        .as("the URL repository sees the data source's write").isEqualTo(2);
  }

  /**
   * Pooled connections that the server ended are replaced: reads and writes carry on, and no
   * write is lost or applied twice.
   */
  @Test
  void brokenPooledConnectionsAreReplaced() throws SQLException {
    Server master = Server.builder().name(ContextName.MASTER).build();
    assertThat(repository().save(master, ContextRepository.NEW)).as("saved before the kill").isEqualTo(1);
    assertThat(repository().load(ContextName.MASTER)).as("loaded before the kill").isPresent();
    try (Connection c = DriverManager.getConnection(url(), user(), password())) {
      assertThat(killOtherSessions(c)).as("the repository's pooled connection was ended").isPositive();
    }
    assertThat(repository().load(ContextName.MASTER)).as("a read after the kill runs on a new connection")
        .contains(new Versioned(master, 1));
    try (Connection c = DriverManager.getConnection(url(), user(), password())) {
      assertThat(killOtherSessions(c)).as("the repository's pooled connection was ended").isPositive();
    }
    assertThat(repository().save(master, 1)).as("a write after the kill runs on a new connection, once")
        .isEqualTo(2);
    assertThat(repository().load(ContextName.MASTER).orElseThrow().version()).as("applied exactly once")
        .isEqualTo(2);
  }

  /** A wrong password and an unreachable database are ProvisionExceptions that never show a password. */
  @Test
  void failuresAreClearAndNeverShowThePassword() {
    String wrong = "Wr0ngSecret" + password();
    try (JdbcContextRepository r = JdbcContextRepository.builder().url(url()).user(user()).password(wrong)
        .tablePrefix(prefix).build()) {
      assertThat(r.toString()).as("toString names the database and tables").contains(prefix)
          .doesNotContain(wrong);
      assertThatThrownBy(() -> r.load(ContextName.MASTER)).as("a wrong password is a ProvisionException")
          .isInstanceOf(ProvisionException.class)
          .hasMessageContaining("cannot load @server_master")
          .satisfies(e -> assertThat(e.getMessage()).as("the password is never shown").doesNotContain(wrong));
    }
    try (JdbcContextRepository r = JdbcContextRepository.builder().url(unreachableUrl()).user(user())
        .password(password()).build()) {
      assertThatThrownBy(() -> r.save(Server.builder().name(ContextName.MASTER).build(), ContextRepository.NEW))
          .as("an unreachable database is a ProvisionException saying so")
          .isInstanceOf(ProvisionException.class)
          .hasMessageContaining("cannot be reached")
          .satisfies(e -> assertThat(e.getMessage()).as("the password is never shown").doesNotContain(password()));
    }
  }

  // --- task locks shared by control nodes ------------------------------------------------------

  private static final ContextName WEB1 = ContextName.of("server_web1");
  private static final ContextName WEB2 = ContextName.of("server_web2");

  @TempDir
  Path nodes;

  /**
   * A control node: its own home, its own repository instance on the shared tables, fake remote
   * servers, and a listener that holds its tasks on {@code server_web1} until told to go on.
   */
  private final class Node implements AutoCloseable {
    final JdbcContextRepository repository = open(prefix);
    final Provision provision;
    final CountDownLatch running = new CountDownLatch(1);
    final CountDownLatch goOn = new CountDownLatch(1);

    Node(String name, Duration lockWait) {
      Path home = nodes.resolve(name).toAbsolutePath().normalize();
      FakeHost web1 = new FakeHost(WEB1.value());
      FakeHost web2 = new FakeHost(WEB2.value());
      web1.mkdirs(home, FileMode.of(0755));
      web2.mkdirs(home, FileMode.of(0755));
      provision = Provision.builder().home(home).repository(repository).hosts(FakeHost.provider(web1, web2))
          .lockWait(lockWait).listener(new TaskListener() {
            @Override
            public void taskStarted(Task task, ContextName context, int steps) {
              if (context.equals(WEB1)) {
                running.countDown();
                try {
                  goOn.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            }
          }).build();
    }

    /** Starts a verify of {@code server_web1} and returns once it runs, holding the lock. */
    CompletableFuture<TaskReport> holdWeb1() throws InterruptedException {
      CompletableFuture<TaskReport> task = CompletableFuture.supplyAsync(() -> provision.server(WEB1.value()).verify());
      assertThat(running.await(30, TimeUnit.SECONDS)).as("the node's task on server_web1 runs").isTrue();
      return task;
    }

    @Override
    public void close() {
      goOn.countDown();
      provision.close();
      repository.close();
    }
  }

  /**
   * Node A (waits up to 30 s for a lock) and node B (waits 1 s, never holds its own tasks), the
   * servers {@code server_web1} and {@code server_web2} in their shared tables, and node A's task
   * on {@code server_web1}, running until {@code a.goOn}.
   */
  private final class TwoNodes implements AutoCloseable {
    final Node a = new Node("a", Duration.ofSeconds(30));
    final Node b = new Node("b", Duration.ofSeconds(1));
    final CompletableFuture<TaskReport> aHoldsWeb1;

    TwoNodes() throws InterruptedException {
      b.goOn.countDown();
      a.provision.save(Server.named(WEB1.value()).remoteHost("web1.example.com"));
      a.provision.save(Server.named(WEB2.value()).remoteHost("web2.example.com"));
      aHoldsWeb1 = a.holdWeb1();
    }

    /** @return the conflict of node B's task on {@code server_web1} */
    ConflictException bIsRefusedOnWeb1() {
      return catchThrowableOfType(ConflictException.class, () -> b.provision.server(WEB1.value()).verify());
    }

    @Override
    public void close() {
      try {
        b.close();
      } finally {
        a.close();
      }
    }
  }

  /**
   * Two control nodes (own homes, one database): while node A runs a task on a context, node B's
   * task on it fails after B's wait with a conflict naming the context and the other node; a task
   * on another context runs; once A's task is done, B's runs.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void twoControlNodesNeverRunATaskOnOneContextAtOnce() throws Exception {
    try (TwoNodes nodes = new TwoNodes()) {
      Node a = nodes.a;
      Node b = nodes.b;
      CompletableFuture<TaskReport> held = nodes.aHoldsWeb1;
      long start = System.nanoTime();
      assertThat(nodes.bIsRefusedOnWeb1())
          .as("node B's task on the context node A works on is refused")
          .hasMessageContaining("@server_web1")
          .hasMessageContaining("another control node")
          .hasMessageContaining("waited 1 s")
          .satisfies(e -> assertThat(e.getMessage()).as("never the password").doesNotContain(password()));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("after node B's wait of 1 s")
          .isGreaterThanOrEqualTo(Duration.ofSeconds(1)).isLessThan(Duration.ofSeconds(20));
      assertThat(b.provision.server(WEB2.value()).verify().succeeded())
          .as("another context is not blocked").isTrue();
      assertThat(held).as("node A's task is still running").isNotDone();
      a.goOn.countDown();
      assertThat(held.get(60, TimeUnit.SECONDS).succeeded()).as("node A's task succeeds").isTrue();
      assertThat(b.provision.server(WEB1.value()).verify().succeeded())
          .as("once node A released the context, node B's task on it runs").isTrue();
      assertThat(b.provision.verifyAll(List.of(WEB1.value(), WEB2.value())))
          .as("a batch takes the locks on its worker threads").allMatch(TaskReport::succeeded);
      long batchDone = System.nanoTime();
      assertThat(a.provision.server(WEB1.value()).verify().succeeded()).as("node A's task runs again").isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - batchDone))
          .as("at once: the batch released its locks, from whichever thread").isLessThan(Duration.ofSeconds(5));
    }
  }

  /**
   * A control node that dies while it runs a task leaves no lock behind: when its sessions end
   * (as they do when its process is killed), another node takes the context's lock at once.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void theLockOfANodeWhoseConnectionDiedIsFree() throws Exception {
    try (TwoNodes nodes = new TwoNodes()) {
      assertThat(nodes.bIsRefusedOnWeb1()).as("node A holds the lock").isNotNull();
      try (Connection c = DriverManager.getConnection(url(), user(), password())) {
        assertThat(killOtherSessions(c)).as("the sessions of the nodes were ended, A's lock session with them")
            .isPositive();
      }
      assertThat(nodes.b.provision.server(WEB1.value()).verify().succeeded())
          .as("node B takes the lock that died with node A's session").isTrue();
      nodes.a.goOn.countDown();
      nodes.aHoldsWeb1.get(60, TimeUnit.SECONDS);
      assertThat(nodes.a.provision.server(WEB1.value()).verify().succeeded())
          .as("node A, its lost lock released, takes it again on a new session").isTrue();
    }
  }

  /**
   * A control process killed by {@code kill -9} while it holds a task lock leaves none behind:
   * the database ends its session, and the lock is free.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aControlProcessKilledWhileItHoldsATaskLockLeavesNoneBehind() throws Exception {
    Process child = worker(JdbcSaveWorker.TASK_LOCK, 1);
    try {
      java.io.BufferedReader out = new java.io.BufferedReader(
          new java.io.InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).as("the child process holds the task lock of @server_master").isEqualTo("locked");
      TaskLocks locks = repository().taskLocks().orElseThrow();
      assertThat(locks.tryLock(ContextName.MASTER, Duration.ofMillis(200))).as("so this process is refused")
          .isEmpty();
    } finally {
      child.destroyForcibly();
    }
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("the child was killed").isTrue();
    long start = System.nanoTime();
    assertThat(repository().taskLocks().orElseThrow().tryLock(ContextName.MASTER, Duration.ofSeconds(30)))
        .as("the killed process's lock died with its session").hasValueSatisfying(TaskLocks.Held::close);
    System.out.printf("the lock of a killed process was free after %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  /**
   * A task may run longer than the server's idle limit for sessions (short where the same server
   * holds the sites' databases): the lock session lifts it for itself, so its locks last.
   */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aTaskLockOutlivesTheServersIdleLimit() throws Exception {
    try (Connection c = DriverManager.getConnection(url(), user(), password()); Statement st = c.createStatement()) {
      st.execute(idleLimit(true));
      try (JdbcContextRepository a = open(prefix); JdbcContextRepository b = open(prefix)) {
        TaskLocks.Held held = a.taskLocks().orElseThrow().tryLock(WEB1, Duration.ZERO).orElseThrow();
        Thread.sleep(3_500);
        assertThat(b.taskLocks().orElseThrow().tryLock(WEB1, Duration.ZERO))
            .as("after longer than the idle limit, node A's lock still holds").isEmpty();
        held.close();
        assertThat(b.taskLocks().orElseThrow().tryLock(WEB1, Duration.ofSeconds(5)))
            .as("until A releases it").hasValueSatisfying(TaskLocks.Held::close);
      } finally {
        st.execute(idleLimit(false));
      }
    }
  }

  /** A repository on a caller's data source takes the same task locks, and its close releases them. */
  @Test
  void dataSourceRepositorySharesTheTaskLocks() {
    TaskLocks locks = repository().taskLocks().orElseThrow();
    try (JdbcContextRepository viaDataSource = JdbcContextRepository.builder().dataSource(dataSource())
        .tablePrefix(prefix).build()) {
      assertThat(viaDataSource.taskLocks().orElseThrow().tryLock(WEB1, Duration.ZERO))
          .as("the data source repository takes the lock").isPresent();
      assertThat(locks.tryLock(WEB1, Duration.ZERO)).as("which the URL repository sees").isEmpty();
    }
    assertThat(locks.tryLock(WEB1, Duration.ofSeconds(5))).as("the data source repository's close released it")
        .hasValueSatisfying(TaskLocks.Held::close);
  }
}
