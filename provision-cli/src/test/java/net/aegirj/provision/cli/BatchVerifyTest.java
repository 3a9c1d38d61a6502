package net.aegirj.provision.cli;

import static net.aegirj.provision.cli.TaskCommandTest.texts;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchVerifyTest {
  private static final Pattern PROGRESS =
      Pattern.compile("\\[(\\d)/3\\] (@server_\\w+): verify (succeeded|failed) \\(4 steps, \\d+ changes\\)(: .*)?");

  @TempDir
  Path home;

  private Cli cli;

  @BeforeEach
  void setUp() {
    cli = new Cli(home);
    cli.ok("save", "@server_a", "--context_type=server", "--remote_host=localhost");
    cli.ok("save", "@server_b", "--context_type=server", "--remote_host=localhost");
    // The shared directories (config, config/includes, clients) are made by a verify of the master
    // first: verifyAll on a fresh home races on them (two tasks creating <home>/config at once,
    // one fails with FileAlreadyExistsException); see ServerVerifyTest.verifyAllRunsABatch in
    // provision-core.
    cli.ok("verify", "@server_master");
  }

  /** Checks stderr's progress lines: one per task, numbered 1 to 3 in order, each context once. */
  private static List<Matcher> progress(List<String> lines) {
    List<Matcher> matched = lines.stream().map(PROGRESS::matcher).filter(Matcher::matches).toList();
    assertThat(matched).as("one progress line per task on stderr: %s", lines).hasSize(3);
    assertThat(matched.stream().map(m -> m.group(1)).toList()).as("numbered in the order they finish")
        .containsExactly("1", "2", "3");
    assertThat(matched.stream().map(m -> m.group(2)).toList()).as("each context once")
        .containsExactlyInAnyOrder("@server_master", "@server_a", "@server_b");
    return matched;
  }

  @Test
  void takesTheContextsFromStandardInput() {
    Cli.Outcome o = cli.runWithInput("# the servers\n@server_master\n\nserver_a\n@server_b\n", "verify", "--from=-",
        "--json");
    assertThat(o.exit()).as("exit status (stderr: %s)", o.err()).isZero();
    assertThat(o.json().path("reports")).as("one report per named context, a batch").hasSize(3);
    progress(o.errLines());
    Cli.Outcome bad = cli.runWithInput("@server_a\nnot a name\n", "verify", "--from=-");
    assertThat(bad.exit()).as("a malformed name refuses the run").isEqualTo(Main.BAD_INPUT);
    assertThat(bad.err()).as("naming its line").contains("line 2");
    assertThat(cli.runWithInput("@server_a\n", "delete", "--from=-").exit())
        .as("only verify and install take --from").isEqualTo(Main.BAD_INPUT);
    assertThat(cli.run("verify").exit()).as("no name at all is bad input").isEqualTo(Main.BAD_INPUT);
  }

  @Test
  void verifiesSeveralServersWithProgressOnStderr() {
    Cli.Outcome o = cli.run("verify", "@server_master", "@server_a", "@server_b");
    assertThat(o.exit()).as("exit status (stderr: %s)", o.err()).isZero();
    List<Matcher> lines = progress(o.errLines());
    assertThat(lines).as("every task succeeded")
        .allSatisfy(m -> assertThat(m.group(3)).as("outcome of %s", m.group(2)).isEqualTo("succeeded"));
    assertThat(o.errLines()).as("only the progress lines on stderr").hasSize(3);

    List<String> summaries = o.out().lines().filter(l -> l.startsWith("verify @")).toList();
    assertThat(summaries).as("one report per context, in the order given").hasSize(3);
    assertThat(summaries.get(0)).as("first report").startsWith("verify @server_master: succeeded");
    assertThat(summaries.get(1)).as("second report").startsWith("verify @server_a: succeeded");
    assertThat(summaries.get(2)).as("third report").startsWith("verify @server_b: succeeded");
    assertThat(o.out()).as("the batch's last line").endsWith("verify: 3 contexts, 3 succeeded, 0 failed\n");

    assertThat(home.resolve("config/server_a")).as("@server_a's config_path").isDirectory();
    assertThat(cli.mode("config/server_a")).as("mode 0711").isEqualTo("rwx--x--x");
    assertThat(cli.mode("config/server_b")).as("@server_b's config_path, mode 0711").isEqualTo("rwx--x--x");
  }

  @Test
  void batchJsonIsOneObjectWithEveryReport() {
    Cli.Outcome o = cli.run("--json", "verify", "@server_master", "@server_a", "@server_b");
    assertThat(o.exit()).as("exit status (stderr: %s)", o.err()).isZero();
    JsonNode json = o.json();
    assertThat(TaskCommandTest.fieldNames(json)).as("the top-level fields")
        .containsExactly("ok", "command", "reports", "exit_code");
    assertThat(json.get("ok").asBoolean()).as("ok").isTrue();
    assertThat(json.get("command").asText()).as("command").isEqualTo("verify");
    assertThat(texts(json.get("reports"), "context")).as("one report per context, in the order given")
        .containsExactly("@server_master", "@server_a", "@server_b");
    assertThat(texts(json.get("reports"), "status")).as("all succeeded").containsOnly("succeeded");
    JsonNode a = json.get("reports").get(1);
    assertThat(texts(a.get("changed_paths"))).as("@server_a's new config_path")
        .containsExactly(home.toAbsolutePath().normalize().resolve("config/server_a").toString());
    assertThat(a.get("steps").size()).as("@server_a's steps").isEqualTo(4);
    progress(o.errLines());
  }

  @Test
  void aFailedTaskDoesNotStopTheOthersAndExitsWithOne() throws IOException {
    Files.writeString(home.resolve("config/server_b"), "in the way");
    Cli.Outcome o = cli.run("verify", "@server_master", "@server_a", "@server_b", "--json");
    assertThat(o.exit()).as("a failed task makes the batch exit with 1").isEqualTo(1);
    JsonNode json = o.json();
    assertThat(json.get("ok").asBoolean()).as("ok").isFalse();
    assertThat(json.get("exit_code").asInt()).as("exit_code").isEqualTo(1);
    assertThat(texts(json.get("reports"), "status")).as("the others succeeded")
        .containsExactly("succeeded", "succeeded", "failed");
    assertThat(json.get("reports").get(2).get("failure").asText()).as("the failure")
        .contains("a file is in the way");
    assertThat(json.get("error").get("type").asText()).as("error type").isEqualTo("task_failed");
    assertThat(json.get("error").get("message").asText()).as("names the failed context")
        .isEqualTo("1 of 3 verify tasks failed: @server_b");
    assertThat(home.resolve("config/server_a")).as("@server_a was verified").isDirectory();

    Cli.Outcome text = cli.run("verify", "@server_master", "@server_a", "@server_b");
    assertThat(text.exit()).as("exit status of the text form").isEqualTo(1);
    List<Matcher> lines = progress(text.errLines());
    assertThat(lines.stream().filter(m -> m.group(3).equals("failed")).map(m -> m.group(2)).toList())
        .as("the progress line of the failed task").containsExactly("@server_b");
    assertThat(text.errLines().get(text.errLines().size() - 1)).as("the error line comes last")
        .isEqualTo("provision: error: 1 of 3 verify tasks failed: @server_b");
    assertThat(text.out()).as("every report is printed").contains("verify @server_b: failed (",
        "verify @server_a: succeeded", "verify: 3 contexts, 2 succeeded, 1 failed");
  }

  @Test
  void badNamesAreRefusedBeforeAnythingRuns() {
    Map<String, String> before = cli.tree();
    Cli.Outcome missing = cli.run("verify", "@server_a", "@nope", "@server_b");
    assertThat(missing.exit()).as("an unknown context in the batch").isEqualTo(2);
    assertThat(missing.errLines()).as("one error line, no progress").hasSize(1);
    assertThat(missing.err()).as("names it").contains("@nope");
    assertThat(cli.tree()).as("nothing was verified").isEqualTo(before);
    assertThat(home.resolve("config/server_a")).as("@server_a was not verified").doesNotExist();

    Cli.Outcome twice = cli.run("verify", "@server_a", "server_a");
    assertThat(twice.exit()).as("a context named twice").isEqualTo(2);
    assertThat(twice.err()).as("says so").contains("@server_a", "twice");

    Cli.Outcome other = cli.run("backup", "@server_a", "@server_b", "--json");
    assertThat(other.exit()).as("only verify and install take several contexts").isEqualTo(2);
    assertThat(other.json().get("error").get("type").asText()).as("a usage error").isEqualTo("usage");

    Cli.Outcome servers = cli.run("install", "@server_a", "@server_b", "--json");
    assertThat(servers.exit()).as("install does not apply to servers: refused before anything runs").isEqualTo(2);
    assertThat(cli.tree()).as("still nothing changed").isEqualTo(before);
  }

  @Test
  void verboseAddsStepLines() {
    Cli.Outcome o = cli.run("verify", "@server_a", "@server_b", "--verbose");
    assertThat(o.exit()).as("exit status (stderr: %s)", o.err()).isZero();
    assertThat(o.errLines().stream().filter(l -> l.matches("@server_[ab] \\[step [1-4]/4\\] .*")).count())
        .as("four step lines per server").isEqualTo(8);
    assertThat(o.errLines().stream().filter(l -> l.matches("\\[[12]/2\\] @server_[ab]: verify succeeded .*")).count())
        .as("a task line per server").isEqualTo(2);
  }
}
