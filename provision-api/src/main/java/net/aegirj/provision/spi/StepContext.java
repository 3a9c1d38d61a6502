package net.aegirj.provision.spi;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Task;

/** What a running {@link Step} works on and with. */
public interface StepContext {
  /** @return the task being run */
  Task task();

  /** @return the context the task runs on, resolved */
  ResolvedContext target();

  /**
   * @param name a context the step needs (a server, a platform)
   * @return it, resolved
   */
  ResolvedContext resolve(ContextName name);

  /**
   * The host of a server, journaled: every change made through it is recorded and undone if the
   * task fails, and in a plan it is only recorded. One connection per server serves the whole task.
   *
   * @param server a server
   * @return its host
   */
  Host host(ContextName server);

  /**
   * The host of a server outside the task's journal: what a step writes through it stays when the
   * task fails and rolls back, and is not listed in the step's report. It is for the few records
   * that must outlive a failed task (an ACME server's rate-limit answer, which a rollback must not
   * forget), never for what the task changes for a context. Write only in a directory that exists
   * or that is made through this host too: a directory the task made through
   * {@link #host(ContextName)} is removed by the rollback only while empty. In a plan it is
   * {@link #host(ContextName)}, which records and changes nothing.
   *
   * <p>Added after the first release: the default is {@link #host(ContextName)} (journaled), for
   * implementations outside Provision (a test double).
   *
   * @param server a server
   * @return its host, not journaled
   */
  default Host unjournaledHost(ContextName server) {
    return host(server);
  }

  /**
   * The stored contexts of a type, resolved, as the repository holds them now: for a step that
   * must know whether another context still uses something before it removes it (a certificate
   * several sites name through {@code ssl_key}). It reads the whole repository, so call it only
   * when there is something to remove. Other tasks (of a batch, or of other processes) may change
   * the repository meanwhile.
   *
   * <p>Added after the first release: the default answers empty (not known), for implementations
   * outside Provision; a caller then keeps what it would have removed.
   *
   * @param type a context type
   * @return every stored context of that type, resolved; empty when that cannot be told whole (a
   *     stored context that cannot be read or resolved might be one of them)
   */
  default Optional<List<ResolvedContext>> contexts(ContextType type) {
    return Optional.empty();
  }

  /** @return the local host (journaled like {@link #host(ContextName)}) */
  Host localHost();

  /**
   * Registers how to undo a change the journal cannot see (a database, a grant).
   *
   * @param what what will be undone, for the report
   * @param undo the undo action
   */
  void onRollback(String what, Runnable undo);

  /**
   * Asks for the service of a server to be reloaded once at the end of the task (only when
   * something it serves changed).
   *
   * @param server the server
   * @param service the service, e.g. {@code http}
   */
  void reload(ContextName server, String service);

  /**
   * Records a warning that does not fail the task.
   *
   * @param message the warning
   */
  void warn(String message);

  /**
   * Marks the step as having had nothing to do.
   *
   * @param reason why
   */
  void skip(String reason);

  /**
   * Registers clean-up that runs once the whole task has succeeded (after the reloads): removing
   * what a successful task replaced, such as an old database. A failure there is a warning, never a
   * rollback. Not run in a plan.
   *
   * @param what what it does, for the report
   * @param action the clean-up
   */
  void onSuccess(String what, Runnable action);

  /**
   * Records a change that is not a file (a database, a user, a grant) in the step's report.
   *
   * @param what the change, e.g. {@code CREATE DATABASE `examplecom` on @server_db}
   */
  void changed(String what);

  /**
   * Saves property changes of a context as part of the task (install records the site's database
   * credentials this way): undone when the task fails; in a plan only recorded. Later
   * {@link #resolve(ContextName)} calls see the new values.
   *
   * @param name the context
   * @param changes the changes, in the command line's text form
   */
  void save(ContextName name, PropertyChanges changes);

