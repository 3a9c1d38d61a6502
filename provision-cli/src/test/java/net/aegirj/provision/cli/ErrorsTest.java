package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ErrorsTest {
  @TempDir
  Path home;

  private Cli cli;

  @BeforeEach
  void setUp() {
    cli = new Cli(home);
    cli.fixture();
  }

  /** Runs a command that must be refused with status 2, changing nothing, and returns stderr's one line. */
  private String refused(String... args) {
    Map<String, String> before = cli.snapshot();
    Cli.Outcome o = cli.run(args);
    assertThat(o.exit()).as("exit status of %s (stderr: %s)", List.of(args), o.err()).isEqualTo(2);
    assertThat(o.out()).as("nothing on stdout for %s", List.of(args)).isEmpty();
    assertThat(o.errLines()).as("one error line on stderr for %s", List.of(args)).hasSize(1);
    assertThat(o.errLines().get(0)).as("the error line's prefix").startsWith("provision: error: ");
    assertThat(cli.snapshot()).as("the repository is unchanged after %s", List.of(args)).isEqualTo(before);
    return o.errLines().get(0);
  }

  @Test
  void anUnknownPropertyIsRefusedNamingTheKnownOnes() {
    String line = refused("save", "@example.com", "--frob=1");
    assertThat(line).as("names the context, the property and the known properties")
        .contains("@example.com", "'frob'", "known properties", "context_type", "platform", "aliases");
  }

  static Stream<Arguments> hostileValues() {
    return Stream.of(
        Arguments.of("@example.com", "--aliases=a.com\nevil.com"),
        Arguments.of("@example.com", "--aliases=a.com;rm -rf /"),
        Arguments.of("@example.com", "--profile=$(touch /tmp/pwned)"),
        Arguments.of("@example.com", "--redirection=`id`.example.com"),
        Arguments.of("@example.com", "--client_name=../../etc"),
        Arguments.of("@example.com", "--language=en\n"),
        Arguments.of("@platform_x", "--root=/var/aegir/../../etc"),
        Arguments.of("@platform_x", "--makefile=/tmp/x;reboot"),
        Arguments.of("@server_web", "--remote_host=$(reboot)"),
        Arguments.of("@server_web", "--ssh_identity=../id_rsa"));
  }

  @ParameterizedTest
  @MethodSource("hostileValues")
  void hostileValuesAreRefusedAndNothingChanges(String name, String option) {
    String line = refused("save", name, option);
    assertThat(line).as("names the context").contains(name);
    String property = option.substring(2, option.indexOf('='));
    assertThat(line).as("names the property").contains("'" + property + "'");
    assertThat(line).as("control characters are escaped").doesNotContain("\r");
  }

  @Test
  void hostileNamesAreRefused() {
    assertThat(refused("save", "@../etc", "--context_type=server")).as("a name with ..").contains("invalid context name");
    assertThat(refused("save", "@a\nb", "--context_type=server")).as("a newline is shown escaped").contains("\\n");
    assertThat(refused("save", "@example.com", "--fo\no=1")).as("a hostile property name is escaped").contains("\\n");
  }

  @Test
  void aNewContextNeedsAContextType() {
    String line = refused("save", "@new.example.com", "--platform=@platform_x");
    assertThat(line).as("asks for context_type").contains("@new.example.com", "context_type");
    assertThat(cli.ok("list")).as("nothing was created").doesNotContain("@new.example.com");
  }

  @Test
  void aReferenceToAMissingPlatformIsRefused() {
    String line = refused("save", "@other.example.com", "--context_type=site", "--platform=@platform_missing");
    assertThat(line).as("names the site, the property and the missing platform")
        .contains("@other.example.com", "'platform'", "@platform_missing");
    assertThat(cli.ok("list")).as("nothing was created").doesNotContain("@other.example.com");
  }

  @Test
  void aReferencedPlatformCannotBeDeleted() {
    String line = refused("save", "@platform_x", "--delete");
    assertThat(line).as("names the platform and the referring site").contains("@platform_x", "@example.com");
    assertThat(cli.ok("list", "--type=platform")).as("the platform is still there").contains("@platform_x");
  }

  @Test
  void showingAMissingContextIsRefused() {
    assertThat(refused("show", "@missing.example.com")).as("names the context").contains("@missing.example.com");
    assertThat(refused("save", "@missing.example.com", "--delete")).as("delete too").contains("@missing.example.com");
  }

  @Test
  void malformedCommandLinesAreRefused() {
    assertThat(refused("frobnicate")).as("unknown command").contains("unknown command 'frobnicate'");
    assertThat(refused("show", "@example.com", "--frob")).as("unknown option").contains("--frob");
    assertThat(refused("show")).as("missing name").contains("@name");
    assertThat(refused("save")).as("save without name").contains("missing context name");
    assertThat(refused("save", "@example.com", "--aliases")).as("option without value").contains("--aliases=VALUE");
    assertThat(refused("save", "@example.com", "stray")).as("stray argument").contains("'stray'");
    assertThat(refused("save", "@example.com", "--delete", "--aliases=null")).as("delete with properties").contains("--delete");
    assertThat(refused("list", "--type=bogus")).as("unknown type").contains("'bogus'", "server, platform, site");
    assertThat(refused("@example.com")).as("Aegir order without a command").contains("missing command");
    assertThat(refused("save", "@example.com", "--context_type=platform")).as("changing the type")
        .contains("context_type");
  }

  @Test
  void noGlobalArgumentsAtAllIsRefused() {
    Cli.Outcome o = Cli.raw();
    assertThat(o.exit()).as("exit status").isEqualTo(2);
    assertThat(o.errLines()).as("one line").hasSize(1);
    Cli.Outcome h = Cli.raw("--home");
    assertThat(h.exit()).as("--home without a value").isEqualTo(2);
    assertThat(h.err()).as("says what --home needs").contains("--home");
  }

  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of(List.of("save", "@example.com", "--frob=1"), 2, "invalid_context", "save"),
        Arguments.of(List.of("save", "@example.com", "--aliases=a.com;rm"), 2, "invalid_context", "save"),
        Arguments.of(List.of("save", "@new.example.com", "--platform=@platform_x"), 2, "invalid_context", "save"),
        Arguments.of(List.of("save", "@other.example.com", "--context_type=site", "--platform=@nope"), 2,
            "invalid_context", "save"),
        Arguments.of(List.of("save", "@platform_x", "--delete"), 2, "context_in_use", "save"),
        Arguments.of(List.of("show", "@missing.example.com"), 2, "context_not_found", "show"),
        Arguments.of(List.of("show"), 2, "usage", "show"),
        Arguments.of(List.of("frobnicate"), 2, "usage", null),
        Arguments.of(List.of("list", "--type=bogus"), 2, "usage", "list"),
        Arguments.of(List.of("list", "--frob"), 2, "usage", "list"));
  }

  @ParameterizedTest
  @MethodSource("failures")
  void withJsonErrorsAreOneJsonObject(List<String> args, int exit, String type, String command) {
    List<String> all = new ArrayList<>(args);
    all.add("--json");
    Cli.Outcome o = cli.run(all.toArray(String[]::new));
    assertThat(o.exit()).as("exit status of %s", all).isEqualTo(exit);
    JsonNode json = o.json();
    assertThat(json.get("ok").asBoolean()).as("ok").isFalse();
    assertThat(json.get("exit_code").asInt()).as("exit_code equals the exit status").isEqualTo(exit);
    assertThat(json.get("error").get("type").asText()).as("error type").isEqualTo(type);
    assertThat(json.get("error").get("message").asText()).as("a message").isNotBlank();
    assertThat(json.has("command")).as("command is always present").isTrue();
    assertThat(json.get("command").isNull() ? null : json.get("command").asText()).as("command").isEqualTo(command);
    assertThat(o.errLines()).as("the error line is on stderr as well").hasSize(1);
  }

  @Test
  void jsonErrorsCarryTheContextAndProperty() {
    JsonNode unknown = cli.run("save", "@example.com", "--frob=1", "--json").json().get("error");
    assertThat(unknown.get("context").asText()).as("context").isEqualTo("@example.com");
    assertThat(unknown.get("property").asText()).as("property").isEqualTo("frob");

    JsonNode inUse = cli.run("--json", "save", "@platform_x", "--delete").json().get("error");
    assertThat(inUse.get("context").asText()).as("context").isEqualTo("@platform_x");
    assertThat(inUse.get("referrers").toString()).as("referrers").isEqualTo("[\"@example.com\"]");

    JsonNode missing = cli.run("show", "@nope", "--json").json().get("error");
    assertThat(missing.get("context").asText()).as("context").isEqualTo("@nope");
  }

  @Test
  void aFailedOperationExitsWithOne(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
    Cli.Outcome o = Cli.raw("list", "--home", file.toString());
    assertThat(o.exit()).as("a home that cannot be opened is a failure, not bad input (stderr: %s)", o.err())
        .isEqualTo(1);
    assertThat(o.errLines()).as("one error line").hasSize(1);

    Cli.Outcome json = Cli.raw("list", "--home", file.toString(), "--json");
    assertThat(json.exit()).as("exit status with --json").isEqualTo(1);
    assertThat(json.json().get("error").get("type").asText()).as("error type").isEqualTo("failed");
    assertThat(json.json().get("exit_code").asInt()).as("exit_code").isEqualTo(1);
  }

  @Test
  void stackTracesOnlyWithDebug() {
    Cli.Outcome plain = cli.run("show", "@nope");
    assertThat(plain.err()).as("no stack trace").doesNotContain("\tat ");
    Cli.Outcome debug = cli.run("show", "@nope", "--debug");
    assertThat(debug.exit()).as("same exit status with --debug").isEqualTo(2);
    assertThat(debug.err()).as("the stack trace follows the error line")
        .startsWith("provision: error: ").contains("ContextNotFoundException", "\tat ");
  }
}
