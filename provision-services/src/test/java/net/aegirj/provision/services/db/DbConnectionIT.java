package net.aegirj.provision.services.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DbConnection} and its {@link DbPool} on a real MariaDB: a connection given back is taken
 * by the next task, one the server has ended is replaced, no more than {@link DbPool#MAX_IDLE}
 * stay open, and closing the pool (or the {@code Provision} instance that owns it) closes them
 * all and stops its thread.
 */
class DbConnectionIT {
  @TempDir Path tmp;
  LocalServers servers;
  MariaDbServer db;
  MasterDb admin;
  DbPool pool;

  @BeforeEach
  void start() throws IOException {
    servers = LocalServers.in(Files.createDirectories(tmp.resolve("state")));
    db = servers.mariadb();
    admin = MasterDb.parse("@server_master", db.masterDbUrl());
    pool = new DbPool();
  }

  @AfterEach
  void stop() {
    pool.close();
    servers.close();
  }

  private DbConnection open() {
    return DbConnection.open("@server_master", admin, db.port(), pool);
  }

  private static long id(DbConnection c) {
    return Long.parseLong(c.strings("SELECT CONNECTION_ID()").get(0));
  }

  private int adminSessions() {
    return Integer.parseInt(db.sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '"
        + db.adminUser() + "'").trim());
  }

  @Test
  void theNextTaskTakesTheConnectionTheLastGaveBack() {
    long first;
    try (DbConnection a = open()) {
      first = id(a);
    }
    try (DbConnection b = open()) {
      assertThat(id(b)).as("the same session serves the next task: no new connection").isEqualTo(first);
    }
    DbConnection c = open();
    long before = id(c);
    c.close();
    assertThat(id(c)).as("a connection given back early is taken again when used").isEqualTo(before);
    c.close();
  }

  @Test
  void aConnectionTheServerEndedIsReplaced() {
    long first;
    try (DbConnection a = open()) {
      first = id(a);
    }
    db.sql("KILL CONNECTION " + first);
    try (DbConnection b = open()) {
      assertThat(id(b)).as("a new session, not the killed one").isNotEqualTo(first);
      b.execute("CREATE DATABASE IF NOT EXISTS pooled_check");
      assertThat(b.databaseExists("pooled_check")).as("and it works").isTrue();
    }
  }

  /**
   * The batch's snapshot answers only what the server's own {@code SHOW GRANTS} would: every
   * privilege on the database for an account granted ALL, nothing for one granted less, and
   * nothing once a task of the batch has touched a name.
   */
  @Test
  void theSnapshotOfABatchAgreesWithTheServer() {
    try (DbConnection c = open()) {
      c.execute("CREATE DATABASE snap_all");
      c.execute("CREATE USER 'snap_all'@'localhost' IDENTIFIED BY 'pw1', 'snap_some'@'localhost' IDENTIFIED BY 'pw2'");
      c.execute("GRANT ALL PRIVILEGES ON `snap\\_all`.* TO 'snap_all'@'localhost'");
      c.execute("GRANT SELECT ON `snap\\_all`.* TO 'snap_some'@'localhost'");
      assertThat(c.strings("SHOW GRANTS FOR 'snap_all'@'localhost'")).as("the server's own view")
          .anyMatch(g -> g.startsWith("GRANT ALL PRIVILEGES ON `snap\\_all`.*"));

      DbSnapshot snap = new DbSnapshot("@server_master").load(c);
      assertThat(snap.databaseExists("snap_all")).as("a database that exists").contains(true);
      assertThat(snap.databaseExists("snap_none")).as("one that does not").contains(false);
      assertThat(snap.userExists("snap_all", "localhost")).as("an account that exists").contains(true);
      assertThat(snap.userExists("snap_all", "127.0.0.1")).as("the same user on another host does not").contains(false);
      assertThat(snap.hasAllPrivileges("snap_all", "localhost", "snap_all")).as("granted ALL").isTrue();
      assertThat(snap.hasAllPrivileges("snap_some", "localhost", "snap_all"))
          .as("granted SELECT only: the snapshot does not say ALL (the caller asks SHOW GRANTS)").isFalse();

      snap.touch("snap_all");
      assertThat(snap.databaseExists("snap_all")).as("a name a task changes is asked of the server again").isEmpty();
      assertThat(snap.userExists("snap_all", "localhost")).as("for its accounts too").isEmpty();
      assertThat(snap.hasAllPrivileges("snap_all", "localhost", "snap_all")).as("and its grants").isFalse();
      c.execute("DROP USER 'snap_all'@'localhost', 'snap_some'@'localhost'");
      c.execute("DROP DATABASE snap_all");
    }
  }

  @Test
  void atMostMaxIdleStayOpen() {
    List<DbConnection> many = new ArrayList<>();
    for (int i = 0; i < DbPool.MAX_IDLE + 4; i++) {
      DbConnection c = open();
      id(c);
      many.add(c);
    }
    int busy = adminSessions();
    many.forEach(DbConnection::close);
    assertThat(adminSessions()).as("given back, all but %d are closed", DbPool.MAX_IDLE)
        .isEqualTo(busy - 4);
  }

  @Test
  void closingThePoolClosesItsConnectionsAndStopsItsThread() {
    int before = adminSessions();
    try (DbConnection a = open(); DbConnection b = open()) {
      id(a);
      id(b);
    }
    assertThat(pool.idleCount()).as("two connections wait for the next task").isEqualTo(2);
    assertThat(sweepers()).as("the pool's sweeper runs while connections wait").isEqualTo(1);
    pool.close();
    assertThat(adminSessions()).as("closing the pool closes its connections").isEqualTo(before);
    assertThat(sweepers()).as("and stops its sweeper").isZero();
    DbConnection late = open();
    id(late);
    late.close();
    assertThat(adminSessions()).as("a connection given back to a closed pool is closed").isEqualTo(before);
  }

  /**
   * A {@code Provision} instance owns its pool: after tasks that used the database, {@code close()}
   * leaves no connection open and no thread of ours running.
   */
  @Test
  void closingProvisionLeavesNoConnectionAndNoThreadOfOurs() throws IOException {
    int before = adminSessions();
    Path home = Files.createDirectories(tmp.resolve("home"));
    try (Provision p = Provision.builder().home(home).build()) {
      p.save("server_db", db.serverContext());
      p.server("server_db").verify();
      p.server("server_db").verify();
      assertThat(adminSessions()).as("between tasks, the instance keeps a connection for the next").isGreaterThan(before);
    }
    assertThat(adminSessions()).as("closed, the instance leaves no connection open").isEqualTo(before);
    assertThat(ourThreads()).as("nor any thread of ours").isEmpty();
  }

  private static long sweepers() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
        .filter(t -> t.getName().equals(DbPool.SWEEPER_NAME)).count();
  }

  private static List<String> ourThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .filter(n -> n.startsWith("provision")).toList();
  }
}
