package net.aegirj.provision.services.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.Host;

/**
 * What an http service type asks its web server after a reload: does every port the server should
 * listen on answer {@value #PATH} with the marker of the configuration on disk?
 *
 * <p>The server-level configuration names the address and ports to ask in a line
 * {@code # provision-reload-check: <address> http:<port> [https:<port>]} (so that after a rollback
 * the restored file's ports are asked, not those the server's context names now), and its default
 * server answers {@value #PATH} with {@code provision-config-check <marker>}, the marker being a hash of that file without it (so it
 * changes with the configuration and never on a verify that changes nothing; it is no secret). The
 * question is a bash loop run on the web server's machine ({@code bash -s}, the script on standard
 * input) with its values as arguments, never inside the script: curl when the machine has it, else bash's {@code /dev/tcp} (which speaks no
 * TLS, so an HTTPS port is then only seen to accept connections). It polls until every port
 * answers with the marker four times in a row (0.1 s apart: nginx lets its old workers accept
 * connections for about 0.1 s after its new ones start) or the time is up: nginx and Apache apply
 * a reload asynchronously. The marker may carry the generation the web server type wrote just
 * before the reload ({@code <marker>.<generation>}), so that a reload for a site's file alone,
 * which leaves the server-level file as it was, is seen too.
 * When the file on disk has no marker (an operator's template without one), any HTTP answer
 * will do.
 */
final class ReloadCheck {
  /** The path the default server answers with the marker. */
  static final String PATH = "/.provision-config-check";
  /** The name asked for: the Apache default server's {@code ServerName}, unknown to nginx's sites. */
  static final String HOST_HEADER = "default.invalid";

  private static final Pattern MARKER = Pattern.compile("provision-config-check ([0-9a-f]{16})");
  private static final Pattern GENERATION = Pattern.compile(
      "(?:provision_generation \"|PROVISION_GENERATION )([0-9a-f]{16})");
  private static final Pattern TARGETS = Pattern.compile(
      "^# provision-reload-check: ([0-9a-fA-F.:]+)((?: https?:[0-9]{1,5})+)$", Pattern.MULTILINE);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration SLACK = Duration.ofSeconds(30);

  /**
   * The loop, run as {@code bash -s} with the script on standard input: {@code $1} seconds,
   * {@code $2} the address, {@code $3} the marker ({@code -} for none),
   * then {@code scheme:port} pairs. Prints one line per port ({@code scheme:port outcome}) and
   * exits 0 when every port answered with the marker, 1 when the time ran out.
   */
  static final String SCRIPT = """
      limit=$1 addr=$2 marker=$3
      shift 3
      if [ "$marker" = - ]; then marker=; fi
      host=$addr
      case $addr in *:*) host="[$addr]" ;; esac
      curl_ok=0
      if command -v curl >/dev/null 2>&1; then curl_ok=1; fi
      probe() {
        local scheme=$1 port=$2 out= line rc
        if [ "$curl_ok" = 1 ]; then
          out=$(curl -sS -k -i --max-time 3 -H 'Host: default.invalid' \\
            "$scheme://$host:$port/.provision-config-check" 2>/dev/null)
          rc=$?
          case $rc in
            0) ;;
            7) echo refused; return ;;
            28|52|56) echo silent; return ;;
            35) echo tls; return ;;
            *) echo "error curl exit code $rc"; return ;;
          esac
        elif [ "$scheme" = http ]; then
          if ! { exec 3<>"/dev/tcp/$addr/$port"; } 2>/dev/null; then echo refused; return; fi
          printf 'GET /.provision-config-check HTTP/1.0\\r\\nHost: default.invalid\\r\\n\\r\\n' >&3
          while IFS= read -r -t 3 line; do out+="$line"$'\\n'; done <&3
          exec 3<&-
        else
          if { exec 3<>"/dev/tcp/$addr/$port"; } 2>/dev/null; then exec 3<&-; echo unverified; else echo refused; fi
          return
        fi
        if [ -z "$out" ]; then echo silent; return; fi
        if [[ $out =~ provision-config-check\\ ([0-9a-f]{16}(\\.[0-9a-f]{16})?) ]]; then
          if [ -z "$marker" ] || [ "${BASH_REMATCH[1]}" = "$marker" ]; then echo ok; else echo "old ${BASH_REMATCH[1]}"; fi
          return
        fi
        if [ -z "$marker" ] && [[ $out == HTTP/* ]]; then echo ok; return; fi
        line=${out%%$'\\n'*}
        line=${line%%$'\\r'*}
        echo "other ${line:0:120}"
      }
      SECONDS=0
      streak=0
      while :; do
        all=1 report=
        for spec in "$@"; do
          r=$(probe "${spec%%:*}" "${spec#*:}")
          case $r in ok|unverified) ;; *) all=0 ;; esac
          report+="$spec $r"$'\\n'
        done
        if [ "$all" = 1 ]; then streak=$((streak + 1)); else streak=0; fi
        if [ "$streak" -ge 4 ]; then printf '%s' "$report"; exit 0; fi
        if [ "$SECONDS" -ge "$limit" ] && [ "$streak" = 0 ]; then printf '%s' "$report"; exit 1; fi
        if [ "$streak" -gt 0 ]; then sleep 0.1; else sleep 0.2; fi
      done
      """;

