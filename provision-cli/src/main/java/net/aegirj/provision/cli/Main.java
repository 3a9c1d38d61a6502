package net.aegirj.provision.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.JdbcContextRepository;
import net.aegirj.provision.core.Provision;

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
 * line ({@link TaskReport#summary()}). Progress goes to stderr only,
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
   * found by {@link ServiceLoader}); default: the home's {@code plugins} directory.
   */
  public static final String PLUGINS_ENV = "PROVISION_PLUGINS";

  private Main() {}

  /**
   * Runs the command line and exits with its status.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    CliLogging.configure(args);
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
      return new CliRun(invocation, in, out, err, errIsTerminal).execute();
    } finally {
      out.flush();
      err.flush();
    }
  }
}
