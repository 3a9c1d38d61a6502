package net.aegirj.provision.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
      servers.close();
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
}
