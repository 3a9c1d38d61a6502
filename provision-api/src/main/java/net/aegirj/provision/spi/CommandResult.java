package net.aegirj.provision.spi;

import java.time.Duration;
import net.aegirj.provision.api.HostCommandException;

/**
 * What a command did on a host.
 *
 * @param host the host it ran on
 * @param command the command as displayed
 * @param exitCode its exit status
 * @param stdout its standard output
 * @param stderrTail the last part of its standard error (bounded)
 * @param duration how long it ran
 */
public record CommandResult(String host, String command, int exitCode, String stdout, String stderrTail,
    Duration duration) {
  /** The most standard-error characters kept. */
  public static final int STDERR_TAIL = 4000;

  /** @return true for exit status 0 */
  public boolean succeeded() {
    return exitCode == 0;
  }

  /**
   * @return this result when the command succeeded
   * @throws HostCommandException naming host, command, exit status and standard error otherwise
   */
  public CommandResult orThrow() {
    if (exitCode != 0) {
      throw new HostCommandException(host, command, exitCode, stderrTail, "exited with status " + exitCode);
    }
    return this;
  }
}
