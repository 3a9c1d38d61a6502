package net.aegirj.provision.testkit;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.mariadb.jdbc.MariaDbDataSource;

/** The JDBC repository against a real MariaDB from Debian's packages, one server for the class. */
class JdbcContextRepositoryMariaDbIT extends JdbcRepositoryContract {
  @TempDir
  static Path temp;

  private static LocalServers servers;
  private static MariaDbServer db;

  @BeforeAll
  static void startMariaDb() {
    servers = LocalServers.in(temp.resolve("state"));
    db = servers.mariadb();
    db.sql("CREATE DATABASE provision");
  }

  @AfterAll
  static void stopMariaDb() {
    if (servers != null) {
      servers.close();
    }
  }

  @Override
  protected String url() {
    return "jdbc:mariadb://127.0.0.1:" + db.port() + "/provision";
  }

  @Override
  protected String user() {
    return db.adminUser();
  }

  @Override
  protected String password() {
    return db.adminPassword();
  }

  @Override
  protected DataSource dataSource() {
    try {
      MariaDbDataSource ds = new MariaDbDataSource(url());
      ds.setUser(user());
      ds.setPassword(password());
      return ds;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected String unreachableUrl() {
    return "jdbc:mariadb://127.0.0.1:" + Ports.free() + "/provision?connectTimeout=5000";
  }

  @Override
  protected String idleLimit(boolean shortLimit) {
    return "SET GLOBAL wait_timeout = " + (shortLimit ? 2 : 28800);
  }

  @Override
  protected int killOtherSessions(Connection c) throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '"
            + MariaDbServer.ADMIN_USER + "' AND ID <> CONNECTION_ID()")) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    try (Statement st = c.createStatement()) {
      for (long id : ids) {
        st.execute("KILL CONNECTION " + id);
      }
    }
    return ids.size();
  }
}
