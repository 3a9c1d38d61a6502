package net.aegirj.provision.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A BIND 9 {@code named} from Debian's {@code bind9} package, started as a plain child process of
 * this JVM with {@code named -g -c <dir>/named.conf} (in the foreground, logging to standard
 * error; as root it stays root, since no {@code -u} is given). Its main configuration stands in
 * for Debian's {@code /etc/bind/named.conf}: everything it writes (pid file, session key, managed
 * keys) is in its state directory, it listens on a free port of {@code 127.0.0.1} only (UDP and
 * TCP), answers authoritatively only ({@code recursion no}), has no control channel (so
 * {@code rndc} is not used: {@link #reloadCommand()} sends {@code SIGHUP}), and includes
 * {@code <aegirRoot>/config/bind.conf}, the link Provision's dns server verify makes. BIND's
 * {@code include} is not optional, so that link must exist before the server starts: run a server
 * verify first.
 *
 * <p>Ready means: {@code named-checkconf} accepted the main configuration and the port accepts TCP
 * connections.
 */
public final class BindServer extends RunningServer {
  /** The named binary used. */
  public static final Path NAMED = Path.of("/usr/sbin/named");
  /** The configuration checker used. */
  public static final Path CHECKCONF = Path.of("/usr/bin/named-checkconf");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final Path dir;
  private final Path mainConfig;
  private final int port;

  private BindServer(Path dir, Path mainConfig, int port, ServerProcess process, Duration startupTime) {
    super(process, startupTime);
    this.dir = dir;
    this.mainConfig = mainConfig;
    this.port = port;
  }

  /**
   * Writes the main configuration into {@code dir}, checks it and starts named.
   *
   * @param dir a directory for its state (created)
   * @param aegirRoot the Aegir root whose {@code config/bind.conf} the main configuration includes
   * @return the running server
   * @throws IllegalStateException when named is missing, the include is missing, named refuses the
   *     configuration or does not start listening in time
   */
  public static BindServer start(Path dir, Path aegirRoot) {
    ServerProcess.requireExecutable(NAMED, "bind9");
    ServerProcess.requireExecutable(CHECKCONF, "bind9-utils");
    Path state = dir.toAbsolutePath().normalize();
    Path include = aegirRoot.toAbsolutePath().normalize().resolve("config").resolve("bind.conf");
    if (!Files.exists(include)) {
      throw new IllegalStateException(include + " does not exist: run a server verify with dns_service_type=bind "
          + "before starting named, whose include is not optional");
    }
    Instant t0 = Instant.now();
    int port = Ports.free();
    Path mainConfig = state.resolve("named.conf");
    String text = "// written by the Provision testkit; stands in for /etc/bind/named.conf\n"
        + "options {\n"
        + "  directory \"" + state + "\";\n"
        + "  pid-file \"" + state.resolve("named.pid") + "\";\n"
        + "  session-keyfile \"" + state.resolve("session.key") + "\";\n"
        + "  listen-on port " + port + " { 127.0.0.1; };\n"
        + "  listen-on-v6 { none; };\n"
        + "  recursion no;\n"
        + "  dnssec-validation no;\n"
        + "};\n"
        + "controls { };\n"
        + "include \"" + include + "\";\n";
    writeConfig(mainConfig, text, state);
    ServerProcess.checkConfig("named-checkconf", List.of(CHECKCONF.toString(), "-z", mainConfig.toString()),
        mainConfig, List.of(), START_TIMEOUT);
    List<String> argv = new ArrayList<>(List.of(NAMED.toString(), "-g", "-c", mainConfig.toString()));
    ServerProcess process = ServerProcess.start("named", argv, state, state.resolve("console.log"), List.of(),
        STOP_TIMEOUT);
    process.awaitReady(p -> p.awaitTcp(port, START_TIMEOUT));
    return new BindServer(state, mainConfig, port, process, Duration.between(t0, Instant.now()));
  }

  /** @return the port named answers on, on {@code 127.0.0.1} */
  public int port() {
    return port;
  }

  /** @return the main configuration file */
  public Path mainConfig() {
    return mainConfig;
  }

  /** @return the state directory */
  public Path dir() {
    return dir;
  }

  /** @return a shell command that makes named reload its configuration and zones, for {@code dns_restart_cmd} */
  public String reloadCommand() {
    return "kill -HUP " + process().pid();
  }

  /** @return a shell command that checks the main configuration and every zone, for {@code dns_test_cmd} */
  public String testCommand() {
    return CHECKCONF + " -z " + LocalServers.shellQuote(mainConfig.toString());
  }

  /**
   * Asks named with {@code dig}.
   *
   * @param name the name
   * @param type the record type
   * @return dig's {@code +short} answer, stripped, or the status line's status (e.g. {@code NXDOMAIN})
   *     when the answer is empty
   */
  public String query(String name, String type) {
    ServerProcess.Result r = ServerProcess.run(List.of("dig", "@127.0.0.1", "-p", Integer.toString(port), name, type,
        "+norecurse", "+time=2", "+tries=1", "+noall", "+answer", "+comments"), Duration.ofSeconds(10)).orThrow();
    List<String> answers = new ArrayList<>();
    String status = "?";
    for (String line : r.stdout().split("\n")) {
      int at = line.indexOf("status: ");
      if (at >= 0) {
        status = line.substring(at + 8).split(",")[0].trim();
      } else if (!line.isBlank() && !line.startsWith(";")) {
        String[] f = line.trim().split("\\s+");
        answers.add(f[f.length - 1]);
      }
    }
    return answers.isEmpty() ? status : String.join(" ", answers);
  }

  @Override
  public String toString() {
    return "named " + mainConfig + " (port " + port + ")";
  }
}
