package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/** The JDBC repository against a real PostgreSQL 15 from Debian's packages, one server for the class. */
class JdbcContextRepositoryPostgresIT extends JdbcRepositoryContract {
  @TempDir
  static Path temp;

  private static LocalServers servers;
  private static PostgresServer db;

  @BeforeAll
  static void startPostgres() throws IOException {
    // as root, the server runs as the postgres system user, which must reach its state directory
    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
    servers = LocalServers.in(temp.resolve("state"));
    db = servers.postgres();
    System.out.printf("postgres started in %d ms (initdb included)%n", db.startupTime().toMillis());
  }

  @AfterAll
  static void stopPostgres() {
    if (servers != null) {
      Set<Long> pids = db == null ? Set.of() : db.process().pids();
      servers.close();
      assertThat(pids).as("postgres and its backends are gone after close()")
          .allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).as("pid %d", pid)
              .isNotEqualTo(Optional.of(true)));
    }
  }

  @Override
  protected String url() {
    return db.jdbcUrl();
  }

  @Override
  protected String user() {
    return db.user();
  }

  @Override
  protected String password() {
    return db.password();
  }

  @Override
  protected DataSource dataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(url());
    ds.setUser(user());
    ds.setPassword(password());
    return ds;
  }

  @Override
  protected String unreachableUrl() {
    return "jdbc:postgresql://127.0.0.1:" + Ports.free() + "/" + PostgresServer.DATABASE + "?connectTimeout=5";
  }

  @Override
  protected String idleLimit(boolean shortLimit) {
    return "ALTER ROLE " + user() + (shortLimit ? " SET idle_session_timeout = '2s'" : " RESET idle_session_timeout");
  }

  @Override
  protected int killOtherSessions(Connection c) throws SQLException {
    int n = 0;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            + "WHERE usename = current_user AND pid <> pg_backend_pid() AND datname = current_database()")) {
      while (rs.next()) {
        n++;
      }
    }
    return n;
  }
}
