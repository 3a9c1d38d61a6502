package net.aegirj.provision.spi;

import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Task;

/**
 * A test hook that makes chosen steps fail, to prove that every step's rollback leaves nothing
 * behind. Called before each step runs; throwing fails that step.
 */
@FunctionalInterface
public interface FailureInjector {
  /** Injects nothing. */
  FailureInjector NONE = (task, context, index, name) -> {};

  /**
   * @param task the task
   * @param context its context
   * @param index the step's position, from 1
   * @param name the step's name
   * @throws RuntimeException to make the step fail
   */
  void beforeStep(Task task, ContextName context, int index, String name);
}
