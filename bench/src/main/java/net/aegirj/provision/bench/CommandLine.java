package net.aegirj.provision.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Provision as a user runs it: whole processes of the command line ({@code bin/provision}), one
 * {@code save --from=FILE} of every site context (JSON lines), one batch {@code install}, one batch
 * {@code verify}, each timed with the wall clock from process start to exit.
 */
final class CommandLine {
  private final Path provision;
  private final Path home;
  private final Path logs;

  /**
   * @param provision the command ({@code bin/provision})
   * @param home the home the contexts live in
   * @param logs where each command's output goes
   */
  CommandLine(Path provision, Path home, Path logs) {
    this.provision = provision;
    this.home = home;
    this.logs = logs;
  }

  /** @return the JSON lines of N site contexts on the fixture platform and the db server */
  static String siteLines(List<String> uris) {
    StringBuilder b = new StringBuilder();
    for (String uri : uris) {
      b.append("{\"name\": \"@").append(uri).append("\", \"properties\": {\"context_type\": \"site\", ")
          .append("\"platform\": \"@platform_fixture\", \"db_server\": \"@server_db\", \"install_method\": \"manual\"}}\n");
    }
    return b.toString();
  }

  /**
   * Runs one command to its end.
   *
   * @param label names the log file
   * @param args the arguments after {@code --home HOME}
   * @return how long the process took, start to exit
   */
  Duration run(String label, List<String> args) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of(provision.toString(), "--home", home.toString()));
    argv.addAll(args);
    Path log = logs.resolve("cli-" + label + ".log");
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    int exit = p.waitFor();
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    if (exit != 0) {
      String text = Files.readString(log, StandardCharsets.UTF_8);
      throw new IllegalStateException(String.join(" ", argv.subList(0, Math.min(argv.size(), 6)))
          + (argv.size() > 6 ? " …" : "") + " exited " + exit + ": "
          + text.substring(Math.max(0, text.length() - 2000)));
    }
    return took;
  }

  /** @return {@code @uri} for each uri */
  static List<String> at(List<String> uris) {
    return uris.stream().map(u -> "@" + u).toList();
  }

  /** @return N uris with a prefix letter */
  static List<String> uris(char prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      out.add(String.format(Locale.ROOT, "%c%05d.bench.test", prefix, i));
    }
    return out;
  }
}
