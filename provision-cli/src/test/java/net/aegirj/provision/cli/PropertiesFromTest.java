package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code provision save @name --properties-from=FILE|-}: properties as lines, secrets off the command line. */
class PropertiesFromTest {
  /** A secret that no error message may ever show. */
  private static final String SECRET = "Hunter2-sekrit-0451";

  @TempDir
  Path tmp;

  private Cli cli;

  @BeforeEach
  void setUp() throws IOException {
    cli = new Cli(Files.createDirectories(tmp.resolve("home")));
    cli.fixture();
  }

  @Test
  void savesPropertiesFromStandardInputAndNeverPrintsTheSecret() {
    Cli.Outcome saved = cli.runWithInput("cron_key=" + SECRET + "\naliases=c.com,d.com\nlanguage=de\n",
        "save", "@example.com", "--properties-from=-");
    assertThat(saved.exit()).as("the save succeeds (stderr: %s)", saved.err()).isZero();
    assertThat(saved.out()).as("save's output masks the secret").contains("cron_key = ****")
        .doesNotContain(SECRET);

    JsonNode props = showSecrets("@example.com");
    assertThat(props.get("cron_key").get("value").asText()).as("the secret is stored").isEqualTo(SECRET);
    assertThat(props.get("aliases").get("value").toString()).as("a list, comma-separated")
        .isEqualTo("[\"c.com\",\"d.com\"]");
    assertThat(props.get("language").get("value").asText()).as("a plain value").isEqualTo("de");
    assertThat(props.get("platform").get("value").asText()).as("the others are kept").isEqualTo("@platform_x");
  }

  @Test
  void readsAFileWithCommentsBlankLinesInnerSpacesAndNoFinalNewline() throws IOException {
    Path file = Files.writeString(tmp.resolve("server.properties"), String.join("\n",
        "# the web server, with its database credentials",
        "",
        "   ",
        "\t",
        "context_type=server",
        "http_service_type=nginx",
        "#http_restart_cmd=commented out",
        "http_restart_cmd= sudo /usr/sbin/nginx -s reload # not a comment = kept ",
        "db_service_type=mysql",
        "master_db=mysql://aegir_root:" + SECRET + "@localhost"));
    Cli.Outcome saved = cli.run("save", "@server_db", "--remote_host=db.example.com", "--properties-from=" + file);
    assertThat(saved.exit()).as("the save succeeds (stderr: %s)", saved.err()).isZero();
    assertThat(saved.out()).as("save's output masks master_db").doesNotContain(SECRET);

    JsonNode props = showSecrets("@server_db");
    assertThat(props.get("http_restart_cmd").get("value").asText())
        .as("the value is everything after the first '=', blanks, '#' and '=' included")
        .isEqualTo(" sudo /usr/sbin/nginx -s reload # not a comment = kept ");
    assertThat(props.get("master_db").get("value").asText()).as("the last line, without a newline, is read")
        .isEqualTo("mysql://aegir_root:" + SECRET + "@localhost");
    assertThat(props.get("remote_host").get("value").asText()).as("the command line's property is saved too")
        .isEqualTo("db.example.com");
  }

  @Test
  void resetsAndEmptyValuesMeanWhatTheyMeanAsArguments() throws IOException {
    Cli other = new Cli(Files.createDirectories(tmp.resolve("other")));
    other.fixture();
    cli.ok("save", "@example.com", "--cron_key=" + SECRET, "--language=de");
    other.ok("save", "@example.com", "--cron_key=" + SECRET, "--language=de");

    Cli.Outcome fromFile = cli.runWithInput("aliases=null\ncron_key=null\ndrush_aliases=\n", "save", "@example.com",
        "--properties-from=-");
    Cli.Outcome fromArguments = other.run("save", "@example.com", "--aliases=null", "--cron_key=null", "--drush_aliases=");
    assertThat(fromArguments.exit()).as("the arguments are accepted (stderr: %s)", fromArguments.err()).isZero();
    assertThat(fromFile.exit()).as("so are the lines (stderr: %s)", fromFile.err()).isZero();
    assertThat(fromFile.out()).as("the same output").isEqualTo(fromArguments.out());
    assertThat(showSecrets("@example.com")).as("the same context as with the arguments")
        .isEqualTo(other.showSecretsOf("@example.com"));
    assertThat(showSecrets("@example.com").get("aliases").get("source").asText()).as("null resets aliases")
        .isEqualTo("default");
  }

