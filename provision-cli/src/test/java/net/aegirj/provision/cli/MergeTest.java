package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergeTest {
  @TempDir
  Path home;

  private Cli cli;

  @BeforeEach
  void setUp() {
    cli = new Cli(home);
    cli.fixture();
  }

  private JsonNode properties(String name) {
    return cli.run("show", name, "--json").json().get("context").get("properties");
  }

  @Test
  void aSecondSaveChangesOnlyTheGivenProperty() {
    JsonNode saved = cli.run("save", "@example.com", "--language=de", "--json").json().get("context");
    assertThat(saved.get("version").asLong()).as("the version grows").isEqualTo(2);
    assertThat(saved.get("previous_version").asLong()).as("previous version").isEqualTo(1);
    assertThat(saved.get("changed").asBoolean()).as("changed").isTrue();
    assertThat(saved.get("created").asBoolean()).as("not created").isFalse();

    JsonNode props = properties("@example.com");
    assertThat(props.get("language").get("value").asText()).as("the changed property").isEqualTo("de");
    assertThat(props.get("language").get("source").asText()).as("now set").isEqualTo("set");
    assertThat(props.get("platform").get("value").asText()).as("platform is kept").isEqualTo("@platform_x");
    assertThat(props.get("aliases").get("value").toString()).as("aliases are kept").isEqualTo("[\"a.com\",\"b.com\"]");
  }

  @Test
  void nullResetsAProperty() {
    JsonNode saved = cli.run("save", "@example.com", "--aliases=null", "--json").json().get("context");
    assertThat(saved.get("changed").asBoolean()).as("a reset is a change").isTrue();
    assertThat(saved.get("properties").has("aliases")).as("aliases are no longer stored").isFalse();

    JsonNode props = properties("@example.com");
    assertThat(props.get("aliases").get("value").isNull()).as("aliases have no value").isTrue();
    assertThat(props.get("aliases").get("source").asText()).as("aliases are back to the default").isEqualTo("default");
    assertThat(props.get("platform").get("value").asText()).as("platform is kept").isEqualTo("@platform_x");
    assertThat(cli.ok("show", "@example.com")).as("the text output leaves out a property without value")
        .doesNotContain("aliases");
  }

  @Test
  void savingTheSameValuesKeepsTheVersion() {
    Cli.Outcome again = cli.run("save", "@example.com", "--platform=@platform_x", "--aliases=a.com,b.com", "--json");
    assertThat(again.exit()).as("exit status (stderr: %s)", again.err()).isZero();
    JsonNode c = again.json().get("context");
    assertThat(c.get("version").asLong()).as("the version is kept").isEqualTo(1);
    assertThat(c.get("previous_version").asLong()).as("previous version").isEqualTo(1);
    assertThat(c.get("changed").asBoolean()).as("nothing changed").isFalse();
    assertThat(cli.ok("save", "@example.com", "--aliases=a.com,b.com")).as("the text says so")
        .startsWith("@example.com: site unchanged, version 1\n");
    assertThat(cli.ok("save", "@example.com")).as("a save without properties changes nothing")
        .startsWith("@example.com: site unchanged, version 1\n");
  }

  @Test
  void valuesMayFollowAfterASpace() {
    cli.ok("save", "@example.com", "--language", "fr", "--aliases", "c.com");
    JsonNode props = properties("@example.com");
    assertThat(props.get("language").get("value").asText()).as("--language fr").isEqualTo("fr");
    assertThat(props.get("aliases").get("value").toString()).as("--aliases c.com").isEqualTo("[\"c.com\"]");
  }

  @Test
  void aRepeatedPropertyTakesTheLastValue() {
    cli.ok("save", "@example.com", "--language=de", "--language=fr");
    assertThat(properties("@example.com").get("language").get("value").asText()).as("the last one wins")
        .isEqualTo("fr");
  }
}
