package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.DrupalFixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every task through the command line, end to end (issue 14): {@code bin/provision} run as a child
 * process with the README's syntax, against real nginx, PHP-FPM and two MariaDB servers, and
 * judged from outside: what the site answers over HTTP, what MariaDB holds, what is on disk. One
 * set of servers for the class; the tests run in order on the same sites (install before backup,
 * backup before restore, ...), each asserting what a user relies on after its own command.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class CliTasksIT {
  private static final String SITE = "a.example.com";

  Path tmp;
  CliWorld w;
  Path d10;
  Path d11;
  /** The first backup of {@link #SITE}, made by {@link #backupAndRestore}; used by deploy. */
  Path firstBackup;

  @BeforeAll
  void start(@TempDir Path dir) throws IOException {
    tmp = dir;
    w = new CliWorld(tmp);
    d10 = CliWorld.platform(w.home.resolve("platforms/d10"));
    d11 = CliWorld.platform(w.home.resolve("platforms/d11"), DrupalFixtures.Release.NEWER);
    w.ok("save", "@server_master", "--properties-from=" + w.masterProperties());
    w.ok("save", "@server_db2", "--properties-from=" + w.db2Properties());
    w.ok("save", "@platform_d10", "--context_type=platform", "--root=" + d10);
    w.ok("save", "@platform_d11", "--context_type=platform", "--root=" + d11);
  }

  @AfterAll
  void stop() {
    if (w != null) {
      w.close();
    }
  }

  private Path sites(Path platform, String site) {
    return platform.resolve("sites").resolve(site);
  }

  private static Map<String, String> tree(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        out.put(dir.relativize(p).toString(), Files.isRegularFile(p) ? Files.size(p) + ":"
            + Files.getLastModifiedTime(p).toMillis() : Files.isSymbolicLink(p) ? "link" : "dir");
      }
    }
    return out;
  }

  @Test
  @Order(1)
  void verifyServersAndPlatforms() {
    String master = w.ok("verify", "@server_master");
    assertThat(master).as("the report's summary line names the task and says it succeeded")
        .contains("verify @server_master: succeeded");
    assertThat(w.ok("verify", "@server_master")).as("a second verify of the server changes nothing")
        .contains("0 changes, 0 reloads");
    assertThat(w.ok("verify", "@server_db2")).as("the second db server is reached with its admin account")
        .contains("verify @server_db2: succeeded");
    assertThat(Http.get(w.nginx.port(), "nothing.example.com", "/").status())
        .as("nginx still answers after the reload the verify asked for").isPositive();
    String platform = w.ok("verify", "@platform_d10");
    assertThat(platform).as("platform verify reports the code base it found").contains("Drupal 10.3.1");
    assertThat(d10.resolve("sites/all/modules")).as("platform verify prepared sites/all").isDirectory();
    w.ok("verify", "@platform_d11");
  }

  @Test
  @Order(2)
  void aSystemDirectoryOrACodeBaseThatIsNotDrupalTakesNoSite() throws IOException {
    for (String root : List.of("/etc", "/")) {
      Exit refused = w.provision("save", "@platform_sys", "--context_type=platform", "--root=" + root);
      assertThat(refused.status()).as("--root=%s is refused as bad input", root).isEqualTo(2);
      assertThat(refused.err()).as("the error names the property and why").contains("'root'")
          .contains("system directory");
    }
    assertThat(w.provision("show", "@platform_sys").status()).as("no such platform was saved").isEqualTo(2);

    Path notDrupal = Files.createDirectories(tmp.resolve("not-drupal"));
    Files.setPosixFilePermissions(notDrupal, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(notDrupal.resolve("secret.txt"), "private\n");
    w.ok("save", "@platform_nd", "--context_type=platform", "--root=" + notDrupal);
    w.ok("save", "@bad.example.com", "--context_type=site", "--platform=@platform_nd", "--install_method=manual");
    List<String> databases = CliWorld.databases(w.db);
    List<String> users = CliWorld.users(w.db);
    Exit install = w.provision("install", "@bad.example.com");
    assertThat(install.status()).as("install on a root that is not Drupal fails (stdout: %s)", install.out())
        .isEqualTo(1);
    assertThat(install.out() + install.err()).as("the error says what the platform check looked for")
        .contains("@platform_nd").contains("is not a Drupal code base").contains("core/lib/Drupal.php");
    try (Stream<Path> s = Files.list(notDrupal)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).as("nothing was created under the root")
          .containsExactly("secret.txt");
    }
    assertThat(CliWorld.databases(w.db)).as("no database is left behind").isEqualTo(databases);
    assertThat(CliWorld.users(w.db)).as("no database user is left behind").isEqualTo(users);
    assertThat(Http.get(w.nginx.port(), "bad.example.com", "/secret.txt").body())
        .as("the root's files are not served").doesNotContain("private");
    w.ok("save", "@bad.example.com", "--delete");
    w.ok("save", "@platform_nd", "--delete");
  }

  @Test
  @Order(3)
  void install() {
    w.ok("save", "@" + SITE, "--context_type=site", "--platform=@platform_d10", "--aliases=www." + SITE);
    String out = w.ok("install", "@" + SITE);
    assertThat(out).as("the summary line").contains("install @" + SITE + ": succeeded");
    String db = w.property("@" + SITE, "db_name");
    assertThat(w.serves(SITE).body()).as("the site answers with its own directory and database")
        .contains("site=" + SITE).contains("db=" + db);
    assertThat(w.databaseServed("www." + SITE)).as("its alias is served by the same site").isEqualTo(db);
    assertThat(CliWorld.databases(w.db)).as("its database exists on the master's MariaDB").contains(db);
    assertThat(sites(d10, SITE).resolve("settings.php")).as("its settings.php was written").isRegularFile();
    assertThat(sites(d10, SITE).resolve("files")).as("and its files/ directory").isDirectory();
    assertThat(w.property("@" + SITE, "installed")).as("the context says installed").isEqualTo("true");
  }

  @Test
  @Order(4)
  void verifyASiteTwice() {
    w.ok("verify", "@" + SITE);
    String second = w.ok("verify", "@" + SITE);
    assertThat(second).as("a second verify changes nothing and reloads nothing").contains("0 changes, 0 reloads");
    assertThat(w.databaseServed(SITE)).as("the site still answers with its database")
        .isEqualTo(w.property("@" + SITE, "db_name"));
  }

  @Test
  @Order(5)
  void disableAndEnable() {
    w.ok("disable", "@" + SITE);
    Http.Response disabled = Http.getUntil(w.nginx.port(), SITE, "/", r -> r.status() == 302,
        java.time.Duration.ofSeconds(15));
    assertThat(disabled.header("Location")).as("a disabled site redirects to the disabled page")
        .hasValueSatisfying(l -> assertThat(l).endsWith("/" + SITE));
    assertThat(w.property("@" + SITE, "site_enabled")).as("the context says disabled").isEqualTo("false");
    w.ok("enable", "@" + SITE);
    assertThat(w.databaseServed(SITE)).as("an enabled site is served again, with its database")
        .isEqualTo(w.property("@" + SITE, "db_name"));
  }

  @Test
  @Order(6)
  void backupAndRestore() throws IOException {
    String db = w.databaseServed(SITE);
    w.db.sql("CREATE TABLE `" + db + "`.marker (v VARCHAR(20)); INSERT INTO `" + db + "`.marker VALUES ('before')");
    Path marker = sites(d10, SITE).resolve("files/marker.txt");
    Files.writeString(marker, "before\n");
    Files.setPosixFilePermissions(marker, PosixFilePermissions.fromString("rw-r--r--"));

    String out = w.ok("backup", "@" + SITE);
    firstBackup = Path.of(CliWorld.result(out, "backup_file").orElseThrow(() ->
        new AssertionError("backup names its file: " + out)));
    assertThat(firstBackup).as("the archive is in the master's backup directory")
        .hasParent(w.home.resolve("backups")).isRegularFile();
    assertThat(firstBackup.getFileName().toString()).as("named <uri>-<stamp>.tar.gz")
        .matches("a\\.example\\.com-[0-9]{8}\\.[0-9]{6}\\.tar\\.gz");

    w.db.sql("UPDATE `" + db + "`.marker SET v = 'after'");
    Files.writeString(marker, "after\n");
    assertThat(w.file(SITE, "/sites/" + SITE + "/files/marker.txt")).as("the change is served").isEqualTo("after\n");

    String restored = w.ok("restore", "@" + SITE, firstBackup.toString());
    assertThat(restored).as("the summary line").contains("restore @" + SITE + ": succeeded");
    String newDb = w.databaseServed(SITE);
    assertThat(newDb).as("the site is served from the database recorded for it")
        .isEqualTo(w.property("@" + SITE, "db_name"));
    assertThat(w.db.sql("SELECT v FROM `" + newDb + "`.marker")).as("the database holds what the backup held")
        .isEqualTo("before");
    assertThat(w.file(SITE, "/sites/" + SITE + "/files/marker.txt")).as("files/ holds what the backup held")
        .isEqualTo("before\n");
    if (!newDb.equals(db)) {
      assertThat(CliWorld.databases(w.db)).as("the database the restore replaced is removed").doesNotContain(db);
    }
    assertThat(firstBackup).as("the archive restored from is kept").isRegularFile();
  }

  @Test
  @Order(7)
  void backupDelete() throws IOException {
    String out = w.ok("backup", "@" + SITE);
    Path second = Path.of(CliWorld.result(out, "backup_file").orElseThrow());
    assertThat(second).as("a second backup gets a name of its own").isNotEqualTo(firstBackup).isRegularFile();

    Exit foreign = w.provision("backup-delete", "@" + SITE, "/etc/hostname");
    assertThat(foreign.status()).as("a file that is not a backup of the site is refused").isNotZero();
    assertThat(foreign.err()).as("with the reason").contains("is not in the backup directory");
    assertThat(Path.of("/etc/hostname")).as("and kept").exists();

    w.ok("backup-delete", "@" + SITE, second.toString());
    assertThat(second).as("backup-delete removed the named archive").doesNotExist();
    assertThat(firstBackup).as("and only that one").isRegularFile();
  }

  @Test
  @Order(8)
  void deploy() {
    w.ok("save", "@deployed.example.com", "--context_type=site", "--platform=@platform_d10");
    String out = w.ok("deploy", "@deployed.example.com", firstBackup.toString());
    assertThat(out).as("the summary line").contains("deploy @deployed.example.com: succeeded");
    String db = w.databaseServed("deployed.example.com");
    assertThat(db).as("the deployed site has a database of its own").isNotEqualTo(w.property("@" + SITE, "db_name"));
    assertThat(w.db.sql("SELECT v FROM `" + db + "`.marker")).as("holding the archive's data").isEqualTo("before");
    assertThat(w.file("deployed.example.com", "/sites/deployed.example.com/files/marker.txt"))
        .as("and the archive's files under its own directory").isEqualTo("before\n");
  }

  @Test
  @Order(9)
  void cloneASite() {
    String original = w.databaseServed(SITE);
    String out = w.ok("clone", "@" + SITE, "@copy.example.com");
    assertThat(out).as("the summary line names the clone, not the deploy it ran")
        .contains("clone @copy.example.com: succeeded").doesNotContain("deploy @copy.example.com");
    String db = w.databaseServed("copy.example.com");
    assertThat(db).as("the copy has a database of its own").isNotEqualTo(original);
    assertThat(w.db.sql("SELECT v FROM `" + db + "`.marker")).as("with the original's data").isEqualTo("before");
    assertThat(w.databaseServed(SITE)).as("the original is untouched").isEqualTo(original);
    assertThat(w.show("@copy.example.com").orElseThrow().path("context").path("properties").path("aliases")
        .path("value").isNull()).as("aliases are not copied (they name the original)").isTrue();
  }

  @Test
  @Order(10)
  void migrateToAnotherPlatform() {
    String out = w.ok("migrate", "@" + SITE, "@platform_d11");
    assertThat(out).as("the summary line names the migrate").contains("migrate @" + SITE + ": succeeded");
    assertThat(sites(d11, SITE).resolve("settings.php")).as("the site is on the new platform").isRegularFile();
    assertThat(sites(d10, SITE)).as("and gone from the old one").doesNotExist();
    String db = w.databaseServed(SITE);
    assertThat(w.db.sql("SELECT v FROM `" + db + "`.marker")).as("its data came along").isEqualTo("before");
    assertThat(w.file(SITE, "/sites/" + SITE + "/files/marker.txt")).as("its files too").isEqualTo("before\n");
    assertThat(w.property("@" + SITE, "platform")).as("the context names the new platform").isEqualTo("@platform_d11");
  }

  @Test
  @Order(11)
  void migrateBackToTheFirstPlatformAndToAnotherDbServer() {
    String before = w.databaseServed(SITE);
    w.ok("migrate", "@" + SITE, "@platform_d10", "--new_db_server=@server_db2");
    assertThat(sites(d10, SITE).resolve("settings.php")).as("the site is back on the first platform").isRegularFile();
    assertThat(sites(d11, SITE)).as("and gone from the second").doesNotExist();
    String db = w.databaseServed(SITE);
    assertThat(CliWorld.databases(w.db2)).as("the site's database is on the second MariaDB").contains(db);
    assertThat(CliWorld.databases(w.db)).as("and gone from the first").doesNotContain(before);
    assertThat(w.db2.sql("SELECT v FROM `" + db + "`.marker")).as("with its data").isEqualTo("before");
    assertThat(w.property("@" + SITE, "db_server")).as("the context names the new db server")
        .isEqualTo("@server_db2");
  }

  /**
   * {@code migrate @site --new_db_server=@db} without a platform: the database moves, the site
   * stays on its platform and its directory (a restore from its own backup into the new server).
   */
  @Test
  @Order(12)
  void migrateToAnotherDbServerOnly() {
    String before = w.databaseServed(SITE);
    w.ok("migrate", "@" + SITE, "--new_db_server=@server_master");
    String db = w.databaseServed(SITE);
    assertThat(CliWorld.databases(w.db)).as("the site's database is back on the first MariaDB").contains(db);
    assertThat(CliWorld.databases(w.db2)).as("and gone from the second").doesNotContain(before);
    assertThat(w.db.sql("SELECT v FROM `" + db + "`.marker")).as("with its data").isEqualTo("before");
    assertThat(w.property("@" + SITE, "db_server")).as("the context names the new db server")
        .isEqualTo("@server_master");
  }

  @Test
  @Order(13)
  void loginReset() throws IOException {
    Path drush = d10.resolve("vendor/bin/drush");
    Path aside = d10.resolve("vendor/drush.aside");
    Files.move(drush, aside);
    try {
      Exit refused = w.provision("login-reset", "@" + SITE);
      assertThat(refused.status()).as("without the platform's Drush, login-reset fails").isEqualTo(1);
      assertThat(refused.out() + refused.err()).as("and says what is missing and how to add it")
          .contains("needs Drush").contains("composer require drush/drush");
    } finally {
      Files.move(aside, drush);
    }
    String out = w.ok("login-reset", "@" + SITE);
    assertThat(CliWorld.result(out, "login_link")).as("the one-time link Drush printed is shown")
        .hasValueSatisfying(l -> assertThat(l).startsWith("http://" + SITE + "/user/reset/"));
  }

  @Test
  @Order(14)
  void importSite() throws IOException {
    String site = "imported.example.com";
    String password = "Imp0rtedPassw0rd";
    w.db.sql("CREATE DATABASE imported_db; CREATE USER 'imported_user'@'%' IDENTIFIED BY '" + password + "';"
        + " GRANT ALL ON imported_db.* TO 'imported_user'@'%'");
    Path dir = Files.createDirectories(sites(d10, site));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    String settings = "<?php\n$databases['default']['default'] = array(\n  'database' => 'imported_db',\n"
        + "  'username' => 'imported_user',\n  'password' => '" + password + "',\n  'host' => '127.0.0.1',\n"
        + "  'driver' => 'mysql',\n);\n";
    Files.writeString(dir.resolve("settings.php"), settings);
    w.ok("save", "@" + site, "--context_type=site", "--platform=@platform_d10");
    String out = w.ok("import-site", "@" + site);
    assertThat(out).as("the summary line").contains("import-site @" + site + ": succeeded");
    assertThat(Files.readString(dir.resolve("settings.php"))).as("import-site changes none of the site's files")
        .isEqualTo(settings);
    assertThat(w.property("@" + site, "db_name")).as("the credentials were read from settings.php")
        .isEqualTo("imported_db");
    assertThat(w.property("@" + site, "installed")).as("the site is under management").isEqualTo("true");
    w.ok("verify", "@" + site);
    assertThat(w.databaseServed(site)).as("after a verify the site is served with its own database")
        .isEqualTo("imported_db");
  }

  @Test
  @Order(15)
  void planChangesNothing() throws IOException {
    w.ok("save", "@planned.example.com", "--context_type=site", "--platform=@platform_d10",
        "--install_method=manual");
    Map<String, String> before = tree(w.home);
    List<String> databases = CliWorld.databases(w.db);
    String out = w.ok("plan", "@planned.example.com", "install");
    assertThat(out).as("the plan lists the install's steps, the code-base check first among the site's")
        .contains("check the platform code base of @planned.example.com")
        .contains("(plan only: nothing was changed)");
    assertThat(tree(w.home)).as("nothing changed on disk").isEqualTo(before);
    assertThat(CliWorld.databases(w.db)).as("no database was created").isEqualTo(databases);
    assertThat(Http.get(w.nginx.port(), "planned.example.com", "/").body())
        .as("the planned site is not served").doesNotContain("site=planned.example.com");
    w.ok("save", "@planned.example.com", "--delete");
  }

  @Test
  @Order(16)
  void delete() {
    String db = w.databaseServed("copy.example.com");
    String out = w.ok("delete", "@copy.example.com");
    assertThat(out).as("the summary line").contains("delete @copy.example.com: succeeded");
    assertThat(CliWorld.databases(w.db)).as("its database is dropped").doesNotContain(db);
    assertThat(sites(d10, "copy.example.com")).as("its directory is removed").doesNotExist();
    assertThat(w.provision("show", "@copy.example.com").status()).as("its context is gone").isEqualTo(2);
    assertThat(Http.getUntil(w.nginx.port(), "copy.example.com", "/", r -> !r.body().contains("site=copy.example.com"),
        java.time.Duration.ofSeconds(15)).body()).as("it is no longer served").doesNotContain("db=" + db);
  }

  @Test
  @Order(17)
  void deleteWithBackup() throws IOException {
    String db = w.databaseServed("deployed.example.com");
    String out = w.ok("delete", "@deployed.example.com", "--backup");
    Path archive = Path.of(CliWorld.result(out, "backup_file").orElseThrow(() ->
        new AssertionError("delete --backup names its backup: " + out)));
    assertThat(archive).as("the backup was made before the delete").isRegularFile()
        .hasParent(w.home.resolve("backups"));
    Exit listing = w.shell("tar -tzf '" + archive + "'");
    assertThat(listing.out()).as("it holds the database dump and the files").contains("database.sql")
        .contains("files/marker.txt");
    assertThat(CliWorld.databases(w.db)).as("the database is dropped").doesNotContain(db);
    assertThat(sites(d10, "deployed.example.com")).as("the directory is removed").doesNotExist();
    assertThat(w.provision("show", "@deployed.example.com").status()).as("the context is gone").isEqualTo(2);
  }
}