  @Test
  void aPropertyGivenOnTheCommandLineAndInTheFileIsRefusedByName() {
    Map<String, String> before = cli.snapshot();
    Cli.Outcome o = cli.runWithInput("language=de\ncron_key=" + SECRET + "\n", "save", "@example.com",
        "--cron_key=other", "--json", "--properties-from=-");
    assertThat(o.exit()).as("bad input: exit 2").isEqualTo(Main.BAD_INPUT);
    assertThat(o.err()).as("the error names the property, the source and the line")
        .contains("property 'cron_key' is given both on the command line and in standard input")
        .contains("(line 2)").doesNotContain(SECRET).doesNotContain("other");
    assertThat(o.json().get("error").get("type").asText()).as("a usage error").isEqualTo("usage");
    assertThat(cli.snapshot()).as("nothing was saved").isEqualTo(before);
  }

  @Test
  void malformedLinesAreRefusedByLineNumberWithoutShowingTheLine() {
    Map<String, String> before = cli.snapshot();
    byte[] notUtf8 = ("language=de\ncron_key=" + SECRET + "\u00e9").getBytes(StandardCharsets.ISO_8859_1);
    Map<String, byte[]> cases = Map.ofEntries(
        Map.entry("line 2: has no '='", utf8("language=de\n" + SECRET + "\n")),
        Map.entry("line 1: has no property name before '='", utf8("=" + SECRET + "\n")),
        Map.entry("line 1: the text before '=' is not a property name", utf8("cron key=" + SECRET + "\n")),
        Map.entry("line 3: the text before '=' is not a property name", utf8("#\n\n" + SECRET + "=1\n")),
        Map.entry("line 1: property 'cron_key' has blanks around its name", utf8(" cron_key =" + SECRET + "\n")),
        Map.entry("line 2: ends with a carriage return", utf8("language=de\ncron_key=" + SECRET + "\r\n")),
        Map.entry("property 'cron_key' is given twice (lines 1 and 3)",
            utf8("cron_key=" + SECRET + "\n# again\ncron_key=" + SECRET + "\n")),
        Map.entry("line 2: is not UTF-8 text", notUtf8),
        Map.entry("line 1: holds a NUL character", utf8("cron_key=" + SECRET + "\u0000\n")),
        Map.entry("line 1: starts with a byte order mark", utf8("\ufeffcron_key=" + SECRET + "\n")),
        Map.entry("line 1: 'delete' is an option of save, not a property", utf8("delete=true\n")));
    cases.forEach((message, input) -> {
      Cli.Outcome o = cli.runWithInput(new StandardInput(new ByteArrayInputStream(input), false),
          "save", "@example.com", "--properties-from=-");
      assertThat(o.exit()).as("%s: bad input, exit 2 (stderr: %s)", message, o.err()).isEqualTo(Main.BAD_INPUT);
      assertThat(o.err()).as("the error names the source and the line").startsWith("provision: error: standard input")
          .contains(message);
      assertThat(o.err()).as("%s: the secret is never shown", message).doesNotContain(SECRET)
          .doesNotContain(SECRET.toUpperCase());
    });
    assertThat(cli.snapshot()).as("nothing was saved").isEqualTo(before);
  }

  @Test
  void aSecretRefusedByItsGrammarIsNotShown() {
    Cli.Outcome o = cli.runWithInput("cron_key=" + SECRET + "'; DROP TABLE x\n", "save", "@example.com",
        "--properties-from=-");
    assertThat(o.exit()).as("the value is refused (stderr: %s)", o.err()).isEqualTo(Main.BAD_INPUT);
    assertThat(o.err()).as("the error names the property").contains("property 'cron_key'");
    assertThat(o.err()).as("but not the secret").doesNotContain(SECRET);
  }

