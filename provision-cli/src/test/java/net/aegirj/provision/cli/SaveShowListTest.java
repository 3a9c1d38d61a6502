package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SaveShowListTest {
  @TempDir
  Path home;

  private Cli cli;

  @BeforeEach
  void setUp() {
    cli = new Cli(home);
  }

  @Test
  void savesAServerAndShowsItsDerivedPaths() {
    String saved = cli.ok("save", "@server_web", "--context_type=server", "--remote_host=web1.example.com");
    assertThat(saved).as("save names the context, its type and version")
        .startsWith("@server_web: created server, version 1\n");
    assertThat(saved).as("save lists the stored properties").contains("remote_host = web1.example.com");

    String shown = cli.ok("show", "@server_web");
    assertThat(shown).as("show's header").startsWith("@server_web (server, version 1)\n");
    assertThat(line(shown, "remote_host")).as("a set property is not marked")
        .isEqualTo("remote_host  web1.example.com");
    assertThat(line(shown, "config_path")).as("config_path is derived from the home")
        .isEqualTo("config_path  " + home.toAbsolutePath().normalize().resolve("config/server_web")
            + "  (derived)");
    assertThat(line(shown, "admin_email")).as("admin_email defaults from remote_host")
        .isEqualTo("admin_email  admin@web1.example.com  (default)");
  }

  @Test
  void showsSeveralContextsInOneRunForTools() {
    cli.fixture();
    Cli.Outcome o = cli.run("show", "@example.com", "@missing.example.com", "@server_web", "--json");
    assertThat(o.exit()).as("several names: succeeds though one does not exist (%s)", o.err()).isZero();
    com.fasterxml.jackson.databind.JsonNode contexts = o.json().path("contexts");
    assertThat(contexts).as("one entry a name, in order").hasSize(3);
    assertThat(contexts.get(0).path("found").asBoolean()).as("the site is found").isTrue();
    assertThat(contexts.get(0).path("context").path("properties").path("platform").path("value").asText())
        .as("with what show gives for it alone").isEqualTo("@platform_x");
    assertThat(contexts.get(1).path("found").asBoolean()).as("the missing one is reported, not an error").isFalse();
    assertThat(contexts.get(2).path("name").asText()).as("the server last").isEqualTo("@server_web");
    assertThat(cli.run("show", "@example.com", "not a name").exit()).as("a malformed name is still refused")
        .isEqualTo(Main.BAD_INPUT);
    assertThat(cli.run("show", "@missing.example.com").exit()).as("one missing name alone stays an error")
        .isEqualTo(Main.BAD_INPUT);
  }

  @Test
  void savesAPlatformAndASiteAndShowsThem() {
    cli.fixture();

    String platform = cli.ok("show", "@platform_x");
    assertThat(line(platform, "root")).as("the platform's root is set").isEqualTo("root  /var/aegir/platforms/x");
    assertThat(line(platform, "web_server")).as("web_server defaults to the master")
        .isEqualTo("web_server  @server_master  (default)");

    String site = cli.ok("show", "@example.com");
    assertThat(site).as("show's header").startsWith("@example.com (site, version 1)\n");
    assertThat(line(site, "uri")).as("uri defaults to the name without '@'")
        .isEqualTo("uri  example.com  (default)");
    assertThat(line(site, "platform")).as("platform was set").isEqualTo("platform  @platform_x");
    assertThat(line(site, "aliases")).as("aliases are shown comma-separated").isEqualTo("aliases  a.com,b.com");
    assertThat(line(site, "site_path")).as("site_path is derived from the platform's root")
        .isEqualTo("site_path  /var/aegir/platforms/x/sites/example.com  (derived)");
    assertThat(line(site, "root")).as("the site's root is the platform's")
        .isEqualTo("root  /var/aegir/platforms/x  (derived)");
  }

  @Test
  void listsContextsByType() {
    cli.fixture();

    assertThat(cli.ok("list", "--type=site").lines().toList()).as("only sites, one line each")
        .containsExactly("@example.com  site");
    assertThat(cli.ok("list", "--type", "platform").lines().toList()).as("--type with a space works")
        .containsExactly("@platform_x  platform");
    List<String> all = cli.ok("list").lines().map(l -> l.replaceAll(" +", " ")).toList();
    assertThat(all).as("every context, the implicit master included, ordered by name")
        .containsExactly("@example.com site", "@platform_x platform", "@server_master server",
            "@server_web server");
  }

  @Test
  void everyCommandPrintsOneJsonObjectWithJson() {
    JsonNode server = cli.run("save", "@server_web", "--context_type=server", "--remote_host=web1.example.com",
        "--json").json();
    assertThat(server.get("ok").asBoolean()).as("save succeeded").isTrue();
    assertThat(server.get("command").asText()).as("command").isEqualTo("save");
    assertThat(server.get("exit_code").asInt()).as("exit_code").isZero();
    JsonNode c = server.get("context");
    assertThat(c.get("name").asText()).as("name").isEqualTo("@server_web");
    assertThat(c.get("context_type").asText()).as("context_type").isEqualTo("server");
    assertThat(c.get("version").asLong()).as("version").isEqualTo(1);
    assertThat(c.get("previous_version").isNull()).as("a new context has no previous version").isTrue();
    assertThat(c.get("created").asBoolean()).as("created").isTrue();
    assertThat(c.get("changed").asBoolean()).as("changed").isTrue();
    assertThat(c.get("properties").get("remote_host").asText()).as("stored property").isEqualTo("web1.example.com");

    cli.ok("save", "@platform_x", "--context_type=platform", "--root=/var/aegir/platforms/x");
    JsonNode site = cli.run("--json", "save", "@example.com", "--context_type=site", "--platform=@platform_x",
        "--aliases=a.com,b.com").json();
    assertThat(site.get("context").get("properties").get("aliases").toString())
        .as("a list property is a JSON array").isEqualTo("[\"a.com\",\"b.com\"]");

    JsonNode shown = cli.run("show", "@example.com", "--json").json();
    assertThat(shown.get("command").asText()).as("command").isEqualTo("show");
    JsonNode props = shown.get("context").get("properties");
    assertThat(props.get("uri").get("value").asText()).as("uri value").isEqualTo("example.com");
    assertThat(props.get("uri").get("source").asText()).as("uri source").isEqualTo("default");
    assertThat(props.get("platform").get("source").asText()).as("platform source").isEqualTo("set");
    assertThat(props.get("site_path").get("source").asText()).as("site_path source").isEqualTo("derived");
    assertThat(props.get("client_name").get("value").isNull()).as("a property without value is null").isTrue();

    JsonNode list = cli.run("list", "--json", "--type=site").json();
    assertThat(list.get("type").asText()).as("the filter").isEqualTo("site");
    assertThat(list.get("contexts").isArray()).as("contexts is an array").isTrue();
    assertThat(list.get("contexts").get(0).get("name").asText()).as("the one site").isEqualTo("@example.com");
    assertThat(list.get("contexts").size()).as("one site").isEqualTo(1);

    JsonNode help = cli.run("--json", "--help").json();
    assertThat(help.get("command").asText()).as("help is reported as a command").isEqualTo("help");
    assertThat(help.get("usage").asText()).as("the usage text").contains("Usage: provision");

    JsonNode deleted = cli.run("save", "@example.com", "--delete", "--json").json();
    assertThat(deleted.get("context").get("deleted").asBoolean()).as("deleted").isTrue();
    assertThat(deleted.get("context").get("context_type").asText()).as("type of the deleted context").isEqualTo("site");
  }

  @Test
  void globalOptionsWorkAfterTheCommand() {
    Cli.Outcome saved = Cli.raw("save", "@platform_x", "--context_type=platform", "--root=/srv/x",
        "--home", home.toString(), "--json");
    assertThat(saved.exit()).as("exit status (stderr: %s)", saved.err()).isZero();
    assertThat(saved.json().get("context").get("name").asText()).as("saved in the given home").isEqualTo("@platform_x");

    Cli.Outcome shown = Cli.raw("show", "@platform_x", "--json", "--home=" + home);
    assertThat(shown.exit()).as("exit status (stderr: %s)", shown.err()).isZero();
    assertThat(shown.json().get("context").get("properties").get("root").get("value").asText())
        .as("read back from the same home").isEqualTo("/srv/x");

    Cli.Outcome before = Cli.raw("--home", home.toString(), "--json", "list");
    assertThat(before.json().get("contexts").size()).as("the platform and the implicit master").isEqualTo(2);
  }

  @Test
  void provisionSaveIsAnAliasOfSave() {
    Cli.Outcome o = cli.run("provision-save", "@platform_x", "--context_type=platform", "--root=/srv/x", "--json");
    assertThat(o.exit()).as("exit status (stderr: %s)", o.err()).isZero();
    assertThat(o.json().get("command").asText()).as("reported under the primary name").isEqualTo("save");
    assertThat(cli.ok("list", "--type=platform")).as("the platform was saved").contains("@platform_x");
  }

  @Test
  void aegirOrderPutsTheNameBeforeTheCommand() {
    cli.ok("@platform_x", "save", "--context_type=platform", "--root=/srv/x");
    String shown = cli.ok("@platform_x", "show");
    assertThat(shown).as("show in Aegir's order").startsWith("@platform_x (platform, version 1)\n");
    Cli.Outcome o = Cli.raw("--json", "--home", home.toString(), "@platform_x", "show");
    assertThat(o.exit()).as("exit status with global options first (stderr: %s)", o.err()).isZero();
    assertThat(o.json().get("context").get("name").asText()).as("the context shown").isEqualTo("@platform_x");
  }

  @Test
  void secretsAreRedactedUnlessAskedFor() {
    cli.fixture();
    cli.ok("save", "@example.com", "--cron_key=s3cr3t-key");

    assertThat(line(cli.ok("show", "@example.com"), "cron_key")).as("cron_key is redacted")
        .isEqualTo("cron_key  ****");
    assertThat(line(cli.ok("show", "@example.com", "--show-secrets"), "cron_key"))
        .as("--show-secrets shows it").isEqualTo("cron_key  s3cr3t-key");
    JsonNode json = cli.run("show", "@example.com", "--json").json();
    assertThat(json.get("context").get("properties").get("cron_key").get("value").asText())
        .as("redacted in JSON too").isEqualTo("****");
    assertThat(json.get("context").get("properties").get("cron_key").get("secret").asBoolean())
        .as("marked secret").isTrue();
    assertThat(cli.ok("save", "@example.com", "--cron_key=other-key")).as("save output redacts it")
        .contains("cron_key = ****").doesNotContain("other-key");
  }

  @Test
  void deleteRemovesAnUnreferencedContext() {
    cli.fixture();
    assertThat(cli.ok("save", "@example.com", "--delete")).as("delete reports the type")
        .isEqualTo("@example.com: deleted site\n");
    assertThat(cli.ok("list", "--type=site")).as("no sites left").isEmpty();
    assertThat(cli.ok("save", "@platform_x", "--delete")).as("now the platform can go")
        .isEqualTo("@platform_x: deleted platform\n");
  }

  @Test
  void helpExitsWithZero() {
    assertThat(cli.ok("--help")).as("top-level help lists the commands").contains("save, provision-save", "show", "list");
    assertThat(cli.ok("save", "--help")).as("save's help").contains("--delete", "--property=value");
    assertThat(cli.ok("@x", "show", "--help")).as("help in Aegir's order").contains("--show-secrets");
  }

  /** @return the property's line of show's text output, trimmed, with columns collapsed to two spaces */
  private static String line(String shown, String property) {
    List<String> found = new ArrayList<>();
    for (String l : shown.lines().toList()) {
      String t = l.strip();
      if (t.startsWith(property + " ")) {
        found.add(t.replaceFirst("^(\\S+) +", "$1  "));
      }
    }
    assertThat(found).as("exactly one line for %s in:%n%s", property, shown).hasSize(1);
    return found.get(0);
  }
}
