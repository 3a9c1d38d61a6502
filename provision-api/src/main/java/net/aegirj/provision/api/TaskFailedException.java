package net.aegirj.provision.api;

/**
 * A task failed and was rolled back. The message names the task, the context, the failed step,
 * the cause and the outcome of the rollback; {@link #report()} has the details.
 */
public class TaskFailedException extends ProvisionException {
  private static final long serialVersionUID = 1L;

  private final transient TaskReport report;

  /**
   * @param report the report of the failed task
   * @param cause the failure of the step
   */
  public TaskFailedException(TaskReport report, Throwable cause) {
    super(report.summary(), cause);
    this.report = report;
  }

  /** @return the report of the failed task, with every step's status */
  public TaskReport report() {
    return report;
  }
}
