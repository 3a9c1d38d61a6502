package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.JdbcContextRepository;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.ServiceRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * One run of the command line: parses the command the invocation names, opens {@link Provision}
 * on the chosen home (or the environment's shared repository), executes the command and turns its
 * result, or whatever went wrong, into the output and the exit status ({@link RunOutput}).
 */
final class CliRun {
  private final Invocation invocation;
  private final StandardInput in;
  private final Progress progress;
  private final RunOutput output;

  /**
   * @param invocation the parsed global options and the command's arguments
   * @param in standard input
   * @param out stdout
   * @param err stderr
   * @param errIsTerminal whether {@code err} is a terminal (progress is printed then)
   */
  CliRun(Invocation invocation, StandardInput in, PrintStream out, PrintStream err, boolean errIsTerminal) {
    this.invocation = invocation;
    this.in = in;
    this.progress = new Progress(err, errIsTerminal || invocation.verbose());
    this.output = new RunOutput(out, err, invocation.json(), invocation.debug());
  }

  /** @return the exit status: {@link Main#OK}, {@link Main#FAILED} or {@link Main#BAD_INPUT} */
  int execute() {
    try {
      return dispatch();
    } catch (ParameterException e) {
      String name = e.getCommandLine() == null ? null : e.getCommandLine().getCommandSpec().name();
      String which = name == null || name.equals("provision") ? "provision" : "provision " + name;
      if (name != null && !name.equals("provision")) {
        output.command(name);
      }
      return output.fail(Main.BAD_INPUT, "usage", e.getMessage() + " (see '" + which + " --help')", e, null);
    } catch (UsageException e) {
      return output.fail(Main.BAD_INPUT, "usage", e.getMessage(), e, null);
    } catch (ProvisionException e) {
      return output.failProvision(e);
    } catch (UncheckedIOException e) {
      String message = "I/O error: " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
      return output.fail(Main.FAILED, "failed", message, e, null);
    } catch (RuntimeException e) {
      return output.fail(Main.FAILED, "internal_error", "unexpected " + e.getClass().getSimpleName() + ": "
          + e.getMessage() + (invocation.debug() ? "" : " (run with --debug for the stack trace)"), e, null);
    }
  }

  private int dispatch() {
    if (invocation.problem().isPresent()) {
      throw new UsageException(invocation.problem().get());
    }
    List<String> args = invocation.arguments();
    // Only the command the run names is built (help and errors get them all).
    CommandLine cl = CommandTree.commandLine(in, args.isEmpty() ? null : args.get(0));
    if (args.isEmpty()) {
      throw new UsageException("missing command; use one of " + CommandTree.commandNames()
          + " (see 'provision --help')");
    }
    String first = args.get(0);
    if (first.equals("help")) {
      return helpOn(cl, args.subList(1, args.size()));
    }
    if (!first.startsWith("-") && !cl.getSubcommands().containsKey(first)) {
      throw new UsageException("unknown command " + Text.quote(first) + "; use one of "
          + CommandTree.commandNames() + " (see 'provision --help')");
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
      throw new UsageException("missing command; use one of " + CommandTree.commandNames()
          + " (see 'provision --help')");
    }
    ParseResult sub = parsed.subcommand();
    String command = sub.commandSpec().name();
    output.command(command);
    CliCommand cmd = (CliCommand) sub.commandSpec().userObject();
    cmd.bind(sub.commandSpec());
    Result result;
    try (JdbcContextRepository shared = JdbcContextRepository.fromEnvironment(System.getenv()).orElse(null);
        Provision provision = open(shared)) {
      result = cmd.execute(provision, progress);
    }
    if (result.failure().isPresent()) {
      return output.partialFailure(result);
    }
    return output.ok(command, result.json(), result.text());
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
    String env = System.getenv(Main.PLUGINS_ENV);
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
      throw new UsageException("unknown command " + Text.quote(rest.get(0)) + "; use one of "
          + CommandTree.commandNames());
    }
    return help(sub);
  }

  /** {@code provision --version}: this build's version and the JVM's. */
  private int version() {
    String version = Version.get();
    String jvm = Runtime.version() + ", " + System.getProperty("java.vendor", "?");
    ObjectNode fields = Values.object();
    fields.put("version", version);
    fields.put("java", jvm);
    return output.ok("version", fields, "provision " + version + " (Java " + jvm + ")" + System.lineSeparator());
  }

  private int help(CommandLine cl) {
    String usage = cl.getUsageMessage(Ansi.OFF);
    ObjectNode fields = Values.object();
    fields.put("usage", usage);
    return output.ok("help", fields, usage);
  }
}
