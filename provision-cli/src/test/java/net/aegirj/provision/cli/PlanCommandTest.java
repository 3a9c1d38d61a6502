package net.aegirj.provision.cli;

import static net.aegirj.provision.cli.TaskCommandTest.fieldNames;
import static net.aegirj.provision.cli.TaskCommandTest.texts;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PlanCommandTest {
  @TempDir
  Path home;

  private Cli cli;

  @BeforeEach
  void setUp() {
    cli = new Cli(home);
    // Creates the implicit @server_master (on first use), so that what follows has nothing to create.
    cli.ok("show", "@server_master");
  }

  private String path(String relative) {
    return home.toAbsolutePath().normalize().resolve(relative).toString();
  }

  @Test
  void planChangesNothingAndListsThePaths() {
    Map<String, String> before = cli.tree();
    Cli.Outcome o = cli.run("plan", "@server_master", "verify");
    assertThat(o.exit()).as("exit status (stderr: %s)", o.err()).isZero();
    assertThat(cli.tree()).as("the plan changed nothing in the home").isEqualTo(before);
    assertThat(home.resolve("config")).as("no config directory was made").doesNotExist();
    assertThat(o.out().lines().toList()).as("the steps, each with the paths it would change")
        .contains("  planned     server: create config directories on @server_master",
            "      " + path("config/server_master"), "      " + path("backups"),
            "(plan only: nothing was changed)");
    assertThat(o.out()).as("the summary line")
        .containsPattern("verify @server_master: planned \\(4 steps, [1-9]\\d* changes, 0 reloads, \\d+ ms\\)");
    assertThat(o.err()).as("nothing on stderr").isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"@server_master plan verify", "plan verify @server_master",
      "plan @server_master provision-verify", "plan @server_master", "plan server_master verify"})
  void everySpellingPlansTheSame(String commandLine) {
    Cli.Outcome o = cli.run(commandLine.split(" "));
    assertThat(o.exit()).as("exit status of %s (stderr: %s)", commandLine, o.err()).isZero();
    assertThat(o.out()).as("the plan of verify").contains("verify @server_master: planned (4 steps, ");
    assertThat(home.resolve("config")).as("nothing was made").doesNotExist();
  }

  @Test
  void planJsonIsOneObjectWithThePlannedReport() {
    Cli.Outcome o = cli.run("@server_master", "plan", "verify", "--json");
    assertThat(o.exit()).as("exit status (stderr: %s)", o.err()).isZero();
    JsonNode json = o.json();
    assertThat(fieldNames(json)).as("the top-level fields").containsExactly("ok", "command", "report", "exit_code");
    assertThat(json.get("command").asText()).as("command").isEqualTo("plan");
    JsonNode report = json.get("report");
    assertThat(report.get("task").asText()).as("the planned task").isEqualTo("verify");
    assertThat(report.get("status").asText()).as("status").isEqualTo("planned");
    assertThat(texts(report.get("steps"), "status")).as("every step is planned")
        .containsOnly("planned").hasSize(4);
    assertThat(texts(report.get("changed_paths"))).as("the paths verify would change")
        .contains(path("config/server_master"), path("backups"));
    assertThat(texts(report.get("steps").get(0).get("changes"))).as("the first step's changes")
        .contains(path("config/server_master"));
    assertThat(report.get("failure").isNull()).as("no failure").isTrue();
    assertThat(home.resolve("config")).as("nothing was made").doesNotExist();
  }

  @Test
  void afterAVerifyThePlanIsEmpty() {
    cli.ok("verify", "@server_master");
    JsonNode report = cli.run("plan", "@server_master", "verify", "--json").json().get("report");
    assertThat(report.get("changed_paths").size()).as("nothing left to change").isZero();
    assertThat(cli.ok("plan", "@server_master", "verify")).as("the text summary")
        .contains("verify @server_master: planned (4 steps, 0 changes, ");
  }

  @Test
  void planningATaskThatDoesNotApplyIsRefused() {
    Map<String, String> before = cli.tree();
    Cli.Outcome o = cli.run("plan", "@server_master", "install", "--json");
    assertThat(o.exit()).as("exit status").isEqualTo(2);
    assertThat(o.json().get("error").get("type").asText()).as("error type").isEqualTo("invalid_context");
    assertThat(o.json().get("error").get("message").asText()).as("names the task")
        .contains("install", "server");
    assertThat(cli.tree()).as("nothing changed").isEqualTo(before);

    Cli.Outcome missing = cli.run("plan", "@nope", "verify");
    assertThat(missing.exit()).as("an unknown context").isEqualTo(2);
    assertThat(missing.err()).as("names it").contains("@nope");
    Cli.Outcome tooMany = cli.run("plan", "@server_master", "verify", "extra");
    assertThat(tooMany.exit()).as("a third argument").isEqualTo(2);
  }
}
