package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code provision save --from=FILE|-}: many contexts in one process, JSON lines, with the merge
 * rules and exit codes of {@code save @name}, a result per line, and nothing saved from an input
 * with a malformed line.
 */
class SaveFromTest {
  private static final String SECRET = "Hunter2-sekrit-0451";
  private static final String SPECIAL = "{}[]\",:\\\n\r\u0000 ";

  @TempDir Path tmp;
  private Cli cli;

  @BeforeEach
  void setUp() throws IOException {
    cli = new Cli(Files.createDirectories(tmp.resolve("home")));
    cli.fixture();
  }

  private JsonNode props(String name) {
    return Cli.singleJsonObject(cli.ok("show", name, "--json", "--show-secrets")).path("context").path("properties");
  }

  @Test
  void savesMergesAndDeletesLineByLine() {
    String input = String.join("\n",
        "{\"name\": \"@new1.example.com\", \"properties\": {\"context_type\": \"site\", \"platform\": \"@platform_x\","
            + " \"aliases\": [\"www.new1.example.com\", \"new1.example.net\"], \"cron_key\": \"" + SECRET + "\"}}",
        "",
        "{\"name\": \"@example.com\", \"properties\": {\"aliases\": null, \"language\": \"de\"}}",
        "{\"name\": \"@server_web\", \"properties\": {\"ssh_port\": 2222}}",
        "{\"name\": \"@platform_gone\", \"properties\": {\"context_type\": \"platform\", \"root\": \"/var/aegir/platforms/g\"}}",
        "");
    Cli.Outcome o = cli.runWithInput(input, "save", "--from=-", "--json");
    assertThat(o.exit()).as("every line saved (stderr: %s)", o.err()).isZero();
    JsonNode json = o.json();
    assertThat(json.path("saved").asInt()).as("four contexts saved").isEqualTo(4);
    assertThat(json.path("contexts")).as("a result per line, in order").hasSize(4);
    assertThat(json.path("contexts").get(0).path("created").asBoolean()).as("the first is new").isTrue();
    assertThat(json.path("contexts").get(1).path("line").asInt()).as("results name their line").isEqualTo(3);
    assertThat(o.out()).as("no secret in the output").doesNotContain(SECRET);

    assertThat(props("@new1.example.com").path("aliases").path("value").toString()).as("a list from an array")
        .isEqualTo("[\"www.new1.example.com\",\"new1.example.net\"]");
    assertThat(props("@new1.example.com").path("cron_key").path("value").asText()).as("the secret is stored")
        .isEqualTo(SECRET);
    assertThat(props("@example.com").path("aliases").path("value").isNull()).as("null resets").isTrue();
    assertThat(props("@example.com").path("platform").path("value").asText()).as("the rest is merged, kept")
        .isEqualTo("@platform_x");
    assertThat(props("@server_web").path("ssh_port").path("value").asInt()).as("a number as its text")
        .isEqualTo(2222);

    Cli.Outcome again = cli.runWithInput("{\"name\": \"@platform_gone\", \"delete\": true}\n", "save", "--from=-");
    assertThat(again.exit()).as("a line deletes (stderr: %s)", again.err()).isZero();
    assertThat(cli.run("show", "@platform_gone").exit()).as("the context is gone").isEqualTo(Main.BAD_INPUT);
  }

  @Test
  void aRefusedContextDoesNotStopTheOthersAndExitsTwo() {
    String input = "{\"name\": \"@ok.example.com\", \"properties\": {\"context_type\": \"site\", \"platform\": \"@platform_x\"}}\n"
        + "{\"name\": \"@bad.example.com\", \"properties\": {\"context_type\": \"site\", \"platform\": \"@nowhere\"}}\n"
        + "{\"name\": \"@platform_x\", \"delete\": true}\n";
    Cli.Outcome o = cli.runWithInput(input, "save", "--from=-", "--json");
    assertThat(o.exit()).as("only refusals: exit 2").isEqualTo(Main.BAD_INPUT);
    JsonNode json = o.json();
    assertThat(json.path("ok").asBoolean()).as("not ok").isFalse();
    assertThat(json.path("saved").asInt()).as("the good line is saved").isEqualTo(1);
    assertThat(json.path("refused").asInt()).as("two refused").isEqualTo(2);
    assertThat(json.path("contexts").get(1).path("error").path("message").asText())
        .as("the refusal says why").contains("@nowhere");
    assertThat(json.path("contexts").get(2).path("error").path("message").asText())
        .as("a platform in use is not deleted").isNotEmpty();
    assertThat(json.path("error").path("message").asText()).as("the summary names the first refused line")
        .contains("2 of 3", "line 2");
    assertThat(cli.run("show", "@ok.example.com").exit()).as("the good one exists").isZero();
    assertThat(cli.run("show", "@bad.example.com").exit()).as("the bad one does not").isEqualTo(Main.BAD_INPUT);
  }

