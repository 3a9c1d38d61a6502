package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import net.aegirj.provision.api.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --version}, {@code help <command>} and each task's own options, as a user asks for them. */
class HelpAndVersionTest {
  @TempDir Path home;

  @Test
  void versionNamesThisBuildAndTheJvm() {
    Cli.Outcome text = Cli.raw("--version");
    assertThat(text.exit()).as("--version succeeds").isZero();
    assertThat(text.out()).as("the version from the POM, not a placeholder").startsWith("provision 0.")
        .doesNotContain("${").doesNotContain("unknown").contains("Java 17");
    Cli.Outcome json = Cli.raw("--version", "--json");
    assertThat(json.exit()).as("--version --json succeeds").isZero();
    assertThat(json.json().get("version").asText()).as("the same version as JSON")
        .isEqualTo(text.out().split(" ")[1]);
  }

  @Test
  void helpCommandIsTheCommandsOwnHelp() {
    for (String command : new String[] {"save", "plan", "install", "migrate", "backup-delete"}) {
      Cli.Outcome viaHelp = Cli.raw("help", command);
      Cli.Outcome viaOption = Cli.raw(command, "--help");
      assertThat(viaHelp.exit()).as("help %s succeeds", command).isZero();
      assertThat(viaHelp.out()).as("'help %s' prints what '%s --help' prints", command, command)
          .isEqualTo(viaOption.out());
    }
    assertThat(Cli.raw("help").out()).as("'help' alone is the whole command line's help")
        .isEqualTo(Cli.raw("--help").out()).contains("--version");
    Cli.Outcome unknown = Cli.raw("help", "frobnicate");
    assertThat(unknown.exit()).as("help on an unknown command is bad input").isEqualTo(2);
    assertThat(unknown.err()).as("naming the commands there are").contains("unknown command").contains("verify");
  }

  @Test
  void eachTaskShowsAndTakesOnlyItsOwnOptions() {
    assertThat(Cli.raw("install", "--help").out()).as("install has none of the other tasks' options")
        .doesNotContain("--new_db_server", "--new_uri", "--backup", "--override_slave_authority");
    assertThat(Cli.raw("migrate", "--help").out()).as("migrate shows its own options")
        .contains("--new_db_server", "--new_uri").doesNotContain("--backup", "--override_slave_authority");
    assertThat(Cli.raw("clone", "--help").out()).as("clone takes a new db server, not a new uri")
        .contains("--new_db_server", "@new_name").doesNotContain("--new_uri");
    assertThat(Cli.raw("delete", "--help").out()).as("delete takes --backup").contains("--backup")
        .doesNotContain("--new_db_server");
    assertThat(Cli.raw("restore", "--help").out()).as("restore's synopsis names its archive")
        .contains("provision restore @name FILE");
    Cli.Outcome wrong = new Cli(home).run("verify", "@server_master", "--backup");
    assertThat(wrong.exit()).as("an option of another task is refused as bad input").isEqualTo(2);
    assertThat(wrong.err()).as("and the error points at the task's help").contains("--backup")
        .contains("provision verify --help");
  }

  @Test
  void planHelpListsEveryTask() {
    String help = Cli.raw("plan", "--help").out();
    for (Task t : Task.values()) {
      assertThat(help).as("plan's help names the task %s", t.id()).contains(t.id());
    }
  }
}
