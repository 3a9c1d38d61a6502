package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Runs {@link Main#run} in-process against one Provision home and captures its streams. */
final class Cli {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private final Path home;

  Cli(Path home) {
    this.home = home;
  }

  Path home() {
    return home;
  }

  /**
   * @param args the command line, without {@code --home} (it is appended)
   * @return what the run produced
   */
  Outcome run(String... args) {
    return runWithInput(StandardInput.empty(), args);
  }

  /**
   * @param args the complete command line
   * @return what the run produced
   */
  static Outcome raw(String... args) {
    return raw(false, args);
  }

  /**
   * @param errIsTerminal whether stderr is to be taken as a terminal
   * @param args the complete command line
   * @return what the run produced
   */
  static Outcome raw(boolean errIsTerminal, String... args) {
    return raw(StandardInput.empty(), errIsTerminal, args);
  }

  /**
   * @param stdin the run's standard input
   * @param args the command line, without {@code --home} (it is appended)
   * @return what the run produced
   */
  Outcome runWithInput(StandardInput stdin, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--home");
    all.add(home.toString());
    return raw(stdin, false, all.toArray(String[]::new));
  }

  /**
   * @param stdin the text on standard input (not a terminal)
   * @param args the command line, without {@code --home} (it is appended)
   * @return what the run produced
   */
  Outcome runWithInput(String stdin, String... args) {
    return runWithInput(new StandardInput(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), false),
        args);
  }

  /**
   * @param stdin the run's standard input
   * @param errIsTerminal whether stderr is to be taken as a terminal
   * @param args the complete command line
   * @return what the run produced
   */
  static Outcome raw(StandardInput stdin, boolean errIsTerminal, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      exit = Main.run(args, stdin, o, e, errIsTerminal);
    }
    return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Runs a command that must succeed and returns its stdout. */
  String ok(String... args) {
    Outcome o = run(args);
    assertThat(o.exit()).as("exit status of %s (stderr: %s)", List.of(args), o.err()).isZero();
    return o.out();
  }

  /**
   * @param name a context name
   * @return the {@code properties} of {@code show NAME --json --show-secrets}, which must succeed
   */
  JsonNode showSecretsOf(String name) {
    Outcome o = run("show", name, "--json", "--show-secrets");
    assertThat(o.exit()).as("show %s (stderr: %s)", name, o.err()).isZero();
    return o.json().get("context").get("properties");
  }

  /** @return every file under the home's contexts directory with its content */
  Map<String, String> snapshot() {
    Path dir = home.resolve("contexts");
    Map<String, String> files = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return files;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
        files.put(dir.relativize(p).toString(), Files.readString(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }

  /**
   * @return every file and directory under the home (lock files left out: taking a task's lock is
   *     not a change), each with its permissions, and a file's content
   */
  Map<String, String> tree() {
    Map<String, String> entries = new TreeMap<>();
    try (Stream<Path> s = Files.walk(home)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = home.relativize(p).toString();
        if (rel.equals("locks") || rel.startsWith("locks/")) {
          continue;
        }
        String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        entries.put(rel, Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir " + perms
            : "file " + perms + " " + Files.readString(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return entries;
  }

  /**
   * @param relative a path under the home
   * @return its permissions, e.g. {@code rwx--x--x}
   */
  String mode(String relative) {
    try {
      return PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve(relative)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Creates @server_web, @platform_x and @example.com on it. */
  void fixture() {
    ok("save", "@server_web", "--context_type=server", "--remote_host=web1.example.com");
    ok("save", "@platform_x", "--context_type=platform", "--root=/var/aegir/platforms/x");
    ok("save", "@example.com", "--context_type=site", "--platform=@platform_x", "--aliases=a.com,b.com");
  }

  /**
   * Parses stdout that must hold exactly one JSON object, on one line.
   *
   * @param out the captured stdout
   * @return the object
   */
  static JsonNode singleJsonObject(String out) {
    List<JsonNode> values;
    try (MappingIterator<JsonNode> it = MAPPER.readerFor(JsonNode.class).readValues(out)) {
      values = it.readAll();
    } catch (IOException e) {
      throw new AssertionError("stdout is not JSON: " + out, e);
    }
    assertThat(values).as("stdout holds exactly one JSON value: %s", out).hasSize(1);
    assertThat(values.get(0).isObject()).as("the JSON value is an object: %s", out).isTrue();
    assertThat(out.strip().lines().count()).as("the JSON object is printed on one line").isEqualTo(1);
    return values.get(0);
  }

  /**
   * What one run produced.
   *
   * @param exit the exit status
   * @param out stdout
   * @param err stderr
   */
  record Outcome(int exit, String out, String err) {
    JsonNode json() {
      return singleJsonObject(out);
    }

    /** @return stderr's lines */
    List<String> errLines() {
      return err.lines().toList();
    }
  }
}
