package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.ContextHandle;
import net.aegirj.provision.core.Provision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code provision plan @name <task>} (also Aegir's order {@code provision @name plan <task>}):
 * lists the steps a task would run and the files each would change, changing nothing
 * ({@link ContextHandle#plan(Task)}).
 */
@Command(name = "plan", sortOptions = false, usageHelpWidth = 100,
    customSynopsis = {"provision plan @name [TASK]", "       provision @name plan [TASK]"},
    description = {
        "Lists what a task would do, changing nothing.",
        "Prints the steps TASK (default: verify) would run on the context and the files each would"
            + " change: one line per step, the paths indented under it, the services that would be"
            + " reloaded and a summary line.",
        "TASK is a task id, with or without Aegir's 'provision-' prefix: " + PlanCommand.TASK_IDS + "."},
    footer = {"", "Examples:", "  provision plan @server_master verify", "  provision @example.com plan verify",
        "  provision plan @example.com --json"})
final class PlanCommand implements CliCommand {
  /** Every task's id, for the help; checked against {@link Task} by a test. */
  static final String TASK_IDS = "verify, install, delete, enable, disable, backup, backup-delete, restore,"
      + " deploy, migrate, clone, login-reset, import-site, cron";

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
  boolean help;

  @Parameters(paramLabel = "@name [TASK]", arity = "1..2", description = "The context, then the task.")
  List<String> arguments = new ArrayList<>();

  @Override
  public Result execute(Provision provision, Progress progress) {
    if (arguments.size() > 2) {
      throw new UsageException("unexpected argument " + Text.quote(arguments.get(2))
          + "; write 'provision plan @name TASK'");
    }
    String name = arguments.get(0);
    String taskId = arguments.size() > 1 ? arguments.get(1) : Task.VERIFY.id();
    if (arguments.size() > 1 && !name.startsWith("@") && arguments.get(1).startsWith("@")) {
      // 'provision plan verify @name' reads as well as 'provision plan @name verify'.
      name = arguments.get(1);
      taskId = arguments.get(0);
    }
    Task task = Task.fromId(taskId);
    ContextHandle handle = provision.context(name);
    progress.start();
    TaskReport report = handle.plan(task);
    ObjectNode json = Values.object();
    json.set("report", Reports.json(report));
    return new Result(json, Reports.text(report));
  }
}
