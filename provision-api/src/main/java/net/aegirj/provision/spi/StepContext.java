package net.aegirj.provision.spi;

import net.aegirj.provision.api.ContextName;
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

  /** @return true when the task is only being planned: hosts record, nothing changes */
  boolean planOnly();
}
