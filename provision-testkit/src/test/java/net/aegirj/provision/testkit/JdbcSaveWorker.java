package net.aegirj.provision.testkit;

import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.core.JdbcContextRepository;
import net.aegirj.provision.spi.Versioned;

/**
 * A child process for {@link JdbcRepositoryContract}: a second control process. It sets one
 * property of {@code @server_master} {@code count} times by read-modify-write through a
 * {@link JdbcContextRepository}, retrying each change that is reported as a conflict, and prints
 * how many conflicts it saw. Arguments: JDBC URL, user, table prefix, property, count; the
 * password comes from the environment ({@value #PASSWORD_ENV}), never the command line.
 *
 * <p>With the property {@value #TASK_LOCK} it is a control node busy with a task instead: it
 * takes the task lock of {@code @server_master}, prints {@code locked} and waits to be killed.
 */
final class JdbcSaveWorker {
  /** The environment variable holding the database password. */
  static final String PASSWORD_ENV = "PROVISION_TEST_DB_PASSWORD";
  /** The property that makes the worker hold the task lock of {@code @server_master}. */
  static final String TASK_LOCK = "task_lock";

  private JdbcSaveWorker() {}

  public static void main(String[] args) throws InterruptedException {
    String url = args[0];
    String user = args[1];
    String prefix = args[2];
    String property = args[3];
    int count = Integer.parseInt(args[4]);
    long conflicts = 0;
    try (JdbcContextRepository repository = JdbcContextRepository.builder().url(url).user(user)
        .password(System.getenv(PASSWORD_ENV)).tablePrefix(prefix).maxConnections(1).build()) {
      if (property.equals(TASK_LOCK)) {
        repository.taskLocks().orElseThrow().tryLock(ContextName.MASTER, java.time.Duration.ZERO).orElseThrow();
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
      }
      for (int i = 1; i <= count; i++) {
        while (true) {
          Versioned v = repository.load(ContextName.MASTER).orElseThrow();
          Server.Builder next = Server.builder().from((Server) v.context());
          switch (property) {
            case "master_url" -> next.masterUrl("http://front.example.com/run" + i);
            case "admin_email" -> next.adminEmail("admin" + i + "@example.com");
            default -> throw new IllegalArgumentException(property);
          }
          try {
            repository.save(next.build(), v.version());
            break;
          } catch (ConflictException e) {
            conflicts++;
          }
        }
      }
    }
    System.out.println("conflicts=" + conflicts);
  }
}
