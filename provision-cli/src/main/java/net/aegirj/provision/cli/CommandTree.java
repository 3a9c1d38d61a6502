package net.aegirj.provision.cli;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import net.aegirj.provision.api.Task;
import picocli.CommandLine;

/** The picocli command tree of {@code provision}: its commands, by name, and how they parse. */
final class CommandTree {
  private CommandTree() {}

  /**
   * Builds the picocli command tree; one per run, since picocli fills the command objects.
   *
   * @param in standard input, for {@code save --properties-from=-}
   * @return the top-level command line with its subcommands
   */
  static CommandLine commandLine(StandardInput in) {
    return commandLine(in, null);
  }

  /**
   * Builds the picocli command tree with every subcommand, or with only the one a run names:
   * picocli reads each command's annotations when it is added, which is most of a short
   * command's start-up, so a run that names its command builds that one alone.
   *
   * @param in standard input, for {@code save --properties-from=-}
   * @param only the command the run names (a name or an alias), or null for all of them
   * @return the top-level command line with its subcommands
   */
  static CommandLine commandLine(StandardInput in, String only) {
    CommandLine cl = new CommandLine(ProvisionCommand.spec());
    boolean all = only == null || !isCommandName(only);
    String wanted = only != null && only.startsWith("provision-") ? only.substring("provision-".length()) : only;
    if (all || wanted.equals("save")) {
      cl.addSubcommand("save", new CommandLine(new SaveCommand(in).spec()), "provision-save");
    }
    if (all || wanted.equals("show")) {
      cl.addSubcommand("show", new CommandLine(new ShowCommand().spec()));
    }
    if (all || wanted.equals("list")) {
      cl.addSubcommand("list", new CommandLine(new ListCommand().spec()));
    }
    if (all || wanted.equals("plan")) {
      cl.addSubcommand(new PlanCommand());
    }
    if (all || wanted.equals("import")) {
      cl.addSubcommand(new ImportCommand());
    }
    if (all || wanted.equals("export")) {
      cl.addSubcommand(new ExportCommand());
    }
    if (all || wanted.equals("ssl-renew")) {
      cl.addSubcommand(new SslRenewCommand());
    }
    for (Task task : Task.values()) {
      if (all || wanted.equals(task.id())) {
        cl.addSubcommand(task.id(), TaskCommand.commandLine(task, in), "provision-" + task.id());
      }
    }
    // Context names start with '@': never read them as picocli argument files.
    cl.setExpandAtFiles(false);
    cl.setPosixClusteredShortOptionsAllowed(false);
    cl.setAbbreviatedOptionsAllowed(false);
    cl.setAbbreviatedSubcommandsAllowed(false);
    if (cl.getSubcommands().containsKey("save")) {
      cl.getSubcommands().get("save").setUnmatchedOptionsArePositionalParams(true);
    }
    return cl;
  }

  /** The names {@link #commandLine(StandardInput, String)} can build alone. */
  private static final Set<String> COMMAND_NAMES;

  static {
    Set<String> names = new HashSet<>(List.of("save", "provision-save", "show", "list", "plan",
        "import", "export", "ssl-renew"));
    for (Task task : Task.values()) {
      names.add(task.id());
      names.add("provision-" + task.id());
    }
    COMMAND_NAMES = Set.copyOf(names);
  }

  private static boolean isCommandName(String name) {
    return COMMAND_NAMES.contains(name);
  }

  /** @return the commands, for messages that list them */
  static String commandNames() {
    return "save, show, list, plan, import, export, help, or a task: "
        + Arrays.stream(Task.values()).map(Task::id).collect(Collectors.joining(", "));
  }
}
