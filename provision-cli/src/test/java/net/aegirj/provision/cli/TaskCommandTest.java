package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TaskCommandTest {
  private static final String KNOWN_TASKS =
      "verify, install, delete, enable, disable, backup, backup-delete, restore, deploy, migrate, clone, login-reset, import-site";

  @TempDir
  Path home;

  private Cli cli;

  @BeforeEach
  void setUp() {
    cli = new Cli(home);
  }

  private String path(String relative) {
    return home.toAbsolutePath().normalize().resolve(relative).toString();
  }

  @Test
  void verifyCreatesTheMastersLayoutWithAegirsModes() {
    Cli.Outcome o = cli.run("verify", "@server_master");
    assertThat(o.exit()).as("verify succeeds (stderr: %s)", o.err()).isZero();
    assertThat(home.resolve("config/server_master")).as("the master's config_path").isDirectory();
    assertThat(cli.mode("config/server_master")).as("config_path mode 0711").isEqualTo("rwx--x--x");
    assertThat(cli.mode("config")).as("the config directory, mode 0711").isEqualTo("rwx--x--x");
    assertThat(home.resolve("backups")).as("the master's backups").isDirectory();
    assertThat(cli.mode("backups")).as("backups mode 0700").isEqualTo("rwx------");

    List<String> lines = o.out().lines().toList();
    assertThat(lines.get(0)).as("the first step's line: status, name, duration")
        .matches("  changed +server: create config directories on @server_master \\(\\d+ ms\\)");
    assertThat(lines).as("the paths it changed, indented under it")
        .contains("      " + path("config/server_master"), "      " + path("backups"));
    assertThat(lines).as("a skipped step shows its reason")
        .anySatisfy(l -> assertThat(l).as("skip reason line").startsWith("      (no http service type selected"));
    assertThat(lines.get(lines.size() - 1)).as("the summary line comes last")
        .matches("verify @server_master: succeeded \\(4 steps, \\d+ changes, 0 reloads, \\d+ ms\\)");
    assertThat(o.err()).as("no progress on stderr: it is not a terminal and --verbose was not given")
        .isEmpty();
  }

  @Test
  void aSecondVerifyChangesNothing() {
    cli.ok("verify", "@server_master");
    Map<String, String> before = cli.tree();
    String again = cli.ok("verify", "@server_master");
    assertThat(again.strip().lines().reduce((a, b) -> b).orElseThrow()).as("the summary")
        .startsWith("verify @server_master: succeeded (4 steps, 0 changes, 0 reloads, ");
    assertThat(again).as("no step changed anything").doesNotContain("  changed ").contains("  unchanged ");
    assertThat(cli.tree()).as("the home is as the first verify left it").isEqualTo(before);

    JsonNode report = cli.run("verify", "@server_master", "--json").json().get("report");
    assertThat(report.get("changed_paths").size()).as("a third verify: no changed paths").isZero();
    for (JsonNode step : report.get("steps")) {
      assertThat(step.get("status").asText()).as("step %s", step.get("name"))
          .isIn("unchanged", "skipped");
    }
  }

  @Test
  void aegirsWordOrderAndDrushNameWork() {
    Cli.Outcome aegir = cli.run("@server_master", "verify");
    assertThat(aegir.exit()).as("'@server_master verify' (stderr: %s)", aegir.err()).isZero();
    assertThat(aegir.out()).as("the report").contains("verify @server_master: succeeded");
    assertThat(home.resolve("config/server_master")).as("it verified").isDirectory();

    Cli.Outcome drush = cli.run("provision-verify", "@server_master", "--json");
    assertThat(drush.exit()).as("'provision-verify @server_master' (stderr: %s)", drush.err()).isZero();
    assertThat(drush.json().get("command").asText()).as("reported under the task's id").isEqualTo("verify");

    Cli.Outcome both = Cli.raw("--home", home.toString(), "@server_master", "provision-verify");
    assertThat(both.exit()).as("'@server_master provision-verify' (stderr: %s)", both.err()).isZero();
    assertThat(both.out()).as("the report").contains("verify @server_master: succeeded");
  }

  @Test
  void verifyJsonIsOneObjectWithTheReport() {
    Cli.Outcome o = cli.run("verify", "@server_master", "--json");
    assertThat(o.exit()).as("exit status (stderr: %s)", o.err()).isZero();
    JsonNode json = o.json();
    assertThat(fieldNames(json)).as("the top-level fields, in order")
        .containsExactly("ok", "command", "report", "exit_code");
    assertThat(json.get("ok").asBoolean()).as("ok").isTrue();
    assertThat(json.get("command").asText()).as("command").isEqualTo("verify");
    assertThat(json.get("exit_code").asInt()).as("exit_code").isZero();
    JsonNode report = json.get("report");
    assertThat(fieldNames(report)).as("the report's fields, in order").containsExactly("task", "context",
        "status", "steps", "reloads", "warnings", "results", "changed_paths", "duration_ms", "failure");
    assertThat(report.get("task").asText()).as("task").isEqualTo("verify");
    assertThat(report.get("context").asText()).as("context").isEqualTo("@server_master");
    assertThat(report.get("status").asText()).as("status").isEqualTo("succeeded");
    assertThat(report.get("failure").isNull()).as("no failure").isTrue();
    assertThat(report.get("duration_ms").isIntegralNumber()).as("duration_ms is a number").isTrue();
    assertThat(report.get("reloads").isArray()).as("reloads is an array").isTrue();
    assertThat(report.get("warnings").isArray()).as("warnings is an array").isTrue();
    assertThat(texts(report.get("changed_paths"))).as("changed_paths")
        .contains(path("config/server_master"), path("backups"));
    JsonNode first = report.get("steps").get(0);
    assertThat(fieldNames(first)).as("a step's fields, in order")
        .containsExactly("name", "status", "duration_ms", "changes", "commands", "message");
    assertThat(first.get("name").asText()).as("the first step").isEqualTo(
        "server: create config directories on @server_master");
    assertThat(first.get("status").asText()).as("it changed things").isEqualTo("changed");
    assertThat(texts(first.get("changes"))).as("its changes").contains(path("config/server_master"));
    assertThat(first.get("commands").isArray()).as("commands is an array").isTrue();
    assertThat(first.get("message").isNull()).as("no message").isTrue();
    assertThat(report.get("steps").get(1).get("message").asText()).as("a skipped step's reason")
        .startsWith("no http service type selected");
    assertThat(o.err()).as("nothing on stderr").isEmpty();
  }

  @Test
  void stepProgressGoesToStderrWithVerboseOrOnATerminal() {
    Cli.Outcome verbose = cli.run("verify", "@server_master", "--verbose");
    assertThat(verbose.exit()).as("exit status (stderr: %s)", verbose.err()).isZero();
    assertThat(verbose.errLines()).as("one line per step on stderr").hasSize(4);
    assertThat(verbose.errLines().get(0)).as("a step line")
        .matches("@server_master \\[step 1/4\\] changed: server: create config directories on @server_master"
            + " \\(\\d+ ms\\)");
    assertThat(verbose.out()).as("stdout holds the report alone").doesNotContain("[step ")
        .contains("verify @server_master: succeeded");

    Cli.Outcome terminal = Cli.raw(true, "--home", home.toString(), "verify", "@server_master", "--json");
    assertThat(terminal.exit()).as("exit status (stderr: %s)", terminal.err()).isZero();
    assertThat(terminal.errLines()).as("on a terminal, step lines without --verbose").hasSize(4)
        .allSatisfy(l -> assertThat(l).as("a step line").startsWith("@server_master [step "));
    assertThat(terminal.json().get("report").get("status").asText()).as("stdout is still one JSON object")
        .isEqualTo("succeeded");
  }

  @ParameterizedTest
  @ValueSource(strings = {"frobnicate @server_master", "provision-frobnicate @server_master",
      "@server_master frobnicate", "plan @server_master frobnicate", "plan @server_master provision-frob"})
  void anUnknownTaskIsRefusedListingTheKnownOnes(String commandLine) {
    cli.ok("show", "@server_master"); // creates the implicit master (on first use)
    Map<String, String> before = cli.tree();
    Cli.Outcome o = cli.run(commandLine.split(" "));
    assertThat(o.exit()).as("exit status of %s", commandLine).isEqualTo(2);
    assertThat(o.out()).as("nothing on stdout").isEmpty();
    assertThat(o.errLines()).as("one error line").hasSize(1);
    assertThat(o.err()).as("the message lists the known tasks").startsWith("provision: error: ")
        .contains("frob", KNOWN_TASKS);
    assertThat(cli.tree()).as("nothing changed").isEqualTo(before);
  }

  @ParameterizedTest
  @ValueSource(strings = {"install", "provision-install", "delete", "backup", "clone"})
  void aTaskThatDoesNotApplyIsRefused(String task) {
    cli.ok("show", "@server_master"); // creates the implicit master (on first use)
    Map<String, String> before = cli.tree();
    Cli.Outcome o = cli.run(task, "@server_master");
    assertThat(o.exit()).as("exit status of %s @server_master (stderr: %s)", task, o.err()).isEqualTo(2);
    assertThat(o.errLines()).as("one error line").hasSize(1);
    assertThat(o.err()).as("names the context, the task and the type")
        .contains("@server_master", task.replace("provision-", ""), "server");
    assertThat(o.out()).as("nothing on stdout").isEmpty();
    assertThat(cli.tree()).as("nothing changed").isEqualTo(before);
    assertThat(home.resolve("config")).as("no config directory").doesNotExist();

    JsonNode json = cli.run(task, "@server_master", "--json").json();
    assertThat(json.get("exit_code").asInt()).as("exit_code").isEqualTo(2);
    assertThat(json.get("command").asText()).as("command").isEqualTo(task.replace("provision-", ""));
    assertThat(json.get("error").get("type").asText()).as("error type").isEqualTo("invalid_context");
    assertThat(json.get("error").get("context").asText()).as("error context").isEqualTo("@server_master");
  }

  @Test
  void deleteRemovesTheSiteAndThePlatformContextsOnceNothingReferencesThem() throws IOException {
    Path root = home.resolve("platforms/p1");
    Files.createDirectories(root.resolve("core/lib"));
    Files.writeString(root.resolve("core/lib/Drupal.php"), "<?php class Drupal { const VERSION = '10.3.0'; }\n");
    cli.ok("save", "@platform_p1", "--context_type=platform", "--root=" + root);
    cli.ok("save", "@site.example.com", "--context_type=site", "--platform=@platform_p1");
    cli.ok("verify", "@site.example.com");
    assertThat(root.resolve("sites/site.example.com")).as("verify made the site directory").isDirectory();

    JsonNode inUse = cli.run("delete", "@platform_p1", "--json").json();
    assertThat(inUse.get("exit_code").asInt()).as("a platform with a site is refused").isEqualTo(2);
    assertThat(inUse.get("error").get("type").asText()).as("error type").isEqualTo("context_in_use");
    assertThat(cli.run("show", "@platform_p1").exit()).as("the platform is kept").isZero();

    Cli.Outcome site = cli.run("delete", "@site.example.com");
    assertThat(site.exit()).as("delete @site succeeds (stderr: %s)", site.err()).isZero();
    assertThat(root.resolve("sites/site.example.com")).as("the site directory is removed").doesNotExist();
    assertThat(cli.run("show", "@site.example.com", "--json").json().get("error").get("type").asText())
        .as("the site's context is removed too").isEqualTo("context_not_found");

    Cli.Outcome platform = cli.run("@platform_p1", "delete");
    assertThat(platform.exit()).as("delete @platform succeeds (stderr: %s)", platform.err()).isZero();
    assertThat(cli.run("show", "@platform_p1").exit()).as("the platform's context is removed").isEqualTo(2);
    assertThat(root.resolve("core/lib/Drupal.php")).as("the code base itself stays").exists();
  }

  @Test
  void anUnknownContextIsRefused() {
    Cli.Outcome o = cli.run("verify", "@nope");
    assertThat(o.exit()).as("exit status").isEqualTo(2);
    assertThat(o.err()).as("names the context").contains("@nope");
    JsonNode error = cli.run("@nope", "verify", "--json").json().get("error");
    assertThat(error.get("type").asText()).as("error type").isEqualTo("context_not_found");
    assertThat(error.get("context").asText()).as("error context").isEqualTo("@nope");
  }

  @Test
  void malformedTaskCommandLinesAreRefused() {
    Cli.Outcome noName = cli.run("verify");
    assertThat(noName.exit()).as("verify without a name").isEqualTo(2);
    assertThat(noName.err()).as("asks for the name").contains("@name");
    Cli.Outcome badOption = cli.run("verify", "@server_master", "--frob");
    assertThat(badOption.exit()).as("an unknown option").isEqualTo(2);
    assertThat(badOption.err()).as("names the option").contains("--frob");
    assertThat(home.resolve("config")).as("nothing was verified").doesNotExist();
  }

  @Test
  void aFailedTaskExitsWithOneAndPrintsItsReport() throws IOException {
    cli.ok("show", "@server_master"); // creates the implicit master (on first use)
    Files.writeString(home.resolve("config"), "in the way");
    Cli.Outcome o = cli.run("verify", "@server_master");
    assertThat(o.exit()).as("a failed task exits with 1").isEqualTo(1);
    assertThat(o.out()).as("the report is printed on stdout")
        .containsPattern("  failed +server: create config directories on @server_master")
        .contains("a file is in the way", "  not_run ", "verify @server_master: failed (4 steps");
    assertThat(o.errLines()).as("one error line on stderr").hasSize(1);
    assertThat(o.errLines().get(0)).as("the error line is the report's summary")
        .startsWith("provision: error: verify @server_master: failed (").contains("rolled back");
    assertThat(Files.readString(home.resolve("config"))).as("the file in the way is untouched")
        .isEqualTo("in the way");

    Cli.Outcome json = cli.run("verify", "@server_master", "--json");
    assertThat(json.exit()).as("exit status with --json").isEqualTo(1);
    JsonNode node = json.json();
    assertThat(node.get("ok").asBoolean()).as("ok").isFalse();
    assertThat(node.get("command").asText()).as("command").isEqualTo("verify");
    assertThat(node.get("exit_code").asInt()).as("exit_code").isEqualTo(1);
    JsonNode error = node.get("error");
    assertThat(error.get("type").asText()).as("error type").isEqualTo("task_failed");
    assertThat(error.get("message").asText()).as("error message").startsWith("verify @server_master: failed");
    JsonNode report = error.get("report");
    assertThat(report).as("the error carries the report").isNotNull();
    assertThat(report.get("status").asText()).as("report status").isEqualTo("failed");
    assertThat(report.get("failure").asText()).as("report failure").contains("a file is in the way");
    assertThat(texts(report.get("steps"), "status")).as("step statuses")
        .containsExactly("failed", "not_run", "not_run", "not_run");
    assertThat(json.errLines()).as("the error line is on stderr as well").hasSize(1);
  }

  @Test
  void taskHelpShowsBothWordOrders() {
    assertThat(cli.ok("verify", "--help")).as("verify's help")
        .contains("Usage: provision verify @name [@name...]", "provision @name verify", "plan");
    assertThat(cli.ok("@server_master", "install", "--help")).as("install's help in Aegir's order")
        .contains("Usage: provision install @name").doesNotContain("Usage: Usage:");
    assertThat(cli.ok("--help")).as("the top-level help lists the tasks and plan")
        .contains("verify, provision-verify", "clone, provision-clone", "plan ");
  }

  static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  static List<String> texts(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }

  static List<String> texts(JsonNode array, String field) {
    return StreamSupport.stream(array.spliterator(), false).map(n -> n.get(field).asText()).toList();
  }

  @Test
  void siteOperationsThatTakeArgumentsCheckThemBeforeAnythingChanges() {
    assertThat(cli.run("save", "@platform_a", "--context_type=platform", "--root=/srv/a").exit())
        .as("platform saved").isZero();
    assertThat(cli.run("save", "@a.example.com", "--context_type=site", "--platform=@platform_a").exit())
        .as("site saved").isZero();
    Cli.Outcome migrate = cli.run("migrate", "@a.example.com", "@platform_a");
    assertThat(migrate.exit()).as("migrating a site that is not installed is refused: %s", migrate.err()).isEqualTo(2);
    assertThat(migrate.err()).as("and says why").contains("not installed");
    Cli.Outcome clone = cli.run("clone", "@a.example.com");
    assertThat(clone.exit()).as("clone needs the new name").isEqualTo(2);
    assertThat(clone.err()).as("the usage line").contains("clone @site @new_site");
  }
}
