package net.aegirj.provision.cli;

import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.core.Provision;

/**
 * A subcommand of {@code provision}. Implementations are picocli {@code @Command} classes whose
 * fields picocli fills; {@link Main} then calls {@link #execute(Provision, Progress)} once.
 */
interface CliCommand {
  /**
   * Runs the command.
   *
   * @param provision the Provision instance for the chosen home, closed by the caller; its task
   *     events go to {@code progress}
   * @param progress the progress display on stderr, for commands that run tasks
   * @return the output
   * @throws UsageException when the arguments are malformed
   * @throws ProvisionException when the operation is refused or fails
   */
  Result execute(Provision provision, Progress progress);
}
