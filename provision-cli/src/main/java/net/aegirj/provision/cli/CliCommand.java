package net.aegirj.provision.cli;

import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.core.Provision;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A subcommand of {@code provision}. Implementations are picocli {@code @Command} classes whose
 * fields picocli fills, or commands whose model is built in code ({@link Specs}), which take their
 * values in {@link #bind(CommandSpec)}; {@link Main} then calls {@link #execute(Provision, Progress)}
 * once.
 */
interface CliCommand {
  /**
   * Takes the parsed values of a command whose model is built in code; an annotated command's
   * fields are filled by picocli, and it does nothing here.
   *
   * @param spec the command's model, after parsing
   */
  default void bind(CommandSpec spec) {}

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
