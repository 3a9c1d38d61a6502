package net.aegirj.provision.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextInUseException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextNotFoundException;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.JdbcContextRepository;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.ServiceRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The {@code provision} command line, with Aegir's syntax.
 *
 * <pre>
 * provision [--home DIR] [--json] [--debug] save @name --context_type=site --platform=@p --aliases=a.com,b.com
 * provision save @name --aliases=null         (reset a property to its default)
 * provision save @name --properties-from=-    (properties as name=value lines on stdin: no secrets in argv)
 * provision save @name --delete
 * provision-save @name ...                    (Aegir's drush command name, same as save)
 * provision show @name [--show-secrets]
 * provision list [--type=server|platform|site]
 * provision @name show                        (Aegir's order: the name before the command)
 * provision verify @name                      (any task: verify, install, delete, enable, ...)
 * provision @name verify                      (Aegir's order)
 * provision provision-verify @name            (Aegir's drush command name)
 * provision verify @a @b @c                   (a batch: several at a time, progress on stderr)
 * provision ssl-renew @server                (renews the certificates due on a web server's sites)
 * provision plan @name verify                 (what the task would change; changes nothing)
 * provision @name plan verify
 * </pre>
 *
 * <p>The global options may come before or after the command: {@code --home DIR} (default
 * {@link Provision#defaultHome()}: {@code $PROVISION_HOME}, else {@code ~/.provision}),
 * {@code --json}, {@code --debug} (stack traces and debug logs on stderr) and {@code --verbose}
 * (task progress on stderr). On {@code save}, every option after the name other than
 * {@code --delete} and {@code --help} is a property: {@code --prop=value}, or
 * {@code --prop value}; the value {@code null} resets the property. {@code --properties-from=FILE}
 * reads more properties from FILE, or from standard input when FILE is {@code -}, one
 * {@code name=value} a line ({@link PropertiesFile}).
 *
 * <p>Contexts live in the home's {@code contexts} directory unless {@code $PROVISION_REPOSITORY}
 * names a JDBC URL ({@code jdbc:mariadb:…}, {@code jdbc:mysql:…}; {@code jdbc:postgresql:…} with
 * the PostgreSQL driver added to {@code lib}): then they live in that database
 * ({@link JdbcContextRepository}), shared by every control node that names it, with
 * {@code $PROVISION_REPOSITORY_USER}, {@code $PROVISION_REPOSITORY_PASSWORD} and
 * {@code $PROVISION_REPOSITORY_TABLE_PREFIX}.
 *
 * <p>Plugins (jars with services and service types) are loaded from {@code $PROVISION_PLUGINS},
 * else from the home's {@code plugins} directory, when it exists; the directory and its jars must
 * be writable by their owner (root or the current user) alone.
 *
 * <h2>Tasks</h2>
 *
 * <p>Every {@link Task} is a command, under its id and under Aegir's {@code provision-<id>}; the
 * word order {@code provision @name <task>} works as for the other commands. A task prints its
 * report on stdout: one line per step (status, name, duration) with the paths it changed and the
 * commands it ran indented under it, then the services reloaded, the warnings and the summary
 * line ({@link net.aegirj.provision.api.TaskReport#summary()}). Progress goes to stderr only,
 * so stdout holds the report alone: a line per finished step when stderr is a terminal or
 * {@code --verbose} is given, and for a batch ({@code verify} with several names, run by
 * {@link Provision#verifyAll(List)}) a line as each task finishes, numbered in the order they
 * finish: {@code [2/3] @server_b: verify succeeded (4 steps, 0 changes)}. Every name of a batch
 * is checked before anything runs; a failed task does not stop the others. {@code plan @name
 * [TASK]} (default task: {@code verify}) prints the same report for the steps the task would run,
 * with status {@code planned}, changing nothing.
 *
 * <h2>Exit status</h2>
 *
 * <ul>
 *   <li>0: success.
 *   <li>1: the operation failed (a {@link ProvisionException} whose
 *       {@link ProvisionException#isBadInput()} is false, such as a {@link ConflictException}, or
 *       an unexpected exception), or a task failed ({@link TaskFailedException}: its report is
 *       printed on stdout, the error line on stderr; what it changed was rolled back, and the
 *       message says whether completely), or a task of a batch failed (every report is printed).
 *   <li>2: bad input, refused before anything changed: a {@code ProvisionException} whose
 *       {@code isBadInput()} is true (an unknown context; a task that does not apply to the
 *       context's type; an unknown task given to {@code plan}), an unknown command (the message
 *       lists the commands and the tasks) or option, a missing argument.
 * </ul>
 *
 * <p>Errors are printed on stderr as one line, {@code provision: error: <message>}, with control
 * characters escaped; the stack trace follows only with {@code --debug}. slf4j-simple logs go to
 * stderr too, warnings and errors only unless {@code --debug} is given.
 *
 * <h2>JSON output</h2>
 *
 * <p>With {@code --json}, every run prints exactly one JSON object on one line of stdout, errors
 * included (the error line still goes to stderr as well). Every object has {@code "ok"} (boolean)
 * first, then {@code "command"} (the primary name: {@code "save"} also for
 * {@code provision-save}), and {@code "exit_code"} (the process exit status) last. Fields are
 * never renamed or removed; new ones may be added. Context names are written {@code "@name"};
 * property values are JSON strings, booleans, numbers, arrays (list properties) or objects (map
 * properties); secrets are written {@code "****"}.
 *
 * <p>{@code save}:
 *
 * <pre>{@code
 * {"ok":true,"command":"save","context":{"name":"@example.com","context_type":"site","version":2,
 *   "previous_version":1,"created":false,"changed":true,
 *   "properties":{"platform":"@platform_d10","aliases":["www.example.com"]}},"exit_code":0}
 * }</pre>
 *
 * <p>{@code previous_version} is null when the save created the context; {@code changed} is false
 * when the save stored nothing new (the version is kept); {@code properties} are the stored ones
 * (those that were set), not defaults.
 *
 * <p>{@code save --delete}:
 *
 * <pre>{@code
 * {"ok":true,"command":"save","context":{"name":"@example.com","context_type":"site","version":2,
 *   "deleted":true},"exit_code":0}
 * }</pre>
 *
 * <p>{@code show}: every property the context type declares, in display order, each with its
 * {@code value} (null when it has none), its {@code source} ({@code "set"}, {@code "default"} or
 * {@code "derived"}) and whether it is {@code secret}:
 *
 * <pre>{@code
 * {"ok":true,"command":"show","context":{"name":"@example.com","context_type":"site","version":2,
 *   "properties":{"context_type":{"value":"site","source":"set","secret":false},
 *     "uri":{"value":"example.com","source":"default","secret":false}, ...}},"exit_code":0}
 * }</pre>
 *
 * <p>{@code list}: {@code type} is the {@code --type} filter or null; {@code contexts} is ordered
 * by name:
 *
 * <pre>{@code
 * {"ok":true,"command":"list","type":"site",
 *   "contexts":[{"name":"@example.com","context_type":"site"}],"exit_code":0}
 * }</pre>
 *
 * <p>A task ({@code verify}, ..., also when given as {@code provision-verify}) and {@code plan}:
 * {@code report} is the task's report; {@code plan}'s has status {@code "planned"} and its steps
 * status {@code "planned"}, with the paths they would change:
 *
 * <pre>{@code
 * {"ok":true,"command":"verify","report":{"task":"verify","context":"@server_master",
 *   "status":"succeeded","steps":[{"name":"server: create config directories on @server_master",
 *     "status":"changed","duration_ms":3,"changes":["/var/aegir/config/server_master"],
 *     "commands":[],"message":null}, ...],
 *   "reloads":[],"warnings":[],"results":{},"changed_paths":["/var/aegir/config/server_master"],
 *   "duration_ms":12,"failure":null},"exit_code":0}
 * }</pre>
 *
 * <p>In a report, {@code status} is {@code succeeded}, {@code failed} or {@code planned}; a step's
 * {@code status} is {@code changed}, {@code unchanged}, {@code skipped}, {@code failed},
 * {@code rolled_back}, {@code not_run} or {@code planned}; a step's {@code message} is its skip
 * reason or failure, or null; {@code reloads} are {@code "@server: service"};
 * {@code changed_paths} are the paths the steps changed (or would change), without repeats and
 * without those of rolled-back steps; {@code failure} is null, or for a failed task the failed
 * step, the cause and the outcome of the rollback.
 *
 * <p>A batch ({@code verify @a @b @c}): {@code reports} holds one report per name, in the order
 * given. When a task failed, {@code ok} is false, {@code exit_code} 1 and {@code error} says which
 * ({@code reports} is still there):
 *
 * <pre>{@code
 * {"ok":false,"command":"verify","reports":[{...},{...},{...}],
 *   "error":{"type":"task_failed","message":"1 of 3 verify tasks failed: @server_b"},"exit_code":1}
 * }</pre>
 *
 * <p>{@code --help}: {@code {"ok":true,"command":"help","usage":"...","exit_code":0}}.
 *
 * <p>Errors: {@code command} is the command that failed, or null when the command line did not
 * get as far as naming one; {@code error.type} is one of {@code usage} (malformed command line),
 * {@code invalid_context} (a refused name or value; with {@code context} and {@code property}
 * when known), {@code context_not_found} (with {@code context}), {@code context_in_use} (with
 * {@code context} and {@code referrers}, an array of names), {@code conflict} (a concurrent
 * change, exit 1), {@code task_failed} (a task failed and was rolled back, exit 1; with
 * {@code report}, the task's report as above), {@code invalid_input} (other refused input),
 * {@code failed} (other failed operations, exit 1) or {@code internal_error} (a bug, exit 1);
 * {@code error.message} is the stderr message without the {@code provision: error: } prefix. A
 * task that does not apply to the context, or an unknown task given to {@code plan}, is
 * {@code invalid_context} (the latter without {@code context}):
 *
 * <pre>{@code
 * {"ok":false,"command":"save","error":{"type":"invalid_context",
 *   "message":"@x: property 'aliases': ...","context":"@x","property":"aliases"},"exit_code":2}
 * {"ok":false,"command":"verify","error":{"type":"task_failed",
 *   "message":"verify @server_master: failed (...): step '...' failed: ...; rolled back 2 change(s)",
 *   "report":{"task":"verify","context":"@server_master","status":"failed", ...}},"exit_code":1}
 * }</pre>
 */
public final class Main {
  /** Exit status of a successful run. */
  public static final int OK = 0;
  /** Exit status when the operation failed. */
  public static final int FAILED = 1;
  /** Exit status when the input was refused and nothing changed. */
  public static final int BAD_INPUT = 2;
  /**
   * The environment variable naming the directory of plugin jars (services and service types
   * found by {@link java.util.ServiceLoader}); default: the home's {@code plugins} directory.
   */
  public static final String PLUGINS_ENV = "PROVISION_PLUGINS";

  private static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

  /**
   * The task engine logs each task's outcome (a warning when it failed) and its warnings; the
   * command line reports both itself, so the engine's logger is quieted unless {@code --debug}.
   */
  private static final String ENGINE_LOG_LEVEL_PROPERTY =
      "org.slf4j.simpleLogger.log.net.aegirj.provision.core.internal.TaskEngine";

  /**
   * The MariaDB driver logs a warning for every error the server returns (a refused password, for
   * one); the command line reports the error itself, so the driver is quieted unless
   * {@code --debug}. With {@code --debug} it logs warnings, never more: at debug level it logs the
   * text of every statement it sends, and {@code CREATE USER … IDENTIFIED BY '…'} holds a site's
   * database password.
   */
  private static final String MARIADB_LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.log.org.mariadb.jdbc";

  /** The most the MariaDB driver logs with {@code --debug}: its debug and info logs hold SQL text. */
  static final String MARIADB_DEBUG_LEVEL = "warn";

  private Main() {}

  /**
   * Runs the command line and exits with its status.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    if (wantsDebug(args)) {
      if (System.getProperty(LOG_LEVEL_PROPERTY) == null) {
        System.setProperty(LOG_LEVEL_PROPERTY, "debug");
      }
      // Whatever the default level: the driver's statement log would show passwords.
      System.setProperty(MARIADB_LOG_LEVEL_PROPERTY, quietest(System.getProperty(MARIADB_LOG_LEVEL_PROPERTY)));
    } else {
      for (String quieted : List.of(ENGINE_LOG_LEVEL_PROPERTY, MARIADB_LOG_LEVEL_PROPERTY)) {
        if (System.getProperty(quieted) == null) {
          System.setProperty(quieted, "error");
        }
      }
    }
    StandardInput stdin = new StandardInput(System.in, isTerminal(0));
    System.exit(run(args, stdin, System.out, System.err, isTerminal(2)));
  }

  /**
   * Java 17 cannot ask whether stdin or stderr is a terminal: on Linux, {@code /proc/self/fd/N}
   * links to the terminal's device; elsewhere, a console (stdin and stdout on a terminal) is taken
   * to mean that the stream is one too.
   *
   * @param fd 0 for stdin, 2 for stderr
   */
  private static boolean isTerminal(int fd) {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return System.console() != null;
    }
  }

  /**
   * @param level a level set for the MariaDB driver's logger (a system property), or null
   * @return that level when it logs no more than {@link #MARIADB_DEBUG_LEVEL}, else that level
   */
  static String quietest(String level) {
    List<String> order = List.of("trace", "debug", "info", "warn", "error", "off");
    int given = level == null ? -1 : order.indexOf(level.strip().toLowerCase(Locale.ROOT));
    return given >= order.indexOf(MARIADB_DEBUG_LEVEL) ? level.strip() : MARIADB_DEBUG_LEVEL;
  }

  private static boolean wantsDebug(String[] args) {
    for (String a : args) {
      if (a.equals("--")) {
        return false;
      }
      if (a.equals(Invocation.DEBUG)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Runs the command line in this process, without exiting, with an empty standard input
   * ({@code save --properties-from=-} reads no properties).
   *
   * @param args the command line
   * @param out where the output goes (stdout)
   * @param err where error lines, stack traces and progress go (stderr), taken not to be a
   *     terminal: a task's step progress is printed only with {@code --verbose}
   * @return the exit status: {@link #OK}, {@link #FAILED} or {@link #BAD_INPUT}
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, StandardInput.empty(), out, err, false);
  }

  /**
   * Runs the command line in this process, without exiting, with a standard input for
   * {@code save --properties-from=-}.
   *
   * @param args the command line
   * @param in standard input (taken not to be a terminal)
   * @param out where the output goes (stdout)
   * @param err where error lines, stack traces and progress go (stderr), taken not to be a
   *     terminal
   * @return the exit status: {@link #OK}, {@link #FAILED} or {@link #BAD_INPUT}
   */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    return run(args, new StandardInput(in, false), out, err, false);
  }

  /**
   * Runs the command line in this process, without exiting.
   *
   * @param args the command line
   * @param in standard input
   * @param out where the output goes (stdout)
   * @param err where error lines, stack traces and progress go (stderr)
   * @param errIsTerminal whether {@code err} is a terminal: a task's step progress is printed then
   *     even without {@code --verbose}
   * @return the exit status: {@link #OK}, {@link #FAILED} or {@link #BAD_INPUT}
   */
  static int run(String[] args, StandardInput in, PrintStream out, PrintStream err, boolean errIsTerminal) {
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(err, "err");
    Invocation invocation;
    try {
      invocation = Invocation.parse(args);
    } catch (RuntimeException e) {
      err.println("provision: error: " + Values.sanitize(String.valueOf(e.getMessage())));
      err.flush();
      return BAD_INPUT;
    }
    try {
      return new Main.Run(invocation, in, out, err, errIsTerminal).execute();
    } finally {
      out.flush();
      err.flush();
    }
  }

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
    CommandLine cl = new CommandLine(new ProvisionCommand());
    boolean all = only == null || !isCommandName(only);
    String wanted = only != null && only.startsWith("provision-") ? only.substring("provision-".length()) : only;
    if (all || wanted.equals("save")) {
      cl.addSubcommand(new SaveCommand(in));
    }
    if (all || wanted.equals("show")) {
      cl.addSubcommand(new ShowCommand());
    }
    if (all || wanted.equals("list")) {
      cl.addSubcommand(new ListCommand());
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

  /** One run: the invocation, the streams and the command being run, for error reports. */
  private static final class Run {
    private final Invocation invocation;
    private final StandardInput in;
    private final PrintStream out;
    private final PrintStream err;
    private final Progress progress;
    private boolean commandKnown;
    private String command;

    Run(Invocation invocation, StandardInput in, PrintStream out, PrintStream err, boolean errIsTerminal) {
      this.invocation = invocation;
      this.in = in;
      this.out = out;
      this.err = err;
      this.progress = new Progress(err, errIsTerminal || invocation.verbose());
    }

    int execute() {
      try {
        return dispatch();
      } catch (ParameterException e) {
        String name = e.getCommandLine() == null ? null : e.getCommandLine().getCommandSpec().name();
        String which = name == null || name.equals("provision") ? "provision" : "provision " + name;
        if (name != null && !name.equals("provision")) {
          commandKnown = true;
          command = name;
        }
        return fail(BAD_INPUT, "usage", e.getMessage() + " (see '" + which + " --help')", e, null);
      } catch (UsageException e) {
        return fail(BAD_INPUT, "usage", e.getMessage(), e, null);
      } catch (ProvisionException e) {
        return failProvision(e);
      } catch (UncheckedIOException e) {
        String message = "I/O error: " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
        return fail(FAILED, "failed", message, e, null);
      } catch (RuntimeException e) {
        return fail(FAILED, "internal_error", "unexpected " + e.getClass().getSimpleName() + ": "
            + e.getMessage() + (invocation.debug() ? "" : " (run with --debug for the stack trace)"), e, null);
      }
    }

    private int dispatch() {
      if (invocation.problem().isPresent()) {
        throw new UsageException(invocation.problem().get());
      }
      List<String> args = invocation.arguments();
      // Only the command the run names is built (help and errors get them all).
      CommandLine cl = commandLine(in, args.isEmpty() ? null : args.get(0));
      if (args.isEmpty()) {
        throw new UsageException("missing command; use one of " + commandNames()
            + " (see 'provision --help')");
      }
      String first = args.get(0);
      if (first.equals("help")) {
        return helpOn(cl, args.subList(1, args.size()));
      }
      if (!first.startsWith("-") && !cl.getSubcommands().containsKey(first)) {
        throw new UsageException("unknown command " + Text.quote(first) + "; use one of "
            + commandNames() + " (see 'provision --help')");
      }
      ParseResult parsed = cl.parseArgs(args.toArray(String[]::new));
      if (parsed.isVersionHelpRequested()) {
        return version();
      }
      ParseResult leaf = parsed;
      while (true) {
        if (leaf.isUsageHelpRequested()) {
          return help(leaf.commandSpec().commandLine());
        }
        if (!leaf.hasSubcommand()) {
          break;
        }
        leaf = leaf.subcommand();
      }
      if (!parsed.hasSubcommand()) {
        throw new UsageException("missing command; use one of " + commandNames()
            + " (see 'provision --help')");
      }
      ParseResult sub = parsed.subcommand();
      commandKnown = true;
      command = sub.commandSpec().name();
      CliCommand cmd = (CliCommand) sub.commandSpec().userObject();
      Result result;
      try (JdbcContextRepository shared = JdbcContextRepository.fromEnvironment(System.getenv()).orElse(null);
          Provision provision = open(shared)) {
        result = cmd.execute(provision, progress);
      }
      if (result.failure().isPresent()) {
        return partialFailure(result);
      }
      if (invocation.json()) {
        ObjectNode node = Values.MAPPER.createObjectNode();
        node.put("ok", true);
        node.put("command", command);
        node.setAll(result.json());
        node.put("exit_code", OK);
        printJson(node);
      } else {
        out.print(result.text());
      }
      return OK;
    }

    /** A command that ran but partly failed (a batch with a failed task or context): its output, then the error. */
    private int partialFailure(Result result) {
      String line = Values.sanitize(result.failure().get());
      if (invocation.json()) {
        ObjectNode node = Values.MAPPER.createObjectNode();
        node.put("ok", false);
        node.put("command", command);
        node.setAll(result.json());
        ObjectNode error = node.putObject("error");
        error.put("type", result.failureType());
        error.put("message", line);
        node.put("exit_code", result.failureExit());
        printJson(node);
      } else {
        out.print(result.text());
      }
      out.flush();
      err.println("provision: error: " + line);
      return result.failureExit();
    }

    /** @param shared the JDBC repository of the environment, or null for the home's files */
    private Provision open(JdbcContextRepository shared) {
      Provision.Builder b = Provision.builder().listener(progress);
      invocation.home().ifPresent(b::home);
      b.registry(ServiceRegistry.loadWithPlugins(pluginDirectory()));
      TestHaltHook.install(b); // test only: PROVISION_TEST_HALT_AT
      if (shared != null) {
        b.repository(shared);
      }
      return b.build();
    }

    /** {@code $PROVISION_PLUGINS}, else the home's {@code plugins} directory. */
    private Path pluginDirectory() {
      String env = System.getenv(PLUGINS_ENV);
      if (env != null && !env.isBlank()) {
        return Path.of(env).toAbsolutePath().normalize();
      }
      return invocation.home().orElseGet(Provision::defaultHome).resolve("plugins");
    }

    /** {@code provision help [COMMAND]}: the usage of the whole command line or of one command. */
    private int helpOn(CommandLine cl, List<String> rest) {
      if (rest.isEmpty()) {
        return help(cl);
      }
      if (rest.size() > 1) {
        throw new UsageException("usage: provision help [COMMAND]");
      }
      CommandLine sub = cl.getSubcommands().get(rest.get(0));
      if (sub == null) {
        throw new UsageException("unknown command " + Text.quote(rest.get(0)) + "; use one of " + commandNames());
      }
      return help(sub);
    }

    /** {@code provision --version}: this build's version and the JVM's. */
    private int version() {
      String version = Version.get();
      String jvm = Runtime.version() + ", " + System.getProperty("java.vendor", "?");
      if (invocation.json()) {
        ObjectNode node = Values.MAPPER.createObjectNode();
        node.put("ok", true);
        node.put("command", "version");
        node.put("version", version);
        node.put("java", jvm);
        node.put("exit_code", OK);
        printJson(node);
      } else {
        out.println("provision " + version + " (Java " + jvm + ")");
      }
      return OK;
    }

    private int help(CommandLine cl) {
      String usage = cl.getUsageMessage(Ansi.OFF);
      if (invocation.json()) {
        ObjectNode node = Values.MAPPER.createObjectNode();
        node.put("ok", true);
        node.put("command", "help");
        node.put("usage", usage);
        node.put("exit_code", OK);
        printJson(node);
      } else {
        out.print(usage);
      }
      return OK;
    }

    private int failProvision(ProvisionException e) {
      int code = e.isBadInput() ? BAD_INPUT : FAILED;
      ObjectNode details = Values.MAPPER.createObjectNode();
      String type;
      if (e instanceof InvalidContextException ice) {
        type = "invalid_context";
        ice.context().ifPresent(c -> details.put("context", c.startsWith("@") ? c : "@" + c));
        ice.property().ifPresent(p -> details.put("property", p));
      } else if (e instanceof ContextNotFoundException nf) {
        type = "context_not_found";
        details.put("context", nf.name().toString());
      } else if (e instanceof ContextInUseException inUse) {
        type = "context_in_use";
        details.put("context", inUse.name().toString());
        ArrayNode referrers = details.putArray("referrers");
        for (ContextName n : inUse.referrers()) {
          referrers.add(n.toString());
        }
      } else if (e instanceof ConflictException) {
        type = "conflict";
      } else if (e instanceof TaskFailedException failed && failed.report() != null) {
        type = "task_failed";
        details.set("report", Reports.json(failed.report()));
        if (!invocation.json()) {
          out.print(Reports.text(failed.report()));
          out.flush();
        }
      } else {
        type = e.isBadInput() ? "invalid_input" : "failed";
      }
      return fail(code, type, e.getMessage(), e, details);
    }

    private int fail(int code, String type, String message, Throwable e, ObjectNode details) {
      String line = Values.sanitize(message == null ? e.getClass().getSimpleName() : message);
      err.println("provision: error: " + line);
      if (invocation.debug()) {
        e.printStackTrace(err);
      }
      if (invocation.json()) {
        ObjectNode node = Values.MAPPER.createObjectNode();
        node.put("ok", false);
        node.put("command", commandKnown ? command : null);
        ObjectNode error = node.putObject("error");
        error.put("type", type);
        error.put("message", line);
        if (details != null) {
          error.setAll(details);
        }
        node.put("exit_code", code);
        printJson(node);
      }
      return code;
    }

    private void printJson(ObjectNode node) {
      try {
        out.println(Values.MAPPER.writeValueAsString(node));
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException(e);
      }
    }

    private static String commandNames() {
      return "save, show, list, plan, import, export, help, or a task: "
          + Arrays.stream(Task.values()).map(Task::id).collect(Collectors.joining(", "));
    }
  }
}
