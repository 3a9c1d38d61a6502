package net.aegirj.provision.api;

/**
 * A command failed on a host: it exited with a non-zero status, timed out or could not be
 * started. Carries the host, the command, the exit code (-1 when there is none) and a bounded tail
 * of its standard error.
 */
public class HostCommandException extends HostException {
  private static final long serialVersionUID = 1L;

  private final String command;
  private final int exitCode;
  private final String stderrTail;

  /**
   * @param host the host
   * @param command the command as displayed (secrets removed)
   * @param exitCode the exit status, or -1
   * @param stderrTail the last part of its standard error
   * @param what what happened, e.g. "exited with status 1" or "timed out after 30 s"
   */
  public HostCommandException(String host, String command, int exitCode, String stderrTail, String what) {
    super(host, "command '" + command + "' " + what
        + (stderrTail == null || stderrTail.isBlank() ? "" : ": " + stderrTail.strip()));
    this.command = command;
    this.exitCode = exitCode;
    this.stderrTail = stderrTail == null ? "" : stderrTail;
  }

  /** @return the command as displayed */
  public String command() {
    return command;
  }

  /** @return the exit status, or -1 when the command did not exit normally */
  public int exitCode() {
    return exitCode;
  }

  /** @return the last part of the command's standard error */
  public String stderrTail() {
    return stderrTail;
  }
}
