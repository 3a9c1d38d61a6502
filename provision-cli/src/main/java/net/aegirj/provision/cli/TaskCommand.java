package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskOptions;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.ContextHandle;
import net.aegirj.provision.core.PlatformHandle;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.SiteHandle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code provision <task> @name} (also {@code provision provision-<task> @name} and Aegir's
 * {@code provision @name <task>}): runs one {@link Task} on a context and prints its report. One
 * instance per task, registered under the task's id by {@link #commandLine(Task)}.
 *
 * <p>{@code provision verify @a @b @c} verifies several contexts as a batch
 * ({@link Provision#verifyAll(List)}, several at a time): a failed verify does not stop the
 * others, and a progress line goes to stderr as each one finishes.
 */
@Command(sortOptions = false, usageHelpWidth = 100)
final class TaskCommand implements CliCommand {
  /** The tasks that run as a batch over several contexts (web servers reloaded once per group). */
  static final Set<Task> BATCHED = EnumSet.of(Task.VERIFY, Task.INSTALL, Task.CRON);
  private final Task task;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
  boolean help;

  @Option(names = "--new_db_server", paramLabel = "@server",
      description = "migrate and clone: the db server of the result.")
  String newDbServer;

  @Option(names = "--new_uri", paramLabel = "host", description = "migrate: the site's new name.")
  String newUri;

  @Option(names = "--backup", description = "delete: back the site up first.")
  boolean backup;

  @Option(names = "--override_slave_authority",
      description = "verify: also push the site's files/ and private/ to a remote web server, overwriting its copies.")
  boolean overrideSlaveAuthority;

  @Option(names = "--from", paramLabel = "FILE|-", description = {"verify and install: (also) the contexts"
      + " named in FILE, or on standard input when FILE is '-', one name a line (blank lines and lines"
      + " starting with '#' skipped); all run as one batch. A malformed name refuses the whole run,"
      + " naming its line. At most 100,000 names."})
  String from;

  @Parameters(paramLabel = "@name", arity = "0..*",
      description = "The context (verify and install take several: they run as a batch).")
  List<String> names = new ArrayList<>();

  private final StandardInput stdin;

  private TaskCommand(Task task, StandardInput stdin) {
    this.task = Objects.requireNonNull(task, "task");
    this.stdin = Objects.requireNonNull(stdin, "stdin");
  }

  /**
   * @param task a task
   * @return its command, named by the task's id, with its help text
   */
  static CommandLine commandLine(Task task) {
    return commandLine(task, StandardInput.empty());
  }

  /**
   * @param task a task
   * @param stdin standard input, for {@code --from=-}
   * @return its command, named by the task's id, with its help text
   */
  static CommandLine commandLine(Task task, StandardInput stdin) {
    CommandLine cl = new CommandLine(new TaskCommand(task, stdin));
    CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
    // Each task shows (and takes) only its own options: the others are unknown options to it.
    for (Map.Entry<String, Set<Task>> e : OPTION_TASKS.entrySet()) {
      if (!e.getValue().contains(task)) {
        spec.remove(spec.findOption(e.getKey()));
      }
    }
    CommandLine.Model.UsageMessageSpec usage = spec.usageMessage();
    String id = task.id();
    usage.customSynopsis("provision " + id + " " + arguments(task), "       provision @name " + id
        + (arguments(task).startsWith("@name ") ? " " + arguments(task).substring("@name ".length()) : ""));
    usage.description(description(task), "",
        "Prints the report: one line per step (status, name, duration) with the paths it changed"
            + " and the commands it ran, the services reloaded, the warnings and a summary line."
            + " 'provision plan @name " + id + "' shows what it would do without changing anything.",
        "Exit status: 0 the task succeeded; 1 it failed (what it changed was rolled back; the"
            + " error says whether the rollback was complete);"
            + " 2 it was refused (unknown context, or the task does not apply to it).");
    usage.footer("", "Examples:", "  provision " + id + " @example.com", "  provision @example.com " + id,
        "  provision provision-" + id + " @example.com --json");
    return cl;
  }

  /** Which tasks take each task option; the others refuse it as unknown. */
  private static final Map<String, Set<Task>> OPTION_TASKS = Map.of(
      "--new_db_server", EnumSet.of(Task.MIGRATE, Task.CLONE),
      "--new_uri", EnumSet.of(Task.MIGRATE),
      "--backup", EnumSet.of(Task.DELETE),
      "--override_slave_authority", EnumSet.of(Task.VERIFY),
      "--from", BATCHED);

  /**
   * @param task a task
   * @return what follows the task's name on its command line, for its synopsis
   */
  static String arguments(Task task) {
    return switch (task) {
      case VERIFY -> "@name [@name...] [--from=FILE|-] [--override_slave_authority]";
      case INSTALL, CRON -> "@name [@name...] [--from=FILE|-]";
      case BACKUP -> "@name [FILE]";
      case BACKUP_DELETE -> "@name FILE[,FILE...]";
      case RESTORE, DEPLOY -> "@name FILE";
      case MIGRATE -> "@name [@platform] [--new_db_server=@server] [--new_uri=host]";
      case CLONE -> "@name @new_name [@platform] [--new_db_server=@server]";
      case DELETE -> "@name [--backup]";
      default -> "@name";
    };
  }

  /**
   * @param task a task
   * @return one sentence on what it does, for the help
   */
  static String description(Task task) {
    return switch (task) {
      case VERIFY -> "Makes the real state match the context (idempotent: a second run changes nothing).";
      case INSTALL -> "Installs a site.";
      case DELETE -> "Removes what a context made.";
      case ENABLE -> "Serves a disabled site again.";
      case DISABLE -> "Serves the disabled page for a site.";
      case BACKUP -> "Archives a site's files and database (optionally into a named file: backup @site FILE).";
      case BACKUP_DELETE -> "Removes named backups of a site (backup-delete @site FILE[,FILE...]).";
      case RESTORE -> "Puts a site back from its archive (restore @site FILE).";
      case DEPLOY -> "Installs a site from an archive (deploy @site FILE).";
      case MIGRATE -> "Moves a site to another platform and/or db server (migrate @site @platform [--new_db_server=@db]).";
      case CLONE -> "Copies a site under a new name (clone @site @new_site [@platform]).";
      case LOGIN_RESET -> "Prints a one-time login link from the platform's Drush.";
      case CRON -> "Runs Drupal's cron on sites through their platform's Drush (several sites: a batch).";
      case IMPORT_SITE -> "Takes an existing site directory under management (credentials read from its files).";
    };
  }

  @Override
  public Result execute(Provision provision, Progress progress) {
    if (from != null) {
      String source = PropertiesFile.STDIN.equals(from) ? "standard input (--from=-)" : "--from=" + Text.quote(from);
      names.addAll(namesFrom(source, PropertiesFile.read(from, stdin, "--from", source, ContextLines.MAX_BYTES,
          "pipe the names in ('provision " + task.id() + " --from=- < FILE')")));
      if (names.isEmpty()) {
        throw new UsageException(source + ": no context named");
      }
      return batch(provision, progress);
    }
    if (names.isEmpty()) {
      throw new UsageException("name the context: provision " + task.id() + " " + arguments(task));
    }
    TaskReport special = special(provision, progress);
    if (special != null) {
      ObjectNode json = Values.object();
      json.set("report", Reports.json(special));
      return new Result(json, Reports.text(special));
    }
    if ((task == Task.BACKUP || task == Task.BACKUP_DELETE || task == Task.RESTORE) && names.size() == 2
        && !names.get(1).startsWith("@")) {
      ContextHandle handle = provision.context(names.get(0));
      progress.start();
      // The option's name comes from TaskOptions, where the steps read it too.
      TaskReport report = handle.run(task, Map.of(TaskOptions.archiveOption(task), names.get(1)));
      ObjectNode json = Values.object();
      json.set("report", Reports.json(report));
      return new Result(json, Reports.text(report));
    }
    if (overrideSlaveAuthority && (task != Task.VERIFY || names.size() != 1)) {
      throw new UsageException("--override_slave_authority applies to the verify of one site");
    }
    if (names.size() == 1) {
      ContextHandle handle = provision.context(names.get(0));
      progress.start();
      TaskReport report = overrideSlaveAuthority
          ? handle.run(task, Map.of("override_slave_authority", "true")) : handle.run(task);
      ObjectNode json = Values.object();
      json.set("report", Reports.json(report));
      return new Result(json, Reports.text(report));
    }
    if (!BATCHED.contains(task)) {
      throw new UsageException("only " + BATCHED.stream().map(Task::id).toList() + " take several contexts; run"
          + " 'provision " + task.id() + " @name' once per context");
    }
    return batch(provision, progress);
  }

  /**
   * The site operations that take more than a name: {@code migrate @site @platform
   * [--new_db_server=@db]}, {@code clone @site @new [@platform]}, {@code deploy @site FILE},
   * {@code delete @site --backup}.
   *
   * @return the report, or null when the command is an ordinary task
   */
  private TaskReport special(Provision provision, Progress progress) {
    boolean special = task == Task.MIGRATE || task == Task.CLONE || task == Task.DEPLOY || (task == Task.DELETE && backup);
    if (special) {
      ContextHandle h = provision.context(names.get(0));
      if (h.type() != ContextType.SITE) {
        throw new InvalidContextException(h.name().toString(), null, "the " + task.id()
            + " task does not apply to a " + h.type().id() + "; it is a site task");
      }
    }
    switch (task) {
      case MIGRATE -> {
        if (names.size() > 2 || (names.size() == 1 && newDbServer == null && newUri == null)) {
          throw new UsageException("usage: provision migrate @site @platform [--new_db_server=@server] [--new_uri=host]");
        }
        progress.start();
        return provision.site(names.get(0)).migrate(names.size() == 2 ? names.get(1) : null, newDbServer, newUri);
      }
      case CLONE -> {
        if (names.size() < 2 || names.size() > 3) {
          throw new UsageException("usage: provision clone @site @new_site [@platform]");
        }
        progress.start();
        return provision.site(names.get(0)).cloneTo(names.get(1), names.size() == 3 ? names.get(2) : null, newDbServer);
      }
      case DEPLOY -> {
        if (names.size() != 2) {
          throw new UsageException("usage: provision deploy @site FILE");
        }
        progress.start();
        return provision.site(names.get(0)).run(Task.DEPLOY, Map.of(TaskOptions.archiveOption(Task.DEPLOY), names.get(1)));
      }
      case DELETE -> {
        if (!backup) {
          return deleteWithContext(provision, progress);
        }
        if (names.size() != 1) {
          throw new UsageException("usage: provision delete @site --backup");
        }
        progress.start();
        return provision.site(names.get(0)).delete(true);
      }
      default -> {
        return null;
      }
    }
  }

  /**
   * {@code delete @site} and {@code delete @platform}: the delete task, then the context itself
   * (refused while other contexts reference it), as Aegir's {@code provision-delete} does.
   *
   * @return the report, or null when the task engine is to refuse the command (a server, or
   *     several names)
   */
  private TaskReport deleteWithContext(Provision provision, Progress progress) {
    if (names.size() != 1) {
      return null;
    }
    ContextHandle h = provision.context(names.get(0));
    if (h instanceof SiteHandle site) {
      progress.start();
      return site.delete();
    }
    if (h instanceof PlatformHandle platform) {
      progress.start();
      return platform.delete();
    }
    return null;
  }

  /**
   * @param source how errors name the input
   * @param bytes the input: one context name a line
   * @return the names, in order
   * @throws UsageException naming the line of the first malformed name, or when there are too many
   */
  static List<String> namesFrom(String source, byte[] bytes) {
    List<String> out = new ArrayList<>();
    String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        out.add(ContextName.of(line).toString());
      } catch (InvalidContextException e) {
        throw new UsageException(source + ", line " + (i + 1) + ": not a context name");
      }
      if (out.size() > ContextLines.MAX_LINES) {
        throw new UsageException(source + ": more than " + ContextLines.MAX_LINES + " names; split the input");
      }
    }
    return out;
  }

  private Result batch(Provision provision, Progress progress) {
    // Refuse every bad name before anything runs, so that bad input changes nothing.
    Set<ContextName> seen = new LinkedHashSet<>();
    List<String> canonical = new ArrayList<>();
    for (String n : names) {
      ContextHandle handle = provision.context(n);
      if (!seen.add(handle.name())) {
        throw new UsageException(handle.name() + " is named twice; name each context once");
      }
      canonical.add(handle.name().toString());
    }
    progress.expectTasks(canonical.size());
    List<TaskReport> reports = provision.runAll(task, canonical);

    ObjectNode json = Values.object();
    ArrayNode array = json.putArray("reports");
    StringBuilder text = new StringBuilder();
    List<String> failed = new ArrayList<>();
    for (TaskReport r : reports) {
      array.add(Reports.json(r));
      if (text.length() > 0) {
        text.append('\n');
      }
      text.append(Reports.text(r));
      if (!r.succeeded()) {
        failed.add(r.context().toString());
      }
    }
    text.append('\n').append(task.id()).append(": ").append(reports.size()).append(" contexts, ")
        .append(reports.size() - failed.size()).append(" succeeded, ").append(failed.size())
        .append(" failed\n");
    if (failed.isEmpty()) {
      return new Result(json, text.toString());
    }
    String message = failed.size() + " of " + reports.size() + " " + task.id() + " tasks failed: "
        + String.join(", ", failed);
    return new Result(json, text.toString(), Optional.of(message));
  }

  @Override
  public String toString() {
    return "provision " + Text.quote(task.id());
  }
}
