package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, finding 9, through the command line: with one context file damaged, {@code list}
 * shows it as an error entry (in {@code --json} too) among the others, and the save and
 * {@code save --delete} of other contexts work; what needs the damaged context fails naming it.
 */
class DamagedContextCliTest {
  @TempDir Path home;

  @Test
  void listReportsTheDamagedContextAndOtherWorkGoesOn() throws Exception {
    Cli cli = new Cli(home);
    cli.fixture();
    cli.ok("save", "@broken.example.com", "--context_type=site", "--platform=@platform_x");
    Path broken = home.resolve("contexts/broken.example.com.json");
    Files.writeString(broken, "{\"version\": 2, \"cont");

    Cli.Outcome list = cli.run("list");
    assertThat(list.exit()).as("list succeeds (stderr: %s)", list.err()).isZero();
    assertThat(list.out().lines().toList()).as("the others, and the damaged one as an error entry, by name")
        .hasSize(5)
        .anySatisfy(l -> assertThat(l).startsWith("@broken.example.com").contains("error: context file " + broken))
        .anySatisfy(l -> assertThat(l).startsWith("@example.com").endsWith("site"))
        .anySatisfy(l -> assertThat(l).startsWith("@platform_x").endsWith("platform"));

    JsonNode json = cli.run("list", "--json").json();
    JsonNode entries = json.get("contexts");
    assertThat(entries.size()).as("--json: five entries").isEqualTo(5);
    JsonNode bad = entries.get(0);
    assertThat(bad.get("name").asText()).as("--json: the damaged entry, first by name").isEqualTo("@broken.example.com");
    assertThat(bad.get("context_type").isNull()).as("--json: its type is not known").isTrue();
    assertThat(bad.get("file").asText()).as("--json: its file").isEqualTo(broken.toString());
    assertThat(bad.get("error").asText()).as("--json: what is wrong").contains("is not valid");
    assertThat(entries.get(1).get("context_type").asText()).as("--json: the others as before").isEqualTo("site");
    assertThat(cli.run("list", "--type=platform", "--json").json().get("contexts").size())
        .as("--type: the platform and the damaged entry, whose type is unknown").isEqualTo(2);

    assertThat(cli.ok("save", "@new.example.com", "--context_type=site", "--platform=@platform_x"))
        .as("another site is saved").startsWith("@new.example.com: created site");
    assertThat(cli.ok("save", "@example.com", "--delete")).as("another site is deleted")
        .startsWith("@example.com: deleted site");
    Cli.Outcome shown = cli.run("show", "@broken.example.com");
    assertThat(shown.exit()).as("what needs the damaged context fails").isEqualTo(Main.FAILED);
    assertThat(shown.err()).as("naming its file and the fix").contains(broken.toString()).contains("repair or remove it");
  }
}
