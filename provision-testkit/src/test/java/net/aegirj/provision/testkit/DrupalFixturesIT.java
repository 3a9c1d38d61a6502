package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.testkit.DrupalFixtures.Release;
import net.aegirj.provision.testkit.DrupalFixtures.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Drush stand-ins of {@link DrupalFixtures} with {@code php} as real processes against a
 * real MariaDB, and serves the fixture app through real nginx and PHP-FPM; judges from what MariaDB
 * holds and what HTTP answers.
 */
class DrupalFixturesIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern LOGIN_LINK =
      Pattern.compile("http://([a-z0-9.:-]+)(/user/reset/1/(\\d+)/([A-Za-z0-9_-]{43})/login)\\n");
  private static final String SITE_PREFIX = "site_";

  @TempDir
  static Path temp;

  private static LocalServers servers;
  private static MariaDbServer db;
  private static int siteCount;

  @BeforeAll
  static void startDatabase() throws IOException {
    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
    servers = LocalServers.in(temp.resolve("state"));
    db = servers.mariadb();
  }

  @AfterAll
  static void stopServers() {
    if (servers != null) {
      servers.close();
    }
  }

  @Test
  void drush12InstallsUpdatesLogsInRunsCronAndListsOnDrupal10() throws IOException {
    Path base = DrupalFixtures.platform(temp.resolve("d10-base"), Shape.DRUPAL10, Release.BASE);
    Path newer = DrupalFixtures.platform(temp.resolve("d10-newer"), Shape.DRUPAL10, Release.NEWER);
    Path lacking = DrupalFixtures.platform(temp.resolve("d10-lacking"), Shape.DRUPAL10, Release.NEWER, "token");
    String database = site(base, "a.test");
    copySite(base, newer, "a.test");
    copySite(base, lacking, "a.test");
    Path drush = base.resolve(DrupalFixtures.DRUSH12_PATH);

    assertThat(php(drush, "--version").stdout()).as("--version as real Drush 12")
        .isEqualTo("Drush Commandline Tool " + DrupalFixtures.DRUSH12_VERSION + "\n");

    ServerProcess.Result other = php(drush, "--root=" + base, "--uri=a.test", "site-install", "standard", "-y");
    assertThat(other.exitCode()).as("the Drush 8 name is refused").isNotZero();
    assertThat(other.stderr()).as("as Drush 12 says it").contains("Command \"site-install\" is not defined.");
    ServerProcess.Result bogus = php(drush, "--root=" + base, "--uri=a.test", "site:install", "bogus", "-y");
    assertThat(bogus.exitCode()).as("a profile not on the platform is refused").isNotZero();
    assertThat(bogus.stderr()).as("naming it").contains("The profile bogus does not exist.");
    assertThat(php(drush, "--root=" + base, "--uri=a.test", "site:install", "standard", "--locale=e n", "-y")
        .exitCode()).as("a malformed locale is refused").isNotZero();
    assertThat(php(drush, "--root=" + base, "--uri=a.test", "site:install", "standard", "--account-mail=x@", "-y")
        .exitCode()).as("a malformed mail is refused").isNotZero();
    assertThat(php(drush, "--root=" + base, "--uri=a.test", "site:install", "standard",
        "--db-url=mysql://u:p@127.0.0.1/x", "-y").exitCode()).as("--db-url is refused").isNotZero();
    assertThat(php(drush, "--root=" + base, "--uri=a.test", "site:install", "standard").exitCode())
        .as("without -y and no answer on stdin, nothing is installed").isNotZero();
    assertThat(tables(database)).as("every refusal left the database untouched").isEmpty();
    assertThat(php(drush, "--root=" + base, "--uri=nowhere.test", "status").stderr())
        .as("a URI without a site directory").contains("Could not find a Drupal site");

    ServerProcess.Result installed = php(drush, "--root=" + base, "site:install", "standard", "--uri=a.test",
        "--locale=fr", "--account-mail=admin@a.test", "--site-mail=site@a.test", "--site-name=Site A", "-y");
    assertThat(installed.exitCode()).as("install succeeds: %s", installed.stderr()).isZero();
    assertThat(installed.stderr()).as("with Drush 12's message").contains("[success] Installation complete.");
    assertThat(tables(database)).as("install creates the tables")
        .contains("fixture_state", "users", "login_tokens", "cron_runs", "modules", "updates_applied");
    assertThat(state(database, "schema_version")).as("schema is BASE's highest update").isEqualTo("10301");
    assertThat(state(database, "profile") + " " + state(database, "locale") + " " + state(database, "site_name"))
        .as("profile, locale and site name recorded").isEqualTo("standard fr Site A");
    assertThat(db.sql("SELECT uid, name, mail FROM " + database + ".users")).as("the admin account")
        .isEqualTo("1\tadmin\tadmin@a.test");
    ServerProcess.Result again = php(drush, "--root=" + base, "--uri=a.test", "site:install", "minimal", "-y");
    assertThat(again.exitCode()).as("a second install is refused").isNotZero();
    assertThat(state(database, "profile")).as("and changes nothing").isEqualTo("standard");

    ServerProcess.Result updb = php(newer.resolve(DrupalFixtures.DRUSH12_PATH), "--uri=a.test", "updatedb", "-y");
    assertThat(updb.exitCode()).as("updatedb on the newer platform: %s", updb.stderr()).isZero();
    assertThat(updb.stderr()).as("each update reported as Drush 12 does")
        .contains("Update completed: system_update_10302", "Update completed: system_update_10303",
            "[success] Finished performing updates.");
    assertThat(db.sql("SELECT GROUP_CONCAT(update_n ORDER BY id) FROM " + database + ".updates_applied"))
        .as("exactly the new updates, in order").isEqualTo("10302,10303");
    assertThat(state(database, "schema_version")).as("the new schema").isEqualTo("10303");
    assertThat(php(newer.resolve(DrupalFixtures.DRUSH12_PATH), "updb", "--uri=a.test", "-y").stderr())
        .as("nothing pending the second time").contains("[success] No pending updates.");

    ServerProcess.Result login = php(drush, "--uri=a.test", "user:login", "--no-browser", "--name=admin");
    Matcher link = LOGIN_LINK.matcher(login.stdout());
    assertThat(link.matches()).as("user:login prints the real link format: %s", login.stdout()).isTrue();
    assertThat(db.sql("SELECT uid FROM " + database + ".login_tokens WHERE token = '" + link.group(4)
        + "' AND created = " + link.group(3) + " AND used IS NULL")).as("its token is stored, unused").isEqualTo("1");

    assertThat(php(drush, "--uri=a.test", "core:cron").exitCode()).as("cron runs").isZero();
    assertThat(php(drush, "--uri=a.test", "cron").exitCode()).as("the Drush 8 cron name is refused").isNotZero();
    assertThat(db.sql("SELECT COUNT(*) FROM " + database + ".cron_runs")).as("one run recorded").isEqualTo("1");
    assertThat(php(drush, "--uri=a.test", "cache:rebuild").exitCode()).as("cache rebuild").isZero();
    assertThat(state(database, "cache_rebuilds")).as("recorded").isEqualTo("1");

    String key = php(drush, "--uri=a.test", "state:get", "system.cron_key").stdout();
    assertThat(key).as("state:get prints the cron key").isEqualTo(state(database, "cron_key") + "\n")
        .matches("[0-9a-f]{32}\n");
    assertThat(php(drush, "--uri=a.test", "state:get", "system.cron_key", "--format=json").stdout())
        .as("as a JSON string").isEqualTo("\"" + state(database, "cron_key") + "\"\n");

    Map<String, String> modules = pmList(php(newer.resolve(DrupalFixtures.DRUSH12_PATH), "--uri=a.test", "pm:list",
        "--status=enabled", "--type=module", "--format=json").orThrow().stdout());
    assertThat(modules.keySet()).as("pm:list lists the enabled modules").containsExactly("node", "system", "token",
        "user");
    assertThat(modules.get("token")).as("contrib version from the platform").isEqualTo("module Enabled 8.x-1.13 token");
    assertThat(modules.get("node")).as("core's VERSION resolved, as Drush 12 keys them")
        .isEqualTo("module Enabled 10.3.2 node");
    Map<String, String> onLacking = pmList(php(lacking.resolve(DrupalFixtures.DRUSH12_PATH), "--uri=a.test", "pm:list",
        "--status=enabled", "--format=json").orThrow().stdout());
    assertThat(onLacking.keySet()).as("a platform without token does not list it").doesNotContain("token")
        .contains("olivero", "system");

    ServerProcess.Result status = php(drush, "--uri=a.test", "status");
    assertThat(status.stdout()).as("status").contains("Drupal version   : 10.3.1", "Database         : Connected",
        "Site path        : sites/a.test");
  }

  @Test
  void failingReleaseStopsAtItsFailingUpdate() {
    Path base = DrupalFixtures.platform(temp.resolve("f-base"), Shape.DRUPAL10, Release.BASE);
    Path failing = DrupalFixtures.platform(temp.resolve("f-failing"), Shape.DRUPAL10, Release.FAILING);
    String database = site(base, "c.test");
    copySite(base, failing, "c.test");
    php(base.resolve(DrupalFixtures.DRUSH12_PATH), "--uri=c.test", "site:install", "minimal", "-y").orThrow();
    ServerProcess.Result updb = php(failing.resolve(DrupalFixtures.DRUSH12_PATH), "--uri=c.test", "updatedb", "-y");
    assertThat(updb.exitCode()).as("the failing update fails the command").isNotZero();
    assertThat(updb.stderr()).as("saying which").contains("Update failed: system_update_10303");
    assertThat(db.sql("SELECT GROUP_CONCAT(update_n ORDER BY id) FROM " + database + ".updates_applied"))
        .as("the update before it was applied").isEqualTo("10302");
    assertThat(state(database, "schema_version")).as("schema stops before the failing update").isEqualTo("10302");

    Path drush8 = DrupalFixtures.drush8(temp.resolve("bin/drush8"));
    Path d7base = DrupalFixtures.platform(temp.resolve("f7-base"), Shape.DRUPAL7, Release.BASE);
    Path d7failing = DrupalFixtures.platform(temp.resolve("f7-failing"), Shape.DRUPAL7, Release.FAILING);
    String d7database = site(d7base, "c7.test");
    copySite(d7base, d7failing, "c7.test");
    php(drush8, "--root=" + d7base, "--uri=c7.test", "site-install", "-y").orThrow();
    ServerProcess.Result updb7 = php(drush8, "--root=" + d7failing, "--uri=c7.test", "updatedb", "-y");
    assertThat(updb7.exitCode()).as("Drupal 7's failing update fails too").isNotZero();
    assertThat(updb7.stderr()).as("with Drupal 7's message")
        .contains("The update process was aborted prematurely while running update #7103 in system.module.");
    assertThat(state(d7database, "schema_version")).as("Drupal 7 schema stops at 7102").isEqualTo("7102");
  }

  @Test
  void drush8InstallsUpdatesLogsInRunsCronAndListsOnDrupal7() throws IOException {
    Path drush = DrupalFixtures.drush8(temp.resolve("opt/drush8/drush"));
    Path base = DrupalFixtures.platform(temp.resolve("d7-base"), Shape.DRUPAL7, Release.BASE);
    Path newer = DrupalFixtures.platform(temp.resolve("d7-newer"), Shape.DRUPAL7, Release.NEWER, "token");
    Path d10 = DrupalFixtures.platform(temp.resolve("d7-d10"), Shape.DRUPAL10, Release.BASE);
    String database = site(base, "b.test");
    copySite(base, newer, "b.test");
    copySite(base, d10, "b.test");

    assertThat(php(drush, "--version").stdout()).as("--version as real Drush 8")
        .isEqualTo(" Drush Version   :  " + DrupalFixtures.DRUSH8_VERSION + " \n");
    ServerProcess.Result colon = php(drush, "--root=" + base, "--uri=b.test", "site:install", "-y");
    assertThat(colon.exitCode()).as("the Drush 12 name is refused").isNotZero();
    assertThat(colon.stderr()).as("as Drush 8 says it").contains("The drush command 'site:install' could not be found.");
    ServerProcess.Result onD10 = php(drush, "--root=" + d10, "--uri=b.test", "site-install", "-y");
    assertThat(onD10.exitCode()).as("Drush 8 refuses a Drupal 10 root").isNotZero();
    ServerProcess.Result d12OnD7 = php(d10.resolve(DrupalFixtures.DRUSH12_PATH), "--root=" + base, "--uri=b.test",
        "site:install", "-y");
    assertThat(d12OnD7.exitCode()).as("Drush 12 refuses a Drupal 7 root").isNotZero();
    assertThat(d12OnD7.stderr()).as("saying why").contains("does not support Drupal 7.100");
    assertThat(tables(database)).as("nothing was installed").isEmpty();

    ServerProcess.Result installed = php(drush, "--root=" + base, "--uri=b.test", "site-install", "standard",
        "--locale=de", "--account-mail=admin@b.test", "-y");
    assertThat(installed.exitCode()).as("install succeeds: %s", installed.stderr()).isZero();
    assertThat(installed.stderr()).as("with Drush 8's message").contains("Installation complete.  User name: admin");
    assertThat(state(database, "schema_version")).as("Drupal 7 BASE schema").isEqualTo("7101");
    assertThat(php(drush, "--root=" + base, "--uri=b.test", "site-install", "-y").exitCode())
        .as("a second install is refused").isNotZero();

    ServerProcess.Result updb = php(drush, "--root=" + newer, "--uri=b.test", "updatedb", "-y");
    assertThat(updb.exitCode()).as("updatedb: %s", updb.stderr()).isZero();
    assertThat(updb.stderr()).as("as Drush 8 reports it").contains("Performed update: system_update_7102",
        "Performed update: system_update_7103", "Finished performing updates.");
    assertThat(db.sql("SELECT GROUP_CONCAT(update_n ORDER BY id) FROM " + database + ".updates_applied"))
        .as("exactly the new updates").isEqualTo("7102,7103");
    assertThat(php(drush, "--root=" + newer, "--uri=b.test", "updatedb", "-y").stderr())
        .as("nothing pending the second time").contains("No database updates required");

    Matcher link = LOGIN_LINK.matcher(php(drush, "--root=" + newer, "--uri=b.test", "user-login", "--no-browser")
        .stdout());
    assertThat(link.matches()).as("user-login prints the real link format").isTrue();
    assertThat(link.group(1)).as("for the site's URI").isEqualTo("b.test");
    assertThat(php(drush, "--root=" + newer, "--uri=b.test", "cron").exitCode()).as("cron").isZero();
    assertThat(db.sql("SELECT COUNT(*) FROM " + database + ".cron_runs")).as("recorded").isEqualTo("1");
    assertThat(php(drush, "--root=" + newer, "--uri=b.test", "cache-clear", "all").exitCode()).as("cache-clear all")
        .isZero();
    assertThat(php(drush, "--root=" + newer, "--uri=b.test", "cache:rebuild").exitCode())
        .as("the Drush 12 cache name is refused").isNotZero();
    assertThat(php(drush, "--root=" + newer, "--uri=b.test", "variable-get", "cron_key", "--format=json").stdout())
        .as("variable-get as Drush 8's JSON")
        .isEqualTo("{\n    \"cron_key\": \"" + state(database, "cron_key") + "\"\n}\n");

    Map<String, String> modules = pmList(php(drush, "--root=" + newer, "--uri=b.test", "pm-list",
        "--status=enabled", "--type=module", "--format=json").orThrow().stdout());
    assertThat(modules.keySet()).as("Drupal 7 lists the profile as a module; the platform lacks token")
        .containsExactly("node", "standard", "system", "user");
    assertThat(modules.get("node")).as("as Drush 8 keys them").isEqualTo("Module Enabled 7.101 Node (node)");
  }

  @Test
  void theAppShowsInstallStateAndAcceptsALoginLinkOnceThroughNginx() throws IOException {
    Path aegirRoot = temp.resolve("aegir");
    Files.createDirectories(aegirRoot.resolve("config"));
    Files.setPosixFilePermissions(aegirRoot, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path d10 = DrupalFixtures.platform(temp.resolve("web-d10"), Shape.DRUPAL10, Release.NEWER);
    Path d7 = DrupalFixtures.platform(temp.resolve("web-d7"), Shape.DRUPAL7, Release.BASE);
    Path drush8 = DrupalFixtures.drush8(temp.resolve("web-bin/drush"));
    String d10db = site(d10, "w.test");
    String d7db = site(d7, "w7.test");
    Files.writeString(d10.resolve("sites/sites.php"), "<?php\n$sites['alias.test'] = 'w.test';\n");
    PhpFpmServer fpm = servers.phpFpm();
    NginxServer nginx = servers.nginx(aegirRoot);
    Files.writeString(aegirRoot.resolve("config/nginx.conf"), vhost(nginx, fpm, d10, "w.test alias.test", d10db)
        + vhost(nginx, fpm, d7, "w7.test", d7db));
    assertThat(sh(nginx.testCommand()).exitCode()).as("nginx -t accepts the vhosts").isZero();
    assertThat(sh(nginx.reloadCommand()).exitCode()).as("nginx reloads").isZero();
    nginx.awaitListening(TIMEOUT);

    Http.Response before = Http.getUntil(nginx.port(), "w.test", "/", r -> r.status() == 200, TIMEOUT);
    assertThat(before.body()).as("not installed yet")
        .isEqualTo(DrupalFixtures.statusLine("w.test", "w.test", null, null, "10.3.2", 0, d10db));
    php(d10.resolve(DrupalFixtures.DRUSH12_PATH), "--uri=w.test", "site:install", "-y").orThrow();
    php(d10.resolve(DrupalFixtures.DRUSH12_PATH), "--uri=w.test", "core:cron").orThrow();
    assertThat(Http.get(nginx.port(), "w.test", "/").body()).as("installed, with the schema and the cron run")
        .isEqualTo(DrupalFixtures.statusLine("w.test", "w.test", 10303, "standard", "10.3.2", 1, d10db));
    assertThat(Http.get(nginx.port(), "alias.test", "/node/1").body()).as("an alias from sites.php finds the site")
        .isEqualTo(DrupalFixtures.statusLine("alias.test", "w.test", 10303, "standard", "10.3.2", 1, d10db));

    Matcher link = LOGIN_LINK.matcher(php(d10.resolve(DrupalFixtures.DRUSH12_PATH), "--uri=w.test", "user:login",
        "--no-browser").stdout());
    assertThat(link.matches()).as("a login link").isTrue();
    Http.Response first = Http.get(nginx.port(), "w.test", link.group(2));
    assertThat(first.status() + " " + first.body()).as("the link works once").isEqualTo("200 login ok uid=1\n");
    Http.Response second = Http.get(nginx.port(), "w.test", link.group(2));
    assertThat(second.status() + " " + second.body()).as("and only once").isEqualTo("403 login refused\n");
    assertThat(Http.get(nginx.port(), "w.test", "/user/reset/1/1/forged/login").status()).as("a forged link")
        .isEqualTo(403);

    php(drush8, "--root=" + d7, "--uri=w7.test", "site-install", "minimal", "-y").orThrow();
    assertThat(Http.get(nginx.port(), "w7.test", "/").body()).as("the Drupal 7 app shows its install")
        .isEqualTo(DrupalFixtures.statusLine("w7.test", "w7.test", 7101, "minimal", "7.100", 0, d7db));
  }

  // ---- helpers ----

  /** Creates a database and its user, and a site directory whose settings read drushrc.php or db_*. */
  private static String site(Path root, String uri) {
    String name = SITE_PREFIX + (++siteCount);
    db.sql("CREATE DATABASE " + name + "; CREATE USER '" + name + "'@'127.0.0.1' IDENTIFIED BY 'pw_" + name + "'; "
        + "GRANT ALL PRIVILEGES ON " + name + ".* TO '" + name + "'@'127.0.0.1';");
    try {
      Path dir = root.resolve("sites/" + uri);
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      // the shape of provision-services' settings.php template: vhost db_* first, else drushrc.php
      Files.writeString(dir.resolve("settings.php"), "<?php\n$provision_db = [];\n"
          + "$keys = ['db_type', 'db_name', 'db_user', 'db_passwd', 'db_host', 'db_port'];\n"
          + "if (isset($_SERVER['db_name'])) {\n"
          + "  foreach ($keys as $key) { $provision_db[$key] = $_SERVER[$key] ?? ''; unset($_SERVER[$key]); }\n"
          + "}\nelseif (is_readable(__DIR__ . '/drushrc.php')) {\n  $options = [];\n  include __DIR__ . '/drushrc.php';\n"
          + "  foreach ($keys as $key) { $provision_db[$key] = $options[$key] ?? ''; }\n}\n"
          + "if (!empty($provision_db['db_name'])) {\n  $databases['default']['default'] = [\n"
          + "    'driver' => $provision_db['db_type'], 'database' => $provision_db['db_name'],\n"
          + "    'username' => $provision_db['db_user'], 'password' => $provision_db['db_passwd'],\n"
          + "    'host' => $provision_db['db_host'], 'port' => $provision_db['db_port'],\n  ];\n}\n"
          + "$settings['container_yamls'][] = $app_root . '/' . $site_path . '/services.yml';\n");
      Files.writeString(dir.resolve("drushrc.php"), "<?php\n" + dbParams("$options['%s'] = '%s';\n", name));
      return name;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String dbParams(String format, String name) {
    return String.format(format, "db_type", "mysql") + String.format(format, "db_name", name)
        + String.format(format, "db_user", name) + String.format(format, "db_passwd", "pw_" + name)
        + String.format(format, "db_host", "127.0.0.1") + String.format(format, "db_port", db.port());
  }

  /** Copies a site directory to another platform, as a migrate does. */
  private static void copySite(Path from, Path to, String uri) {
    try {
      Path dir = Files.createDirectories(to.resolve("sites/" + uri));
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      for (String file : List.of("settings.php", "drushrc.php")) {
        Files.copy(from.resolve("sites/" + uri + "/" + file), dir.resolve(file));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String vhost(NginxServer nginx, PhpFpmServer fpm, Path root, String names, String database) {
    return "server {\n  listen 127.0.0.1:" + nginx.port() + ";\n  server_name " + names + ";\n  root " + root + ";\n"
        + "  location / {\n    try_files $uri /index.php?$query_string;\n  }\n"
        + "  location = /index.php {\n    include /etc/nginx/fastcgi_params;\n"
        + "    fastcgi_param SCRIPT_FILENAME $document_root/index.php;\n"
        + dbParams("    fastcgi_param %s %s;\n", database) + "    fastcgi_pass " + fpm.address() + ";\n  }\n}\n";
  }

  private static ServerProcess.Result php(Path script, String... args) {
    List<String> command = new ArrayList<>(List.of("php", script.toString()));
    command.addAll(List.of(args));
    return ServerProcess.run(command, TIMEOUT);
  }

  private static List<String> tables(String database) {
    String out = db.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = '" + database + "'");
    return out.isEmpty() ? List.of() : List.of(out.split("\n"));
  }

  private static String state(String database, String name) {
    return db.sql("SELECT value FROM " + database + ".fixture_state WHERE name = '" + name + "'");
  }

  /**
   * Decodes pm-list JSON with PHP's json_decode (a parser independent of the stand-in's output code).
   *
   * @return machine name => "type status version name", in the JSON's order
   */
  private static Map<String, String> pmList(String json) {
    try {
      Path file = Files.createTempFile(temp, "pm-list", ".json");
      Files.writeString(file, json);
      String out = ServerProcess.run(List.of("php", "-r", "foreach (json_decode(file_get_contents($argv[1]), TRUE,"
          + " 512, JSON_THROW_ON_ERROR) as $k => $v) { print $k . \"\\t\" . $v['type'] . ' ' . $v['status'] . ' '"
          + " . $v['version'] . ' ' . $v['name'] . \"\\n\"; }", file.toString()), TIMEOUT).orThrow().stdout();
      Map<String, String> modules = new LinkedHashMap<>();
      for (String line : out.split("\n")) {
        if (!line.isEmpty()) {
          String[] kv = line.split("\t", 2);
          modules.put(kv[0], kv[1]);
        }
      }
      return modules;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static ServerProcess.Result sh(String command) {
    return ServerProcess.run(List.of("/bin/sh", "-c", command), TIMEOUT);
  }
}