  @Test
  void aMalformedLineRefusesTheWholeInputWithoutShowingIt() {
    List<String> malformed = List.of(
        "{\"name\": \"@a.example.com\", \"properties\": {\"cron_key\": \"" + SECRET + "\"}",
        "{\"name\": \"@a.example.com\", \"properties\": {\"cron_key\": \"" + SECRET + "\", \"cron_key\": \"x\"}}",
        "{\"name\": \"@a.example.com\", \"properties\": {\"cron_key\": {\"nested\": \"" + SECRET + "\"}}}",
        "{\"name\": \"@a.example.com\", \"properties\": {\"aliases\": [\"" + SECRET + ",x\"]}}",
        "{\"name\": \"@a.example.com\", \"properties\": {}, \"delete\": true}",
        "{\"name\": \"@a.example.com\", \"props\": {}}",
        "{\"name\": \"a b\", \"properties\": {}}",
        "{\"name\": \"@a.example.com\", \"properties\": {\"Bad-Name\": \"" + SECRET + "\"}}",
        "[\"" + SECRET + "\"]",
        "{\"name\": \"@a.example.com\", \"properties\": {}} {\"x\": 1}",
        "{\"name\": \"@new9.example.com\", \"properties\": {\"context_type\": \"site\"}}\n"
            + "{\"name\": \"@NEW9.example.com\", \"properties\": {}}");
    for (String bad : malformed) {
      String input = "{\"name\": \"@first.example.com\", \"properties\": {\"context_type\": \"server\"}}\n" + bad + "\n";
      Cli.Outcome o = cli.runWithInput(input, "save", "--from=-");
      assertThat(o.exit()).as("refused: %s", bad).isEqualTo(Main.BAD_INPUT);
      assertThat(o.err()).as("naming the line: %s", bad).contains("line ");
      assertThat(o.err() + o.out()).as("never showing a value: %s", bad).doesNotContain(SECRET);
      assertThat(cli.run("show", "@first.example.com").exit()).as("nothing saved before a malformed line: %s", bad)
          .isEqualTo(Main.BAD_INPUT);
    }
    assertThat(cli.runWithInput("\n\n", "save", "--from=-").err()).as("an empty input").contains("no context");
    assertThat(cli.run("save", "@x.example.com", "--from=-").exit()).as("--from takes no @name")
        .isEqualTo(Main.BAD_INPUT);
  }

  /** Seeded random bytes and mangled lines: refused with exit 2 or saved, never a crash, never a secret shown. */
  @Test
  void hostileInputIsRefusedOrSavedNeverACrash() {
    long seed = Long.getLong("hostile.seed", 19L);
    Random r = new Random(seed);
    String good = "{\"name\": \"@h.example.com\", \"properties\": {\"context_type\": \"site\", \"platform\":"
        + " \"@platform_x\", \"cron_key\": \"" + SECRET + "\"}}";
    for (int i = 0; i < 300; i++) {
      byte[] b = good.getBytes(StandardCharsets.UTF_8);
      int edits = 1 + r.nextInt(4);
      for (int e = 0; e < edits; e++) {
        int at = r.nextInt(b.length);
        switch (r.nextInt(3)) {
          case 0 -> b[at] = (byte) r.nextInt(256);
          case 1 -> b[at] = (byte) SPECIAL.charAt(r.nextInt(SPECIAL.length()));
          default -> b[at] = (byte) ('a' + r.nextInt(26));
        }
      }
      Cli.Outcome o = cli.runWithInput(new StandardInput(new java.io.ByteArrayInputStream(b), false), "save",
          "--from=-");
      assertThat(o.exit()).as("seed %d, case %d: saved or refused, never an internal error (%s)", seed, i, o.err())
          .isIn(Main.OK, Main.BAD_INPUT);
      assertThat(o.err()).as("seed %d, case %d: no stack trace", seed, i).doesNotContain("Exception");
      if (o.exit() == Main.BAD_INPUT) {
        assertThat(o.err()).as("seed %d, case %d: a refusal shows no value", seed, i).doesNotContain(SECRET);
      }
      cli.run("save", "@h.example.com", "--delete");
    }
  }

  @Test
  void aBatchThatAnotherProcessRacedIsSavedOneAtATimeAndSaysSo() {
    String input = String.join("\n",
        "{\"name\": \"@example.com\", \"properties\": {\"language\": \"de\"}}",
        "{\"name\": \"@server_web\", \"properties\": {\"ssh_port\": 2222}}", "");
    SaveCommand.BEFORE_BATCH_COMMIT = () -> {
      // another process saves @example.com between the batch's checks and its write
      try (net.aegirj.provision.core.Provision other =
          net.aegirj.provision.core.Provision.builder().home(cli.home()).build()) {
        other.save("example.com", net.aegirj.provision.api.PropertyChanges.builder().set("client_name", "raced")
            .build());
      }
    };
    Cli.Outcome o;
    try {
      o = cli.runWithInput(input, "save", "--from=-", "--json");
    } finally {
      SaveCommand.BEFORE_BATCH_COMMIT = () -> { };
    }
    assertThat(o.exit()).as("both lines saved in the end (stderr: %s)", o.err()).isZero();
    assertThat(o.err()).as("the fallback is told, not silent").contains("not written as one batch")
        .contains("one at a time");
    assertThat(props("@example.com").path("language").path("value").asText()).as("the line's change is there")
        .isEqualTo("de");
    assertThat(props("@example.com").path("client_name").path("value").asText())
        .as("and so is the other process's: the fallback merged onto it instead of overwriting it")
        .isEqualTo("raced");
    assertThat(props("@server_web").path("ssh_port").path("value").asInt()).as("the other line too")
        .isEqualTo(2222);
  }
}
