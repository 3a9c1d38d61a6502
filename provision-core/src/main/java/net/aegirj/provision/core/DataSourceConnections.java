package net.aegirj.provision.core;

import static net.aegirj.provision.core.ConnectionSource.closeQuietly;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** A caller's {@link DataSource}: it pools, or not, as it likes. */
final class DataSourceConnections implements ConnectionSource {
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
