package net.aegirj.provision.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextInUseException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextNotFoundException;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.Provision;
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
 * provision save @name --delete
 * provision-save @name ...                    (Aegir's drush command name, same as save)
 * provision show @name [--show-secrets]
 * provision list [--type=server|platform|site]
 * provision @name show                        (Aegir's order: the name before the command)
 * </pre>
 *
 * <p>The global options may come before or after the command: {@code --home DIR} (default
 * {@link Provision#defaultHome()}: {@code $PROVISION_HOME}, else {@code ~/.provision}),
 * {@code --json} and {@code --debug} (stack traces and debug logs on stderr). On {@code save},
 * every option after the name other than {@code --delete} and {@code --help} is a property:
 * {@code --prop=value}, or {@code --prop value}; the value {@code null} resets the property.
 *
 * <h2>Exit status</h2>
 *
 * <ul>
 *   <li>0: success.
 *   <li>1: the operation failed (a {@link ProvisionException} whose
 *       {@link ProvisionException#isBadInput()} is false, such as a {@link ConflictException}, or
 *       an unexpected exception).
 *   <li>2: bad input, refused before anything changed: a {@code ProvisionException} whose
 *       {@code isBadInput()} is true, an unknown command or option, a missing argument.
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
 * <p>{@code --help}: {@code {"ok":true,"command":"help","usage":"...","exit_code":0}}.
 *
 * <p>Errors: {@code command} is the command that failed, or null when the command line did not
 * get as far as naming one; {@code error.type} is one of {@code usage} (malformed command line),
 * {@code invalid_context} (a refused name or value; with {@code context} and {@code property}
 * when known), {@code context_not_found} (with {@code context}), {@code context_in_use} (with
 * {@code context} and {@code referrers}, an array of names), {@code conflict} (a concurrent
 * change, exit 1), {@code invalid_input} (other refused input), {@code failed} (other failed
 * operations, exit 1) or {@code internal_error} (a bug, exit 1); {@code error.message} is the
 * stderr message without the {@code provision: error: } prefix:
 *
 * <pre>{@code
 * {"ok":false,"command":"save","error":{"type":"invalid_context",
 *   "message":"@x: property 'aliases': ...","context":"@x","property":"aliases"},"exit_code":2}
 * }</pre>
 */
public final class Main {
  /** Exit status of a successful run. */
  public static final int OK = 0;
  /** Exit status when the operation failed. */
  public static final int FAILED = 1;
  /** Exit status when the input was refused and nothing changed. */
  public static final int BAD_INPUT = 2;

  private static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

  private Main() {}

  /**
   * Runs the command line and exits with its status.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    if (wantsDebug(args) && System.getProperty(LOG_LEVEL_PROPERTY) == null) {
      System.setProperty(LOG_LEVEL_PROPERTY, "debug");
    }
    System.exit(run(args, System.out, System.err));
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
   * Runs the command line in this process, without exiting.
   *
   * @param args the command line
   * @param out where the output goes (stdout)
   * @param err where error lines and stack traces go (stderr)
   * @return the exit status: {@link #OK}, {@link #FAILED} or {@link #BAD_INPUT}
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Objects.requireNonNull(args, "args");
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
      return new Main.Run(invocation, out, err).execute();
    } finally {
      out.flush();
      err.flush();
    }
  }

  /**
   * Builds the picocli command tree; one per run, since picocli fills the command objects.
   *
   * @return the top-level command line with its subcommands
   */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new ProvisionCommand());
    cl.addSubcommand(new SaveCommand());
    cl.addSubcommand(new ShowCommand());
    cl.addSubcommand(new ListCommand());
    // Context names start with '@': never read them as picocli argument files.
    cl.setExpandAtFiles(false);
    cl.setPosixClusteredShortOptionsAllowed(false);
    cl.setAbbreviatedOptionsAllowed(false);
    cl.setAbbreviatedSubcommandsAllowed(false);
    cl.getSubcommands().get("save").setUnmatchedOptionsArePositionalParams(true);
    return cl;
  }

  /** One run: the invocation, the streams and the command being run, for error reports. */
  private static final class Run {
    private final Invocation invocation;
    private final PrintStream out;
    private final PrintStream err;
    private boolean commandKnown;
    private String command;

    Run(Invocation invocation, PrintStream out, PrintStream err) {
      this.invocation = invocation;
      this.out = out;
      this.err = err;
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
      CommandLine cl = commandLine();
      List<String> args = invocation.arguments();
      if (args.isEmpty()) {
        throw new UsageException("missing command; use one of " + commandNames(cl)
            + " (see 'provision --help')");
      }
      String first = args.get(0);
      if (!first.startsWith("-") && !cl.getSubcommands().containsKey(first)) {
        throw new UsageException("unknown command " + Text.quote(first) + "; use one of "
            + commandNames(cl) + " (see 'provision --help')");
      }
      ParseResult parsed = cl.parseArgs(args.toArray(String[]::new));
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
        throw new UsageException("missing command; use one of " + commandNames(cl)
            + " (see 'provision --help')");
      }
      ParseResult sub = parsed.subcommand();
      commandKnown = true;
      command = sub.commandSpec().name();
      CliCommand cmd = (CliCommand) sub.commandSpec().userObject();
      Result result;
      try (Provision provision = open()) {
        result = cmd.execute(provision);
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

    private Provision open() {
      Provision.Builder b = Provision.builder();
      invocation.home().ifPresent(b::home);
      return b.build();
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

    private static String commandNames(CommandLine cl) {
      return String.join(", ", cl.getSubcommands().keySet());
    }
  }
}
