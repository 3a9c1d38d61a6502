package net.aegirj.provision.spi;

import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;

/**
 * Receives events as tasks run: for progress displays and for front ends that keep in sync.
 * Callbacks run on the task's thread and must return quickly; an exception thrown by a listener
 * is logged and ignored.
 */
public interface TaskListener {
  /**
   * @param task the task
   * @param context its context
   * @param steps how many steps are planned
   */
  default void taskStarted(Task task, ContextName context, int steps) {}

  /**
   * @param context the task's context
   * @param index the step's position, from 1
   * @param name the step's name
   */
  default void stepStarted(ContextName context, int index, String name) {}

  /**
   * @param context the task's context
   * @param index the step's position, from 1
   * @param step the step's outcome
   */
  default void stepFinished(ContextName context, int index, TaskReport.StepReport step) {}

  /** @param report the finished task */
  default void taskFinished(TaskReport report) {}
}
