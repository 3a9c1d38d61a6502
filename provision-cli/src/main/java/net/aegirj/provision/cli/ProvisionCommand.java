package net.aegirj.provision.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The top-level {@code provision} command, for picocli's parsing and help. The global options are
 * declared here for the help text only: {@link Invocation} takes them out of the command line
 * before picocli sees it, so that they work before and after the command.
 */
@Command(name = "provision", sortOptions = false, usageHelpWidth = 100,
    description = {"Aegir's hosting backend: saves, shows and lists named contexts (servers, platforms,"
        + " sites), runs tasks on them (verify, ...) and plans tasks without running them."},
    synopsisSubcommandLabel = "COMMAND",
    footer = {"",
        "Aegir's word order works too: 'provision @name <command> ...' is 'provision <command> @name ...'.",
        "Tasks: 'provision verify @name', also 'provision @name verify' and 'provision provision-verify @name'.",
        "'provision verify @a @b @c' verifies a batch, with a progress line on stderr as each finishes.",
        "'provision plan @name verify' lists the files a task would change, changing nothing.",
        "The global options --home, --json, --debug and --verbose may be given before or after the command.",
        "",
        "Exit status: 0 success; 1 the operation or a task failed; 2 bad input (nothing was changed).",
        "Run 'provision help <command>' or 'provision <command> --help' for the options of a command."})
final class ProvisionCommand {
  @Option(names = Invocation.HOME, paramLabel = "DIR",
      description = "The Provision home (default: $PROVISION_HOME, else ~/.provision).")
  String home;

  @Option(names = Invocation.JSON,
      description = "Print exactly one JSON object on stdout, errors included.")
  boolean json;

  @Option(names = Invocation.DEBUG,
      description = "Print stack traces of errors and debug logs on stderr.")
  boolean debug;

  @Option(names = "--version", versionHelp = true, description = "Print the version and exit.")
  boolean version;

  @Option(names = Invocation.VERBOSE,
      description = "Print a progress line on stderr as each step of a task finishes (the default when stderr is a terminal).")
  boolean verbose;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
  boolean help;
}