  @Test
  void aFileOfAtMostOneMebibyteIsRead() throws IOException {
    String property = "language=de\n";
    StringBuilder b = new StringBuilder();
    while (b.length() + 100 <= PropertiesFile.MAX_BYTES - property.length()) {
      b.append('#').append("x".repeat(98)).append('\n');
    }
    b.append("#".repeat(PropertiesFile.MAX_BYTES - property.length() - b.length() - 1)).append('\n');
    b.append(property);
    assertThat(b.length()).as("exactly the limit").isEqualTo(PropertiesFile.MAX_BYTES);
    Path exact = Files.writeString(tmp.resolve("exact.properties"), b);
    Cli.Outcome ok = cli.run("save", "@example.com", "--properties-from=" + exact);
    assertThat(ok.exit()).as("1 MiB is read (stderr: %s)", ok.err()).isZero();
    assertThat(showSecrets("@example.com").get("language").get("value").asText()).as("its last line counts")
        .isEqualTo("de");

    Path over = Files.writeString(tmp.resolve("over.properties"), "#" + b);
    Cli.Outcome refused = cli.run("save", "@example.com", "--properties-from=" + over);
    assertThat(refused.exit()).as("one byte more is refused").isEqualTo(Main.BAD_INPUT);
    assertThat(refused.err()).as("the error names the file and the limit")
        .contains("--properties-from='" + over + "': larger than 1 MiB (1048576 bytes)");

    Cli.Outcome piped = cli.runWithInput(new StandardInput(endless(), false), "save", "@example.com",
        "--properties-from=-");
    assertThat(piped.exit()).as("an endless standard input is refused, not read to the end")
        .isEqualTo(Main.BAD_INPUT);
    assertThat(piped.err()).as("with the limit").contains("standard input (--properties-from=-): larger than 1 MiB");
  }

  @Test
  void aTerminalOnStandardInputIsRefusedWithoutReadingIt() {
    InputStream unreadable = new InputStream() {
      @Override
      public int read() {
        throw new AssertionError("a terminal must not be read");
      }
    };
    Cli.Outcome o = cli.runWithInput(new StandardInput(unreadable, true), "save", "@example.com",
        "--properties-from", "-");
    assertThat(o.exit()).as("refused: exit 2").isEqualTo(Main.BAD_INPUT);
    assertThat(o.err()).as("the error says why and what to do instead").contains("standard input is a terminal")
        .contains("--properties-from=/dev/stdin");
  }

  @Test
  void unreadableFilesAndDeleteAreRefused() throws IOException {
    Cli.Outcome missing = cli.run("save", "@example.com", "--properties-from=" + tmp.resolve("missing"));
    assertThat(missing.exit()).as("a missing file: exit 2").isEqualTo(Main.BAD_INPUT);
    assertThat(missing.err()).as("a missing file is named").contains("missing': no such file");

    Cli.Outcome directory = cli.run("save", "@example.com", "--properties-from=" + tmp);
    assertThat(directory.exit()).as("a directory: exit 2").isEqualTo(Main.BAD_INPUT);
    assertThat(directory.err()).as("a directory cannot be read").contains("cannot be read");

    Cli.Outcome empty = cli.run("save", "@example.com", "--properties-from=");
    assertThat(empty.err()).as("an empty FILE").contains("--properties-from needs a file, or '-'");

    Cli.Outcome delete = cli.runWithInput("", "save", "@example.com", "--delete", "--properties-from=-");
    assertThat(delete.exit()).as("--delete with a file: exit 2").isEqualTo(Main.BAD_INPUT);
    assertThat(delete.err()).as("--delete takes no properties").contains("leave out --properties-from");
    assertThat(cli.ok("list")).as("the site is still there").contains("@example.com");
  }

  @Test
  void anEmptyFileChangesNothingAndHelpDescribesTheFormat() {
    Cli.Outcome o = cli.runWithInput("# nothing\n\n", "save", "@example.com", "--properties-from=-");
    assertThat(o.exit()).as("an empty file is fine (stderr: %s)", o.err()).isZero();
    assertThat(o.out()).as("and changes nothing").startsWith("@example.com: site unchanged, version 1");

    String help = cli.ok("save", "--help");
    assertThat(help).as("save's help describes the option")
        .contains("--properties-from=FILE|-", "name=value a line", "CRLF", "1 MiB", "/dev/stdin", "0600",
            "printf 'db_passwd=%s\\n'");
  }

  private JsonNode showSecrets(String name) {
    return cli.showSecretsOf(name);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A standard input that never ends: comment lines forever. */
  private static InputStream endless() {
    return new InputStream() {
      @Override
      public int read() {
        return '#';
      }
    };
  }
}
