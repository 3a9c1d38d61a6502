package net.aegirj.provision.core;

import java.util.Map;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;

/**
 * A handle on one named context, returned by {@link Provision}'s verbs. It holds only the name:
 * every call reads the current stored state.
 */
public abstract class ContextHandle {
  private final Provision provision;
  private final ContextName name;
  private final ContextType type;

  ContextHandle(Provision provision, ContextName name, ContextType type) {
    this.provision = provision;
    this.name = name;
    this.type = type;
  }

  /** @return the context's name */
  public final ContextName name() {
    return name;
  }

  /** @return the context's type */
  public final ContextType type() {
    return type;
  }

  /** @return the stored context, as it is now */
  public Context context() {
    return provision.contexts().load(name).context();
  }

  /** @return the stored version, as it is now */
  public final long version() {
    return provision.contexts().load(name).version();
  }

  /** @return every property: set, default and derived */
  public final ResolvedContext resolve() {
    return provision.contexts().resolve(name);
  }

  /**
   * Runs a task on this context.
   *
   * @param task the task
   * @return the report of a successful run
   * @throws TaskFailedException when a step failed; everything the task
   *     changed was rolled back, and the exception carries the report
   */
  public final TaskReport run(Task task) {
    return provision.run(task, name, false);
  }

  /**
   * Runs a task with options, such as {@code file} for {@code backup} or {@code files} for
   * {@code backup-delete}.
   *
   * @param task the task
   * @param options the task's options by name
   * @return the report of a successful run
   * @throws TaskFailedException when a step failed; everything the task
   *     changed was rolled back
   */
  public final TaskReport run(Task task, Map<String, String> options) {
    return provision.run(task, name, false, options);
  }

  /**
   * Lists the steps of a task and the files they would change, without changing anything
   * (Ansible's check mode).
   *
   * @param task the task
   * @return the planned report
   */
  public final TaskReport plan(Task task) {
    return provision.run(task, name, true);
  }

  /**
   * Verifies the context: makes the real state match it. Idempotent: a second run changes
   * nothing and reloads nothing.
   *
   * @return the report
   */
  public final TaskReport verify() {
    return run(Task.VERIFY);
  }

  /** @return the {@link Provision} this handle belongs to */
  protected final Provision provision() {
    return provision;
  }

  @Override
  public String toString() {
    return type().id() + " " + name;
  }
}
