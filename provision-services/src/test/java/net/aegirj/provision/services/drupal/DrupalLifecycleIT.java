package net.aegirj.provision.services.drupal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.api.Migration;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.ApacheServer;
import net.aegirj.provision.testkit.DrupalFixtures;
import net.aegirj.provision.testkit.DrupalFixtures.Release;
import net.aegirj.provision.testkit.DrupalFixtures.Shape;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PhpFpmServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Drupal lifecycle on real nginx (and Apache), PHP-FPM and MariaDB, with the testkit's stand-ins for
 * Drupal core and Drush ({@link DrupalFixtures}): a Drupal-7-shaped platform run by a Drush 8 named
 * in {@code drush_path}, and a Drupal-10-shaped one with its own Drush 12 in {@code vendor/bin}.
 * Everything is judged from outside: what the site answers over HTTP, and what MariaDB holds.
 */
class DrupalLifecycleIT {
  private static final Pattern LINK = Pattern.compile("https?://[^/]+(/user/reset/\\S+)");
  private static final String SITE = "drupal.example.com";

  @TempDir Path tmp;
  Path home;
  LocalServers servers;
  /** The port the site is served on (nginx's, or Apache's in the Apache test). */
  int port;
  MariaDbServer db;
  MariaDbServer db2;

  private Provision start(Shape shape, boolean twoDbServers) throws IOException {
    return start(shape, twoDbServers, false);
  }

