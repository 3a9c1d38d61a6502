package net.aegirj.provision.services.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The database connections the tasks of one {@code Provision} instance have given back, for the
 * next task to take: a batch of a thousand installs opens about as many connections as it runs
 * tasks at once, not one or two per task. A connection given back stays open for {@link
 * #IDLE_LIMIT}, at most {@link #MAX_IDLE} per server and account; one kept longer is closed by the
 * pool's sweeper thread (started with the first connection given back, named {@value
 * #SWEEPER_NAME}); one the server closed meanwhile is noticed when it is taken, and replaced.
 *
 * <p>It is an instance's shared resource ({@code StepContext.shared}): {@link #close()} (through
 * {@code Provision.close()}) closes every idle connection and stops the sweeper, and connections
 * given back after that are closed at once.
 */
final class DbPool implements AutoCloseable {
  /** How long a connection given back stays open for the next task. */
  static final Duration IDLE_LIMIT = Duration.ofSeconds(30);
  /** How many connections given back stay open per server and account. */
  static final int MAX_IDLE = 8;
  /**
   * A connection given back less than this long ago is handed on without asking the server
   * whether it is still there (a round trip per task in a batch otherwise).
   */
  static final Duration TRUSTED_FOR = Duration.ofMillis(500);
  /** The sweeper thread's name. */
  static final String SWEEPER_NAME = "provision-db-idle-sweeper";

  private record Idle(Connection connection, long since) {}

  /** Open connections given back, by server URL, user and a hash of the password. */
  private final Map<String, ConcurrentLinkedDeque<Idle>> idle = new ConcurrentHashMap<>();
  private ScheduledExecutorService sweeper; // guarded by this
  private boolean closed; // guarded by this

  /**
   * @param key the server, account and password hash
   * @return an idle connection for it that still works, if there is one
   */
  Optional<Connection> take(String key) {
    ConcurrentLinkedDeque<Idle> q = idle.get(key);
    for (Idle i = q == null ? null : q.pollFirst(); i != null; i = q.pollFirst()) {
      long idleFor = System.nanoTime() - i.since();
      if (idleFor < IDLE_LIMIT.toNanos()
          && (idleFor < TRUSTED_FOR.toNanos() ? handOn(i.connection()) : usable(i.connection()))) {
        return Optional.of(i.connection());
      }
      closeQuietly(i.connection());
    }
    return Optional.empty();
  }

  /**
   * Keeps a connection for the next task, or closes it when enough are idle, when the pool is
   * closed, or when it is not in a state to hand on.
   *
   * @param key the server, account and password hash
   * @param c the connection
   */
  void giveBack(String key, Connection c) {
    synchronized (this) {
      if (!closed) {
        ConcurrentLinkedDeque<Idle> q = idle.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>());
        if (q.size() < MAX_IDLE && handOn(c)) {
          q.addFirst(new Idle(c, System.nanoTime()));
          startSweeper();
          return;
        }
      }
    }
    closeQuietly(c);
  }

  /** Starts the sweeper, once. */
  private void startSweeper() {
    if (sweeper != null) {
      return;
    }
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, SWEEPER_NAME);
      t.setDaemon(true);
      return t;
    });
    s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    long every = IDLE_LIMIT.toMillis() / 3;
    s.scheduleWithFixedDelay(() -> idle.values().forEach(q -> expire(q, System.nanoTime())), every, every,
        TimeUnit.MILLISECONDS);
    sweeper = s;
  }

  /** @return how many connections are idle, for tests */
  int idleCount() {
    return idle.values().stream().mapToInt(ConcurrentLinkedDeque::size).sum();
  }

  /** Closes every idle connection and stops the sweeper; later connections given back are closed. */
  @Override
  public void close() {
    ScheduledExecutorService s;
    synchronized (this) {
      closed = true;
      s = sweeper;
      sweeper = null;
    }
    if (s != null) {
      s.shutdownNow();
      try {
        s.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List<Idle> all = new ArrayList<>();
    for (ConcurrentLinkedDeque<Idle> q : idle.values()) {
      for (Idle i = q.pollFirst(); i != null; i = q.pollFirst()) {
        all.add(i);
      }
    }
    all.forEach(i -> closeQuietly(i.connection()));
  }

  /** Whether a connection is in a state to hand on, by what the driver knows (no round trip). */
  private static boolean handOn(Connection c) {
    try {
      return !c.isClosed() && c.getAutoCommit();
    } catch (SQLException e) {
      return false;
    }
  }

  /** Whether a connection still works, asking the server. */
  private static boolean usable(Connection c) {
    try {
      return c.isValid(2) && c.getAutoCommit();
    } catch (SQLException e) {
      return false;
    }
  }

  /** Closes the connections of a queue that have been idle for longer than the limit. */
  private static void expire(ConcurrentLinkedDeque<Idle> q, long now) {
    for (Idle i = q.peekLast(); i != null && now - i.since() >= IDLE_LIMIT.toNanos(); i = q.peekLast()) {
      if (q.removeLastOccurrence(i)) {
        closeQuietly(i.connection());
      }
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      // closing anyway
    }
  }
}
