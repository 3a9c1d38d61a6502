package net.aegirj.provision.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The training run of the start-up archive: the launchers run it once, in the background, as
 * {@code java -XX:ArchiveClassesAtExit=<archive> ... CdsTraining}, so that the JVM writes the
 * classes the command line loads into an application class-data-sharing archive that later
 * invocations map instead of loading and verifying them again. It runs the usual commands in
 * this process (save, save --from, show, list, plan, verify of a server with no services, help,
 * errors) on a temporary home it removes, with their output thrown away. It touches nothing else.
 */
public final class CdsTraining {
  private CdsTraining() {}

  /**
   * Runs the training.
   *
   * @param args none
   */
  public static void main(String[] args) {
    Path home;
    try {
      home = Files.createTempDirectory("provision-cds-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    String h = home.toString();
    List<List<String>> commands = List.of(
        List.of("--home", h, "save", "@server_master", "--context_type=server"),
        List.of("--home", h, "save", "@platform_t", "--context_type=platform", "--root=" + home.resolve("p")),
        List.of("--home", h, "show", "@server_master"),
        List.of("--home", h, "show", "@server_master", "--json"),
        List.of("--home", h, "list", "--json"),
        List.of("--home", h, "plan", "@server_master", "verify"),
        List.of("--home", h, "verify", "@server_master", "--json"),
        List.of("--home", h, "verify", "@server_master"),
        List.of("--home", h, "show", "@nowhere"),
        List.of("--home", h, "save", "--help"),
        List.of("--version"));
    try {
      for (List<String> c : commands) {
        Main.run(c.toArray(String[]::new), sink, sink);
      }
      byte[] lines = "{\"name\": \"@server_b\", \"properties\": {\"context_type\": \"server\"}}\n"
          .getBytes(StandardCharsets.UTF_8);
      Main.run(new String[] {"--home", h, "save", "--from=-", "--json"}, new ByteArrayInputStream(lines), sink, sink);
    } finally {
      try (Stream<Path> walk = Files.walk(home)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a temporary directory left behind
      }
    }
  }
}
