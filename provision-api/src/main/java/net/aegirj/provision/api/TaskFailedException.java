package net.aegirj.provision.api;

/**
 * A task failed and was rolled back. The message names the task, the context, the failed step,
 * the cause and the outcome of the rollback; {@link #report()} has the details.
 */
public class TaskFailedException extends ProvisionException {
  private static final long serialVersionUID = 1L;

  private final transient TaskReport report;
  private final boolean rolledBackCompletely;

  /**
   * A failure whose rollback is not known to be complete.
   *
   * @param report the report of the failed task
   * @param cause the failure of the step
   */
  public TaskFailedException(TaskReport report, Throwable cause) {
    this(report, cause, false);
  }

  /**
   * @param report the report of the failed task
   * @param cause the failure of the step
   * @param rolledBackCompletely whether everything the task changed was undone
   */
  public TaskFailedException(TaskReport report, Throwable cause, boolean rolledBackCompletely) {
    super(report.summary(), cause);
    this.report = report;
    this.rolledBackCompletely = rolledBackCompletely;
  }

  /** @return true when everything the task changed was undone */
  public boolean rolledBackCompletely() {
    return rolledBackCompletely;
  }

  /**
   * A task refused what it was given (an archive with a hostile member, a platform root that is
   * not a code base …) and undid everything it had done: the input was bad and nothing changed.
   *
   * @return true when the step's failure is bad input and the rollback was complete
   */
  @Override
  public boolean isBadInput() {
    return rolledBackCompletely && getCause() instanceof ProvisionException p && p.isBadInput();
  }

  /** @return the report of the failed task, with every step's status */
  public TaskReport report() {
    return report;
  }
}
