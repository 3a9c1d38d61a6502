package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, finding 10: {@code save @site --delete} of an installed site used to forget it
 * silently, leaving its database, directory and vhost serving, unmanaged. It is refused now,
 * naming {@code provision delete}; {@code --forget} forgets it deliberately.
 */
class SaveDeleteInstalledTest {
  @TempDir
  Path home;

  private Cli cli;

  @BeforeEach
  void setUp() {
    cli = new Cli(home);
    cli.fixture();
    cli.ok("save", "@example.com", "--installed=1");
  }

  @Test
  void deleteOfAnInstalledSiteIsRefusedNamingProvisionDeleteAndChangesNothing() {
    var before = cli.snapshot();
    Cli.Outcome refused = cli.run("save", "@example.com", "--delete");
    assertThat(refused.exit()).as("refused input: exit 2").isEqualTo(Main.BAD_INPUT);
    assertThat(refused.err()).as("the message names the task that removes the site, and the deliberate flag")
        .contains("@example.com").contains("installed").contains("'provision delete @example.com'")
        .contains("--delete --forget");
    assertThat(cli.snapshot()).as("the context is still stored, unchanged").isEqualTo(before);

    JsonNode json = cli.run("save", "@example.com", "--delete", "--json").json();
    assertThat(json.get("error").get("type").asText()).as("--json: an invalid_context error")
        .isEqualTo("invalid_context");
    assertThat(json.get("exit_code").asInt()).as("--json: exit 2").isEqualTo(2);
  }

  @Test
  void forgetDeletesTheContextOfAnInstalledSiteAndSaysItIsLeftRunning() {
    String out = cli.ok("save", "@example.com", "--delete", "--forget");
    assertThat(out).as("the line says the site is left in place").startsWith("@example.com: deleted site")
        .contains("left in place");
    assertThat(cli.run("show", "@example.com").exit()).as("the context is gone").isEqualTo(Main.BAD_INPUT);
  }

  @Test
  void aSiteNotInstalledIsDeletedAsBeforeAndForgetAloneIsAUsageError() {
    cli.ok("save", "@example.com", "--installed=0");
    Cli.Outcome lonely = cli.run("save", "@example.com", "--forget");
    assertThat(lonely.exit()).as("--forget without --delete is refused").isEqualTo(Main.BAD_INPUT);
    assertThat(lonely.err()).as("and says what goes with it").contains("--forget goes with --delete");
    JsonNode deleted = cli.run("save", "@example.com", "--delete", "--json").json();
    assertThat(deleted.get("context").get("deleted").asBoolean()).as("a site not installed is deleted").isTrue();
    assertThat(deleted.get("context").get("left_running").asBoolean()).as("nothing was left running").isFalse();
  }
}