  /**
   * A port the web server should listen on.
   *
   * @param scheme {@code http} or {@code https}
   * @param port the port
   */
  record Port(String scheme, int port) {
    @Override
    public String toString() {
      return scheme + " port " + port;
    }
  }

  private final String server;
  private final String software;
  private final String address;
  private final List<Port> ports;
  private final Optional<String> marker;
  private final int seconds;

  /**
   * @param server the server's name, for messages
   * @param software the web server's name, for messages ({@code nginx}, {@code Apache})
   * @param address the address to connect to (see {@link #connectAddress(String)})
   * @param ports the ports to ask
   * @param marker the marker of the configuration on disk; empty when it has none
   * @param seconds how long the web server may take
   */
  ReloadCheck(String server, String software, String address, List<Port> ports, Optional<String> marker,
      int seconds) {
    this.server = server;
    this.software = software;
    this.address = address;
    this.ports = List.copyOf(ports);
    this.marker = marker;
    this.seconds = seconds;
  }

  /**
   * @param withoutMarker the configuration rendered with an empty marker
   * @return its marker: the first 16 hex digits of its SHA-256
   */
  static String marker(byte[] withoutMarker) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(withoutMarker);
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256", e);
    }
  }

  /** @return a fresh generation: 16 hex digits, different for every reload (no secret) */
  static String newGeneration() {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /**
   * @param file a generation file, nginx's or Apache's
   * @return the generation it sets, if it is well formed
   */
  static Optional<String> generationIn(String file) {
    Matcher m = GENERATION.matcher(file);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /**
   * @param config a server-level configuration
   * @return the marker it serves, if it serves one
   */
  static Optional<String> markerIn(String config) {
    Matcher m = MARKER.matcher(config);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /**
   * Where a server-level configuration says it listens.
   *
   * @param address the address to ask on the server's machine
   * @param ports the ports
   */
  record Targets(String address, List<Port> ports) {}

  /**
   * @param config a server-level configuration
   * @return the address and ports its {@code # provision-reload-check:} line names, if it has one
   */
  static Optional<Targets> targetsIn(String config) {
    Matcher m = TARGETS.matcher(config);
    if (!m.find()) {
      return Optional.empty();
    }
    List<Port> ports = new ArrayList<>();
    for (String t : m.group(2).strip().split(" ")) {
      int port = Integer.parseInt(t.substring(t.indexOf(':') + 1));
      if (port < 1 || port > 65535) {
        return Optional.empty();
      }
      ports.add(new Port(t.substring(0, t.indexOf(':')), port));
    }
    return Optional.of(new Targets(m.group(1), List.copyOf(ports)));
  }

  /**
   * @param listen {@code http_listen_address}, checked against its grammar
   * @return where to ask on the server's own machine: loopback for the wildcard addresses, else
   *     the address itself
   */
  static String connectAddress(String listen) {
    return switch (listen) {
      case "*", "0.0.0.0" -> "127.0.0.1";
      case "::", "[::]" -> "::1";
      default -> listen;
    };
  }

  /** @return the command that asks */
  Command command() {
    // The script on standard input, the values as its arguments: argv stays one printable line.
    List<String> argv = new ArrayList<>(List.of("bash", "-s", Integer.toString(seconds), address,
        marker.orElse("-")));
    for (Port p : ports) {
      argv.add(p.scheme() + ":" + p.port());
    }
    return Command.of(argv).withStdin(SCRIPT.getBytes(StandardCharsets.UTF_8))
        .withTimeout(Duration.ofSeconds(seconds).plus(SLACK))
        .withDisplay("reload check: " + software + " serves " + marker.map(m -> "marker " + m).orElse("HTTP")
            + " on " + address + " " + ports);
  }

  /**
   * Asks, through the web server's host.
   *
   * @param host the web server's host
   * @return empty when every port answered with the marker; else what did not, and why it may be
   */
  Optional<String> run(Host host) {
    CommandResult r;
    try {
      r = host.run(command());
    } catch (HostCommandException e) {
      return Optional.of(server + ": cannot ask " + software + " whether it serves its new configuration: "
          + e.getMessage() + " (the check needs bash on the web server; http_reload_check=0 turns it off)");
    }
    if (r.exitCode() == 0) {
      return Optional.empty();
    }
    if (r.exitCode() != 1) {
      return Optional.of(server + ": cannot ask " + software + " whether it serves its new configuration: "
          + r.command() + " exited with " + r.exitCode() + (r.stderrTail().isBlank() ? "" : ": "
          + Text.quote(r.stderrTail().strip())) + " (the check needs bash on the web server; http_reload_check=0 "
          + "turns it off)");
    }
    List<String> problems = new ArrayList<>();
    for (String line : r.stdout().split("\n")) {
      problems.addAll(problem(line).stream().toList());
    }
    if (problems.isEmpty()) {
      problems.add("the check gave no answer it understands: " + Text.quote(r.stdout().strip()));
    }
    return Optional.of(server + ": " + software + " does not serve the new configuration " + seconds
        + " s after the reload: " + String.join("; ", problems));
  }

  /** @return what a line of the loop's report says is wrong, if anything */
  private Optional<String> problem(String line) {
    String[] f = line.strip().split(" ", 3);
    if (f.length < 2 || !f[0].contains(":")) {
      return Optional.empty();
    }
    String scheme = f[0].substring(0, f[0].indexOf(':'));
    String port = scheme + " port " + f[0].substring(f[0].indexOf(':') + 1);
    String rest = f.length > 2 ? f[2] : "";
    return switch (f[1]) {
      case "ok", "unverified" -> Optional.empty();
      case "refused" -> Optional.of("nothing listens on " + port + " (" + software + " did not bind it)");
      case "silent" -> Optional.of(port + " accepts connections but gives no HTTP answer (another process holds it)");
      case "tls" -> Optional.of(port + " does not complete a TLS handshake (another process holds it)");
      case "old" -> Optional.of(port + " still serves the previous configuration (marker " + Text.quote(rest)
          + ", expected " + Text.quote(marker.orElse("")) + "): " + software + " did not apply the reload");
      case "other" -> Optional.of(port + " answers " + Text.quote(rest) + ", not with the new configuration's marker"
          + " (another process holds it, or " + software + " did not apply the reload)");
      default -> Optional.of(port + ": " + Text.quote(f[1] + " " + rest));
    };
  }
}
