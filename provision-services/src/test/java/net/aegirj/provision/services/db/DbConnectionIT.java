package net.aegirj.provision.services.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DbConnection} on a real MariaDB: a connection given back is taken by the next task, one
 * the server has ended is replaced, and no more than {@link DbConnection#MAX_IDLE} stay open.
 */
class DbConnectionIT {
  @TempDir Path tmp;
  LocalServers servers;
  MariaDbServer db;
  MasterDb admin;

  @BeforeEach
  void start() throws IOException {
    servers = LocalServers.in(Files.createDirectories(tmp.resolve("state")));
    db = servers.mariadb();
    admin = MasterDb.parse("@server_master", db.masterDbUrl());
  }

  @AfterEach
  void stop() {
    servers.close();
  }

  private DbConnection open() {
    return DbConnection.open("@server_master", admin, db.port());
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

  @Test
  void atMostMaxIdleStayOpen() {
    List<DbConnection> many = new ArrayList<>();
    for (int i = 0; i < DbConnection.MAX_IDLE + 4; i++) {
      DbConnection c = open();
      id(c);
      many.add(c);
    }
    int busy = adminSessions();
    many.forEach(DbConnection::close);
    assertThat(adminSessions()).as("given back, all but %d are closed", DbConnection.MAX_IDLE)
        .isEqualTo(busy - 4);
  }
}