  /**
   * A resource kept for the length of the task (a database connection, a pool), made on first use
   * and closed when the task ends. In a batch, a task's resources are also closed between its
   * last step and its end (while the batch's other tasks run), so that a thousand waiting tasks do
   * not hold a thousand connections: a resource must open itself again when it is used after
   * {@code close()} (by a rollback, say).
   *
   * @param key names the resource within the task
   * @param create makes it
   * @param <T> its type
   * @return the task's resource for that key
   */
  <T extends AutoCloseable> T resource(String key, Supplier<T> create);

  /**
   * A resource kept for the life of the {@code Provision} instance that runs the task (a pool of
   * idle connections, say), shared by all its tasks, made on first use and closed when the
   * instance is closed, never before. Nothing a service type keeps between tasks may be static:
   * an application may run several instances in one JVM and expects {@code close()} to leave no
   * thread or connection behind. It must be safe for tasks running at once.
   *
   * @param key names the resource within the instance (prefix it with the service's name)
   * @param create makes it
   * @param <T> its type
   * @return the instance's resource for that key
   */
  <T extends AutoCloseable> T shared(String key, Supplier<T> create);

  /**
   * A value shared by the tasks of the batch this task runs in ({@code runAll}, {@code verifyAll},
   * {@code provision verify @a @b …}): made by the first task that asks, used by the others, closed
   * when the batch ends. It is for reads a batch makes once instead of once per context (every
   * database and account of a db server, say): a task that changes what such a value describes
   * must keep it true (or stop trusting the part it changed) for the batch's other tasks.
   *
   * @param key names the value within the batch (prefix it with the service's name)
   * @param create makes it, on first use; it must be safe for tasks running at once
   * @param <T> its type
   * @return the batch's value, or empty when the task runs alone (then read directly)
   */
  default <T extends AutoCloseable> Optional<T> batch(String key, Supplier<T> create) {
    return Optional.empty();
  }

  /**
   * @param name an option of the task (e.g. {@code file} for backup)
   * @return its value, when the caller gave one
   */
  Optional<String> option(String name);

  /**
   * Records what the task produced (e.g. {@code backup_file}); it appears in the report's
   * results.
   *
   * @param key the result's name
   * @param value its value
   */
  void result(String key, String value);

  /** @return true when the task is only being planned: hosts record, nothing changes */
  boolean planOnly();

  /**
   * Records, durably (the file is synced before this returns), that the step is about to create
   * something outside the home, so that a task killed before it ends leaves a record the next
   * task on the context settles ({@link ServiceType#settle(LeftIntent, StepContext)}). Call it
   * before acting; it fails (and the step with it) when the record cannot be written. The record
   * is cleared when the task succeeds or rolls back completely. Nothing is recorded in a plan.
   *
   * <p>Added after the first release: the default records nothing, for implementations outside
   * Provision (a test double).
   *
   * @param intent what will be created; never a secret
   */
  default void intent(Intent intent) {}

  /**
   * Records several intents at once, as {@link #intent(Intent)} records one: durably, before this
   * returns, with one flush of the record for all of them (a step that creates a database and its
   * user records both, then acts). Recording something that is then not created is harmless: the
   * next task on the context finds nothing to settle.
   *
   * <p>Added after the first release: the default records each in turn.
   *
   * @param intents what will be created, in order; never a secret
   */
  default void intents(List<Intent> intents) {
    for (Intent i : intents) {
      intent(i);
    }
  }

  /**
   * Collects the lines that the types selected on a server add at a named extension point of a
   * file generated for a site ({@link ServiceType#templateLines}), in the order of their services.
   *
   * @param point the extension point, such as {@code vhost.server}
   * @param site the site, resolved
   * @param server the server the file is for, resolved
   * @return the lines; empty when no type adds any
   */
  default List<String> templateLines(String point, ResolvedContext site, ResolvedContext server) {
    return List.of();
  }
}
