package net.aegirj.provision.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as a user gets it: {@code provision-VERSION.tar.gz} unpacked somewhere else,
 * run with Java alone, from any directory, without the checkout or Maven.
 */
class DistributionIT {
  @TempDir static Path tmp;
  static Path unpacked;

  @BeforeAll
  static void unpack() throws Exception {
    Path target = Path.of("target");
    List<Path> archives;
    try (Stream<Path> s = Files.list(target)) {
      archives = s.filter(p -> p.getFileName().toString().matches("provision-.+\\.tar\\.gz")).collect(Collectors.toList());
    }
    assertThat(archives).as("the build made exactly one provision-VERSION.tar.gz").hasSize(1);
    Result r = run(tmp, List.of("tar", "-xzf", archives.get(0).toAbsolutePath().toString()), Map.of());
    assertThat(r.exit).as("the archive unpacks with tar: %s", r.err).isZero();
    try (Stream<Path> s = Files.list(tmp)) {
      unpacked = s.filter(Files::isDirectory).findFirst().orElseThrow();
    }
  }

  record Result(int exit, String out, String err) {}

  static Result run(Path dir, List<String> command, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PROVISION_"));
    pb.environment().putAll(env);
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void holdsTheLauncherTheLibrariesTheLicenceAndTheCompletion() throws IOException {
    assertThat(unpacked.getFileName().toString()).as("one top directory named after the version")
        .startsWith("provision-");
    assertThat(Files.isExecutable(unpacked.resolve("bin/provision"))).as("bin/provision is executable").isTrue();
    assertThat(unpacked.resolve("LICENSE")).as("the licence travels with it").exists();
    assertThat(Files.readString(unpacked.resolve("LICENSE"))).as("it is the Apache License 2.0")
        .contains("Apache License", "Version 2.0, January 2004");
    assertThat(unpacked.resolve("completion/provision.bash")).as("the bash completion script").exists();
    List<String> jars;
    try (Stream<Path> s = Files.list(unpacked.resolve("lib"))) {
      jars = s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
    assertThat(jars).as("the CLI and everything it needs at run time")
        .anyMatch(j -> j.startsWith("provision-cli-"))
        .anyMatch(j -> j.startsWith("provision-services-"))
        .anyMatch(j -> j.startsWith("mariadb-java-client-"))
        .anyMatch(j -> j.startsWith("slf4j-simple-"));
    assertThat(jars).as("nothing only tests need")
        .noneMatch(j -> j.startsWith("junit-") || j.startsWith("assertj-") || j.startsWith("provision-testkit-")
            || j.startsWith("quicktheories-"));
  }

  @Test
  void runsFromAnotherDirectoryWithJavaAlone() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("home"));
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    String java = Path.of(System.getProperty("java.home"), "bin").toString();
    // No Maven, no checkout: a PATH with the JVM and the basic tools only.
    Map<String, String> env = Map.of("PATH", java + ":/usr/bin:/bin", "JAVA_HOME", System.getProperty("java.home"));
    String launcher = unpacked.resolve("bin/provision").toString();
    Result save = run(elsewhere, List.of(launcher, "--home", home.toString(), "save", "@server_a",
        "--context_type=server", "--remote_host=localhost"), env);
    assertThat(save.exit).as("save succeeds: %s", save.err).isZero();
    Result list = run(elsewhere, List.of(launcher, "--home", home.toString(), "list", "--json"), env);
    assertThat(list.exit).as("list succeeds: %s", list.err).isZero();
    assertThat(list.out).as("the saved server is listed, as JSON").contains("\"@server_a\"");
    Result bad = run(elsewhere, List.of(launcher, "--home", home.toString(), "frobnicate"), env);
    assertThat(bad.exit).as("an unknown command is bad input").isEqualTo(2);
  }

