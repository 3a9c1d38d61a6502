package net.aegirj.provision.cli;

import picocli.CommandLine.Model.CommandSpec;

/**
 * The top-level {@code provision} command, for picocli's parsing and help; its model is built in
 * code ({@link Specs}). The global options are declared here for the help text only:
 * {@link Invocation} takes them out of the command line before picocli sees it, so that they work
 * before and after the command.
 */
final class ProvisionCommand {
  private ProvisionCommand() {}

  /** @return the model of the top-level command, without its subcommands */
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new ProvisionCommand(), "provision", "Aegir's hosting backend: saves, shows and lists named contexts (servers, platforms,"
        + " sites), runs tasks on them (verify, ...) and plans tasks without running them.");
    spec.usageMessage().width(100).synopsisSubcommandLabel("COMMAND").footer("",
        "Aegir's word order works too: 'provision @name <command> ...' is 'provision <command> @name ...'.",
        "Tasks: 'provision verify @name', also 'provision @name verify' and 'provision provision-verify @name'.",
        "'provision verify @a @b @c' verifies a batch, with a progress line on stderr as each finishes.",
        "'provision plan @name verify' lists the files a task would change, changing nothing.",
        "The global options --home, --json, --debug and --verbose may be given before or after the command.",
        "",
        "Exit status: 0 success; 1 the operation or a task failed; 2 bad input (nothing was changed).",
        "Run 'provision help <command>' or 'provision <command> --help' for the options of a command.");
    spec.addOption(Specs.value(Invocation.HOME, "DIR", "The Provision home (default: $PROVISION_HOME, else ~/.provision)."));
    spec.addOption(Specs.flag(new String[] {Invocation.JSON}, "Print exactly one JSON object on stdout, errors included."));
    spec.addOption(Specs.flag(new String[] {Invocation.DEBUG}, "Print stack traces of errors and debug logs on stderr."));
    spec.addOption(picocli.CommandLine.Model.OptionSpec.builder("--version").type(boolean.class).arity("0")
        .versionHelp(true).description("Print the version and exit.").build());
    spec.addOption(Specs.flag(new String[] {Invocation.VERBOSE},
        "Print a progress line on stderr as each step of a task finishes (the default when stderr is a terminal)."));
    spec.addOption(Specs.help());
    return spec;
  }
}
