package net.aegirj.provision.core;

import static net.aegirj.provision.core.ConnectionSource.closeQuietly;
import static net.aegirj.provision.core.JdbcContextRepository.LOCK_WAIT_MILLIS;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/** Connections opened by {@link DriverManager}, kept for reuse, at most {@code max} at a time. */
final class DriverConnections implements ConnectionSource {
  private static final long IDLE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final String url;
  private final Properties properties;
  private final Semaphore permits;
  private final int max;
  /** Guarded by itself: idle connections and when they were handed back. */
  private final Deque<Idle> idle = new ArrayDeque<>();
  private volatile boolean closed;

  /** An idle connection and when it was handed back ({@link System#nanoTime()}). */
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
    discardIdle();
  }
}