  /**
   * The start-up archive: the first run starts its training in the background, later runs map it
   * (the JVM is told to refuse to start without it, and starts), and nothing of it reaches the
   * output: {@code --json} stays one JSON object.
   */
  @Test
  void aStartUpArchiveIsMadeInTheBackgroundAndThenUsed() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("home-cds"));
    String java = Path.of(System.getProperty("java.home"), "bin").toString();
    Map<String, String> env = Map.of("PATH", java + ":/usr/bin:/bin", "JAVA_HOME", System.getProperty("java.home"));
    String launcher = unpacked.resolve("bin/provision").toString();
    Result first = run(tmp, List.of(launcher, "--version"), env);
    assertThat(first.exit).as("the first run does not wait for the archive: %s", first.err).isZero();
    Path cds = unpacked.resolve("cds");
    awaitTraining();
    List<Path> archives;
    try (Stream<Path> s = Files.list(cds)) {
      archives = s.filter(p -> p.getFileName().toString().endsWith(".jsa")).collect(Collectors.toList());
    }
    assertThat(archives).as("one archive, in cds/ beside lib/").hasSize(1);

    Map<String, String> strict = new java.util.HashMap<>(env);
    strict.put("PROVISION_JAVA_OPTS", "-Xshare:on");
    Result mapped = run(tmp, List.of(launcher, "--home", home.toString(), "list", "--json"), strict);
    assertThat(mapped.exit).as("with -Xshare:on the JVM starts only if it maps the archive: %s", mapped.err).isZero();
    assertThat(mapped.out.strip()).as("the output is the command's one JSON object, nothing of the JVM's")
        .startsWith("{\"ok\":true").endsWith("}").doesNotContain("\n");
    assertThat(mapped.err).as("and stderr says nothing of it").isEmpty();

    Map<String, String> off = new java.util.HashMap<>(strict);
    off.put("PROVISION_CDS", "0");
    off.put("PROVISION_JAVA_OPTS", "-Xshare:auto");
    Result without = run(tmp, List.of(launcher, "--home", home.toString(), "list", "--json"), off);
    assertThat(without.exit).as("PROVISION_CDS=0 runs without it: %s", without.err).isZero();

    for (String command : List.of("list", "import")) {
      Map<String, String> collector = new java.util.HashMap<>(env);
      collector.put("PROVISION_JAVA_OPTS", "-XX:+UseParallelGC");
      List<String> args = new java.util.ArrayList<>(List.of(launcher, "--home", home.toString(), command, "--json"));
      if (command.equals("import")) {
        args.add(Files.createDirectories(tmp.resolve("no-aliases")).toString());
      }
      Result chosen = run(tmp, args, collector);
      assertThat(chosen.err).as("a collector in PROVISION_JAVA_OPTS replaces the launcher's for %s (a JVM refuses"
          + " two)", command).doesNotContain("Multiple garbage collectors");
      assertThat(chosen.out).as("%s ran with the user's collector", command).contains("\"ok\":");
    }
  }

  /** Waits until no training run is under way (their lock directories are gone). */
  @AfterAll
  static void awaitTraining() throws Exception {
    Path cds = unpacked.resolve("cds");
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < until) {
      boolean done = Files.isDirectory(cds);
      if (done) {
        List<String> names;
        try (Stream<Path> s = Files.list(cds)) {
          names = s.map(p -> p.getFileName().toString()).collect(Collectors.toList());
        }
        done = names.stream().noneMatch(n -> n.endsWith(".making")) && names.stream().anyMatch(n -> n.endsWith(".jsa"));
      }
      if (done) {
        return;
      }
      Thread.sleep(200);
    }
  }

  @Test
  void theCompletionScriptCompletesCommands() throws Exception {
    String script = unpacked.resolve("completion/provision.bash").toString();
    Result r = run(tmp, List.of("bash", "-c", "source \"$1\" && complete -p provision", "bash", script), Map.of());
    assertThat(r.exit).as("the script loads in bash: %s", r.err).isZero();
    assertThat(r.out).as("it registers a completion function for provision").contains("provision");
    Result words = run(tmp, new ArrayList<>(List.of("bash", "-c",
        "source \"$1\"; COMP_WORDS=(provision ver); COMP_CWORD=1; COMP_LINE='provision ver'; COMP_POINT=13;"
            + " _complete_provision; printf '%s\\n' \"${COMPREPLY[@]}\"", "bash", script)), Map.of());
    assertThat(words.out).as("'ver' completes to the verify task: %s", words.err).contains("verify");
    assertThat(Files.readString(Path.of(script), StandardCharsets.UTF_8)).as("every task is a command in it")
        .contains("backup-delete", "login-reset", "import-site");
  }
}