  private Provision start(Shape shape, boolean twoDbServers, boolean apache) throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    home = Files.createDirectories(tmp.resolve("aegir"));
    servers = LocalServers.in(Files.createDirectories(tmp.resolve("state")));
    PhpFpmServer fpm = servers.phpFpm();
    db = servers.mariadb();
    Provision p = Provision.builder().home(home).build();
    if (apache) {
      ApacheServer a = servers.apache(home);
      port = a.port();
      p.save("server_master", PropertyChanges.builder().set("http_service_type", "apache")
          .set("http_port", Integer.toString(a.port())).set("http_listen_address", "127.0.0.1")
          .set("phpfpm_address", fpm.address()).set("http_test_cmd", a.testCommand())
          .set("http_restart_cmd", a.reloadCommand()).build());
    } else {
      NginxServer nginx = servers.nginx(home);
      port = nginx.port();
      p.save("server_master", nginx.masterContext(fpm));
    }
    p.save("server_db", db.serverContext());
    if (twoDbServers) {
      db2 = servers.mariadb();
      p.save("server_db2", db2.serverContext());
      p.server("server_db2").verify();
    }
    p.server("server_master").verify();
    p.server("server_db").verify();
    Path drush8 = DrupalFixtures.drush8(home.resolve("tools/drush8/drush"));
    for (Release r : Release.values()) {
      platform(p, shape, r, "platform_" + r.name().toLowerCase(), drush8);
    }
    platform(p, shape, Release.NEWER, "platform_notoken", drush8, "token");
    p.save(SITE, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_base")
        .set("db_server", "@server_db").set("install_method", "profile").set("profile", "standard")
        .set("client_email", "owner@example.com").set("aliases", "www." + SITE).build());
    return p;
  }

  private void platform(Provision p, Shape shape, Release release, String name, Path drush8, String... without) {
    Path root = DrupalFixtures.platform(home.resolve("platforms").resolve(name), shape, release, without);
    PropertyChanges.Builder b = PropertyChanges.builder().set("context_type", "platform").set("root", root.toString());
    if (shape == Shape.DRUPAL7) {
      b.set("drush_path", drush8.toString());
    }
    p.save(name, b.build());
    p.platform(name).verify();
  }

  @AfterEach
  void stop() {
    if (servers != null) {
      servers.close();
    }
  }

  private String page(String host) {
    return Http.getUntil(port, host, "/", x -> x.status() == 200 && x.body().contains("installed="),
        Duration.ofSeconds(10)).body();
  }

  private String pageUntil(String host, String wanted) {
    return Http.getUntil(port, host, "/", x -> x.body().contains(wanted), Duration.ofSeconds(10)).body();
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void aProfileInstallAnswersAsInstalledAndItsLoginLinkWorksOnce(Shape shape) throws IOException {
    try (Provision p = start(shape, false)) {
      TaskReport install = p.site(SITE).run(Task.INSTALL);
      String body = page(SITE);
      assertThat(body).as("the site answers as installed with its profile and the base schema: %s", body)
          .contains("installed=yes", "profile=standard").doesNotContain("schema=none");
      String link = install.results().get("login_link");
      assertThat(link).as("the install returns a one-time login link").isNotNull().contains("/user/reset/");
      assertLoginWorksOnce(link);
      Site site = p.site(SITE).context();
      assertThat(site.cronKey()).as("the cron key is captured at install").isPresent();

      String fresh = p.site(SITE).loginReset().results().get("login_link");
      assertThat(fresh).as("login-reset gives a new link").isNotEqualTo(link);
      assertLoginWorksOnce(fresh);

      String before = db.sql("SELECT COUNT(*) FROM " + site.dbName().orElseThrow() + ".cron_runs").strip();
      p.site(SITE).cron();
      String after = db.sql("SELECT COUNT(*) FROM " + site.dbName().orElseThrow() + ".cron_runs").strip();
      assertThat(Integer.parseInt(after)).as("cron ran once and Drupal recorded it")
          .isEqualTo(Integer.parseInt(before) + 1);
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void onApacheAProfileInstallServesItsLoginLinkAndAMigrateUpdatesTheSchema(Shape shape) throws IOException {
    try (Provision p = start(shape, false, true)) {
      TaskReport install = p.site(SITE).install();
      String base = schema(page(SITE));
      assertLoginWorksOnce(install.results().get("login_link"));
      p.site(SITE).migrate(Migration.toPlatform("@platform_newer"));
      String body = pageUntil(SITE, "release=" + DrupalFixtures.coreVersion(shape, Release.NEWER));
      assertThat(schema(body)).as("Apache serves the site from the newer platform with its newer schema: %s", body)
          .isNotEqualTo(base).isEqualTo(String.valueOf(DrupalFixtures.schemaVersion(shape, Release.NEWER)));
    }
  }

  private void assertLoginWorksOnce(String link) {
    Matcher m = LINK.matcher(link);
    assertThat(m.find()).as("the link has the reset path: %s", link).isTrue();
    Http.Response first = Http.get(port, SITE, m.group(1));
    assertThat(first.status()).as("the link logs in once: %s", first.body()).isEqualTo(200);
    Http.Response second = Http.get(port, SITE, m.group(1));
    assertThat(second.status()).as("and only once: %s", second.body()).isEqualTo(403);
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void aMigrateToTheNewerPlatformUpdatesTheSchemaAndARenameKeepsTheAliases(Shape shape) throws IOException {
    try (Provision p = start(shape, false)) {
      p.site(SITE).run(Task.INSTALL);
      String base = schema(page(SITE));
      TaskReport r = p.site(SITE).migrate(Migration.toPlatform("@platform_newer").newName("renamed.example.com"));
      assertThat(r.succeeded()).as("the migrate succeeded").isTrue();
      String body = pageUntil("renamed.example.com", "installed=yes");
      assertThat(schema(body)).as("the new name serves the newer schema: %s", body).isNotEqualTo(base);
      assertThat(r.results().get("updates_applied")).as("the updates applied are listed in the report").isNotBlank();
      String alias = pageUntil("www." + SITE, "installed=yes");
      assertThat(schema(alias)).as("the alias moved with the rename and serves the new site: %s", alias)
          .isEqualTo(schema(body));
      assertThat(p.site("renamed.example.com").context().aliases()).as("the renamed site keeps its aliases")
          .containsExactly("www." + SITE);
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void aMigrateWhoseUpdateFailsLeavesTheSiteWhereItWas(Shape shape) throws IOException {
    try (Provision p = start(shape, false)) {
      p.site(SITE).run(Task.INSTALL);
      String before = page(SITE);
      String databases = db.sql("SHOW DATABASES");
      Site site = p.site(SITE).context();
      assertThatThrownBy(() -> p.site(SITE).migrate(Migration.toPlatform("@platform_failing")))
          .as("the failing update fails the migrate").isInstanceOf(TaskFailedException.class)
          .hasMessageContaining("updatedb");
      assertThat(page(SITE)).as("the site serves from the old platform with the old schema").isEqualTo(before);
      assertThat(db.sql("SHOW DATABASES")).as("no database of the attempt is left").isEqualTo(databases);
      assertThat(home.resolve("platforms/platform_failing/sites").resolve(SITE))
          .as("no site directory is left on the failing platform").doesNotExist();
      assertThat(p.site(SITE).context()).as("the context is as it was").isEqualTo(site);
    }
  }

  @Test
  void aMigrateToAPlatformLackingAnEnabledModuleIsRefusedAndChangesNothing() throws IOException {
    try (Provision p = start(Shape.DRUPAL10, false)) {
      p.site(SITE).run(Task.INSTALL);
      String before = page(SITE);
      Site site = p.site(SITE).context();
      String databases = db.sql("SHOW DATABASES");
      assertThatThrownBy(() -> p.site(SITE).migrate(Migration.toPlatform("@platform_notoken")))
          .as("the target lacks the token module the site has enabled").isInstanceOf(TaskFailedException.class)
          .hasMessageContaining("token").satisfies(e -> assertThat(((TaskFailedException) e).isBadInput())
              .as("a refusal (exit 2), not a failure").isTrue());
      assertThat(page(SITE)).as("the site serves as before").isEqualTo(before);
      assertThat(p.site(SITE).context()).as("the context is unchanged").isEqualTo(site);
      assertThat(db.sql("SHOW DATABASES")).as("no database was made").isEqualTo(databases);
    }
  }

  @Test
  void aMigrateToAnotherDbServerServesFromIt() throws IOException {
    try (Provision p = start(Shape.DRUPAL10, true)) {
      p.site(SITE).run(Task.INSTALL);
      String oldDb = p.site(SITE).context().dbName().orElseThrow();
      p.site(SITE).migrate(Migration.toDbServer("@server_db2"));
      Site moved = p.site(SITE).context();
      assertThat(moved.dbServer().map(Object::toString)).as("the site records its new db server")
          .contains("@server_db2");
      String body = pageUntil(SITE, "installed=yes");
      assertThat(body).as("it serves, installed, from the new server's database").contains("installed=yes");
      assertThat(db2.sql("SHOW DATABASES")).as("the database is on the new server")
          .contains(moved.dbName().orElseThrow());
      assertThat(db.sql("SHOW DATABASES")).as("and gone from the old one").doesNotContain(oldDb);
    }
  }

  @Test
  void hostileValuesForDrushAreRefusedBeforeAnythingRuns() throws IOException {
    try (Provision p = start(Shape.DRUPAL10, false)) {
      for (String[] bad : new String[][] {{"profile", "standard --db-url=x"}, {"language", "en;rm -rf /"},
          {"client_email", "--account-pass=x"}, {"profile", "../../etc"}}) {
        assertThatThrownBy(() -> p.save(SITE, PropertyChanges.builder().set(bad[0], bad[1]).build()))
            .as("%s=%s is refused when saved", bad[0], bad[1]).hasMessageContaining(bad[0]);
      }
      String databases = db.sql("SHOW DATABASES");
      p.save(SITE, PropertyChanges.builder().set("profile", "nosuchprofile").build());
      assertThatThrownBy(() -> p.site(SITE).run(Task.INSTALL)).as("a profile the platform lacks is refused")
          .hasMessageContaining("nosuchprofile");
      assertThat(db.sql("SHOW DATABASES")).as("nothing is left of the refused install").isEqualTo(databases);
    }
  }

  private static String schema(String body) {
    Matcher m = Pattern.compile("schema=(\\S+)").matcher(body);
    assertThat(m.find()).as("the page shows a schema version: %s", body).isTrue();
    return m.group(1);
  }
}
