package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportExportCommandTest {
  static final String MASTER = """
      <?php
      $aliases['server_master'] = array (
        'context_type' => 'server',
        'server' => '@server_master',
        'remote_host' => 'aegir.example.com',
        'config_path' => '/var/aegir/config/server_master',
        'db_service_type' => 'mysql',
        'master_db' => 'mysql://aegir_root:s3cret@localhost',
        'http_service_type' => NULL,
      );
      """;

  static final String PLATFORM = """
      <?php
      $aliases['platform_x'] = array (
        'context_type' => 'platform',
        'root' => '/var/aegir/platforms/x',
        'makefile' => '',
      );
      """;

  static final String SITE = """
      <?php
      $aliases['example.com'] = array (
        'context_type' => 'site',
        'platform' => '@platform_x',
        'uri' => 'example.com',
        'root' => '/var/aegir/platforms/x',
        'site_enabled' => 0,
        'aliases' => array ('www.example.com'),
        'cron_key' => 'k3y',
        'not_ours' => 'x',
      );
      """;

  @TempDir Path tmp;
  Path aliases;
  Cli cli;

  @BeforeEach
  void setUp() throws Exception {
    aliases = Files.createDirectories(tmp.resolve("drush"));
    Files.writeString(aliases.resolve("server_master.alias.drushrc.php"), MASTER);
    Files.writeString(aliases.resolve("platform_x.alias.drushrc.php"), PLATFORM);
    Files.writeString(aliases.resolve("example.com.alias.drushrc.php"), SITE);
    cli = new Cli(Files.createDirectories(tmp.resolve("home")));
  }

  @Test
  void importsADirectoryAndReportsEachContext() {
    String out = cli.ok("import", aliases.toString());
    assertThat(out.lines().toList()).as("one line per context, skipped properties indented, then a summary")
        .contains("@server_master: imported server (server_master.alias.drushrc.php)",
            "@platform_x: imported platform (platform_x.alias.drushrc.php)",
            "@example.com: imported site (example.com.alias.drushrc.php)",
            "3 imported, 0 unchanged, 0 skipped, 0 conflicts");
    assertThat(out).as("an unknown property is skipped with a reason")
        .contains("  skipped not_ours: not a site property");

    String site = squeeze(cli.ok("show", "@example.com"));
    assertThat(site).as("site_enabled=0 is false, not 'not set'").contains("site_enabled false\n");
    assertThat(site).as("the aliases were imported").contains("aliases www.example.com\n");
    assertThat(squeeze(cli.ok("show", "@server_master", "--show-secrets")))
        .as("the mysql type's master_db is imported after its service type")
        .contains("master_db mysql://aegir_root:s3cret@localhost");

    JsonNode again = cli.run("import", aliases.toString(), "--json").json();
    assertThat(again.get("ok").asBoolean()).as("a second import succeeds").isTrue();
    assertThat(again.get("unchanged").asInt()).as("and changes nothing").isEqualTo(3);
    assertThat(again.get("contexts").get(0).get("name").asText()).as("the master comes first")
        .isEqualTo("@server_master");
    assertThat(again.get("contexts").get(0).get("outcome").asText()).as("outcomes are lower case")
        .isEqualTo("unchanged");
  }

  @Test
  void reportsAConflictAndOverwritesWithTheOption() {
    cli.ok("save", "@platform_x", "--context_type=platform", "--root=/srv/other");
    JsonNode json = cli.run("import", aliases.toString(), "--json").json();
    assertThat(json.get("conflicts").asInt()).as("the different platform is a conflict").isEqualTo(1);
    assertThat(squeeze(cli.ok("show", "@platform_x"))).as("it is left alone").contains("root /srv/other\n");

    String out = cli.ok("import", aliases.toString(), "--overwrite");
    assertThat(out).as("--overwrite replaces it").contains("@platform_x: imported platform");
    assertThat(squeeze(cli.ok("show", "@platform_x"))).as("with the file's root")
        .contains("root /var/aegir/platforms/x\n");
  }

  @Test
  void badInputExitsWithTwoAndSavesNothing() throws Exception {
    Cli.Outcome missing = cli.run("import", tmp.resolve("nope").toString(), "--json");
    assertThat(missing.exit()).as("a missing directory is bad input").isEqualTo(Main.BAD_INPUT);
    assertThat(missing.json().get("error").get("message").asText()).as("the message names the directory")
        .contains("nope").contains("no such directory");

    Path bad = aliases.resolve("zz.alias.drushrc.php");
    Files.writeString(bad, "<?php\n$aliases['zz'] = array(\n  'root' => shell_exec('id'),\n);\n");
    Cli.Outcome refused = cli.run("import", aliases.toString());
    assertThat(refused.exit()).as("a file that is not plain data is bad input").isEqualTo(Main.BAD_INPUT);
    assertThat(refused.err()).as("the error names the file and line").contains(bad + ":3: ")
        .contains("function calls are not supported");
    assertThat(cli.snapshot()).as("nothing was saved, not even the files before it").isEmpty();

    assertThat(cli.run("export", "@server_master").exit()).as("export without a directory is a usage error")
        .isEqualTo(Main.BAD_INPUT);
    assertThat(cli.run("export", "@nope", tmp.resolve("out").toString()).exit())
        .as("exporting an unknown context is bad input").isEqualTo(Main.BAD_INPUT);
  }

  @Test
  void exportsThenImportsIntoAFreshHome() throws Exception {
    cli.ok("import", aliases.toString());
    Path out = tmp.resolve("out");
    String text = cli.ok("export", "--all", out.toString());
    assertThat(text).as("one line per file with its mode")
        .contains("@server_master: wrote " + out.resolve("server_master.alias.drushrc.php") + " (0640)");
    String master = Files.readString(out.resolve("server_master.alias.drushrc.php"));
    assertThat(master).as("secrets are left out by default").doesNotContain("master_db")
        .contains("'config_path' => '" + cli.home().toAbsolutePath().normalize().resolve("config/server_master") + "'");

    JsonNode json = cli.run("export", "@server_master", out.toString(), "--show-secrets", "--json").json();
    assertThat(json.get("files").get(0).get("mode").asText()).as("a file with secrets is 0600").isEqualTo("0600");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("server_master.alias.drushrc.php"))))
        .as("and is written so").isEqualTo("rw-------");
    cli.ok("export", "@example.com", out.toString(), "--show-secrets");

    Cli fresh = new Cli(Files.createDirectories(tmp.resolve("home2")));
    String imported = fresh.ok("import", out.toString());
    assertThat(imported).as("everything is imported again")
        .contains("3 imported, 0 unchanged, 0 skipped, 0 conflicts");
    for (String name : new String[] {"@server_master", "@platform_x", "@example.com"}) {
      JsonNode a = cli.run("show", name, "--show-secrets", "--json").json().get("context").get("properties");
      JsonNode b = fresh.run("show", name, "--show-secrets", "--json").json().get("context").get("properties");
      for (String p : new String[] {"remote_host", "db_service_type", "master_db", "root", "platform", "aliases",
          "site_enabled", "cron_key", "uri"}) {
        if (a.has(p) && a.get(p).get("source").asText().equals("set")) {
          assertThat(b.get(p)).as("%s of %s survives export and import", p, name).isEqualTo(a.get(p));
        }
      }
    }
  }

  /** @return show's output with the padding between columns collapsed to one space */
  private static String squeeze(String out) {
    return out.replaceAll(" {2,}", " ");
  }
}
