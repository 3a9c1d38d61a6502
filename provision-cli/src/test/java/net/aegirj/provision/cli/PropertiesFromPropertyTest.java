package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.aegirj.provision.testkit.Generators;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A property given as the line {@code k=v} on {@code --properties-from=-} is the argument
 * {@code --k=v}: whatever value the argument saves, the line saves identically (compared through
 * {@code provision show --json --show-secrets}), and whatever value the argument refuses, the line
 * refuses too. The only values a line cannot carry (a line break, a carriage return, NUL, text
 * that is not Unicode) are refused as arguments, so a line loses no value that could be saved.
 */
class PropertiesFromPropertyTest {
  /** Properties of the fixture's site, and of a server with an nginx and a MySQL service. */
  private static final List<String> SITE = List.of("aliases", "language", "client_name", "redirection",
      "cron_key", "db_passwd", "drush_aliases", "profile", "install_method", "ssl_enabled", "site_enabled",
      "ip_addresses", "db_name", "installed");
  private static final List<String> SERVER = List.of("http_restart_cmd", "http_test_cmd", "http_port",
      "admin_email", "master_db", "ssh_user", "remote_host", "web_disable_url");
  /** Values written to break a line-based format. */
  private static final List<String> TRICKY = List.of("", " ", "null", "NULL", " null", "=", "a=b", "#x", "# x ",
      "a,b", "a, b", ",", "\\n", "x\n", "\nx", "x\r", "x\u0000y", "\t", "a\tb", "\u2028", "\ufeffa", "\ud800",
      "sudo /usr/sbin/nginx -s reload", "  two  spaces  ", "mysql://root:s3cr%20t@localhost",
      "mysql://aegir_root:pass=word@localhost:3306", "hostmaster@example.com", "en", "pt-br", "standard",
      "manual", "1", "on", "true", "false", "www.example.com,example.org", "@server_web=10.0.0.1",
      "https://example.com/hosting/disabled", "Abc_123-xyz");

  /** Values each property accepts, some with blanks that the property may or may not keep. */
  private static final Map<String, List<String>> VALID = Map.ofEntries(
      Map.entry("aliases", List.of("www.example.com,example.org", " a.com , b.com ", "a.com/sub")),
      Map.entry("language", List.of("de", "pt-br", " fr")),
      Map.entry("client_name", List.of("Client_1.x", "c")),
      Map.entry("redirection", List.of("www.example.com")),
      Map.entry("cron_key", List.of("Abc_123-xyz", "k")),
      Map.entry("db_passwd", List.of("p4ss-W0rd_", "0")),
      Map.entry("drush_aliases", List.of("@alias_one,@b", "one")),
      Map.entry("profile", List.of("minimal")),
      Map.entry("install_method", List.of("manual", "profile")),
      Map.entry("ssl_enabled", List.of("1", "on", "required", " 2 ")),
      Map.entry("site_enabled", List.of("false", "true")),
      Map.entry("ip_addresses", List.of("@server_web=10.0.0.1", "@server_web=::1")),
      Map.entry("db_name", List.of("site_db")),
      Map.entry("installed", List.of("true")),
      Map.entry("http_restart_cmd", List.of("sudo /usr/sbin/nginx -s reload", " a = b # c ", "x\\y")),
      Map.entry("http_test_cmd", List.of("nginx -t", "  ")),
      Map.entry("http_port", List.of("8080", " 8080")),
      Map.entry("admin_email", List.of("a@b.com")),
      Map.entry("master_db", List.of("mysql://root:pa%20ss@localhost:3306", "mysql://a:@db.example.com")),
      Map.entry("ssh_user", List.of("aegir")),
      Map.entry("remote_host", List.of("web2.example.com", "10.1.2.3")),
      Map.entry("web_disable_url", List.of("https://example.com/x")));

  @TempDir
  Path tmp;

  @Test
  void aLineSavesExactlyWhatTheArgumentSaves() {
    qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
      Random r = Generators.random(seed);
      boolean site = r.nextBoolean();
      String name = site ? "@example.com" : "@server_db";
      List<String> properties = site ? SITE : SERVER;
      String property = properties.get(r.nextInt(properties.size()));
      String value = value(r, property);

      Cli arguments = fixture(seed, "arguments");
      Cli lines = fixture(seed, "lines");
      Cli.Outcome byArgument = arguments.run("save", name, "--" + property + "=" + value);
      Cli.Outcome byLine = lines.runWithInput(property + "=" + value + "\n", "save", name, "--properties-from=-");

      if (byArgument.exit() == 0) {
        assertThat(representable(value)).as("an accepted value can be written on a line: %s=%s (seed %d)",
            property, Values.sanitize(value), seed).isTrue();
        assertThat(byLine.exit()).as("the line is accepted like the argument: %s=%s (seed %d, stderr: %s)",
            property, Values.sanitize(value), seed, byLine.err()).isZero();
        assertThat(byLine.out()).as("save prints the same (seed %d)", seed).isEqualTo(byArgument.out());
        assertThat(shown(lines, name)).as("the same stored context: %s=%s (seed %d)", property,
            Values.sanitize(value), seed).isEqualTo(shown(arguments, name));
      } else if (representable(value)) {
        assertThat(byLine.exit()).as("the line is refused like the argument: %s=%s (seed %d)", property,
            Values.sanitize(value), seed).isEqualTo(byArgument.exit());
        assertThat(byLine.err()).as("with the same message (seed %d)", seed).isEqualTo(byArgument.err());
        assertThat(lines.snapshot()).as("nothing saved (seed %d)", seed).isEqualTo(arguments.snapshot());
      }
      // A value that no line can hold was refused as an argument; written on a line it is another
      // value (a line break ends the line, a lone surrogate becomes '?'), so nothing is claimed.
    });
  }

  /** A value: one the property accepts, tricky for lines, hostile, plain text, or two joined. */
  private static String value(Random r, String property) {
    List<String> valid = VALID.get(property);
    return switch (r.nextInt(7)) {
      case 0 -> Generators.hostileString(r);
      case 1 -> Generators.validText(r);
      case 2 -> TRICKY.get(r.nextInt(TRICKY.size())) + TRICKY.get(r.nextInt(TRICKY.size()));
      case 3 -> TRICKY.get(r.nextInt(TRICKY.size()));
      default -> valid.get(r.nextInt(valid.size()));
    };
  }

  /** {@code show --json --show-secrets}, with the home (in the derived paths) written {@code <home>}. */
  private static String shown(Cli cli, String name) {
    return cli.showSecretsOf(name).toString().replace(cli.home().toString(), "<home>");
  }

  /** Whether a value survives as one UTF-8 line. */
  private static boolean representable(String value) {
    return value.indexOf('\n') < 0 && value.indexOf('\r') < 0 && value.indexOf('\0') < 0
        && new String(value.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(value);
  }

  /** A fresh home with the site, its platform and a server with nginx and MySQL. */
  private Cli fixture(long seed, String which) {
    Cli cli;
    try {
      cli = new Cli(Files.createTempDirectory(tmp, which + "-" + Long.toHexString(seed) + "-"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    cli.fixture();
    cli.ok("save", "@server_db", "--context_type=server", "--remote_host=db.example.com",
        "--http_service_type=nginx", "--db_service_type=mysql", "--master_db=mysql://aegir_root:pw@localhost");
    return cli;
  }
}
