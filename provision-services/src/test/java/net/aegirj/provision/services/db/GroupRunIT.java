package net.aegirj.provision.services.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PhpFpmServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many sites in one batch ({@code Provision.runAll}) on real nginx, PHP-FPM and MariaDB: the web
 * server is tested and reloaded once for the batch, not once per site, and a site whose vhost
 * breaks the configuration fails alone.
 */
class GroupRunIT {
  private static final List<String> SITES = List.of("one.example.com", "two.example.com", "broken.example.com",
      "three.example.com");

  @TempDir Path tmp;
  Path home;
  LocalServers servers;
  NginxServer nginx;
  MariaDbServer db;

  @BeforeEach
  void start() throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    home = Files.createDirectories(tmp.resolve("aegir"));
    servers = LocalServers.in(Files.createDirectories(tmp.resolve("state")));
    PhpFpmServer fpm = servers.phpFpm();
    nginx = servers.nginx(home);
    db = servers.mariadb();
    Path vhosts = home.resolve("config/server_master/nginx/vhost.d");
    try (Provision p = Provision.builder().home(home).build()) {
      // The configuration test refuses any vhost of broken.example.com, as nginx would a bad one.
      p.save("server_master", PropertyChanges.builder().set("http_service_type", "nginx")
          .set("http_port", Integer.toString(nginx.port())).set("http_listen_address", "127.0.0.1")
          .set("phpfpm_address", fpm.address())
          .set("http_test_cmd", "! grep -rqs broken.example.com " + vhosts + " && " + nginx.testCommand())
          .set("http_restart_cmd", "echo reload >> " + tmp.resolve("reloads") + " && " + nginx.reloadCommand())
          .build());
      p.save("server_db", db.serverContext());
      Fixtures.phpPlatform(home.resolve("platforms/fixture"));
      p.save("platform_fixture", PropertyChanges.builder().set("context_type", "platform")
          .set("root", home.resolve("platforms/fixture").toString()).build());
      for (String site : SITES) {
        p.save(site, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
            .set("db_server", "@server_db").set("install_method", "manual").build());
      }
      p.server("server_master").verify();
      p.server("server_db").verify();
      p.platform("platform_fixture").verify();
    }
  }

  @AfterEach
  void stop() {
    servers.close();
  }

  /** @return how many times the reload command ran */
  private long reloads() throws IOException {
    Path counter = tmp.resolve("reloads");
    return Files.exists(counter) ? Files.readAllLines(counter).size() : 0;
  }

  @Test
  void aBatchReloadsOnceAndABrokenSiteFailsAlone() throws IOException {
    List<String> good = SITES.stream().filter(s -> !s.startsWith("broken")).toList();
    try (Provision p = Provision.builder().home(home).build()) {
      long before = reloads();
      List<TaskReport> installed = p.runAll(Task.INSTALL, good);
      assertThat(installed).as("every site installed").allMatch(TaskReport::succeeded);
      Http.getUntil(nginx.port(), good.get(0), "/", x -> x.status() == 200, Duration.ofSeconds(10));
      assertThat(reloads() - before).as("one reload for the batch of %d installs", good.size()).isEqualTo(1);
      assertThat(installed).as("each report names the shared reload").allMatch(r -> !r.reloads().isEmpty());

      List<TaskReport> again = p.runAll(Task.VERIFY, good);
      assertThat(again).as("a verify of the batch changes nothing").allMatch(r -> r.changedPaths().isEmpty());

      p.save("one.example.com", PropertyChanges.builder().set("aliases", "www.one.example.com").build());
      before = reloads();
      List<TaskReport> all = p.runAll(Task.INSTALL, SITES.stream().filter(s -> !good.contains(s) || s.startsWith("one"))
          .toList());
      assertThat(all.get(0).succeeded()).as("one.example.com is installed already: its install fails alone")
          .isFalse();
      assertThat(all.get(1).succeeded()).as("broken.example.com fails: its vhost breaks the configuration").isFalse();
      assertThat(all.get(1).failure()).as("named as a configuration test failure").get().asString()
          .contains("configuration test");

      List<TaskReport> mixed = p.runAll(Task.VERIFY, SITES);
      assertThat(mixed.get(2).succeeded()).as("the broken site's verify fails").isFalse();
      assertThat(List.of(mixed.get(0), mixed.get(1), mixed.get(3))).as("the others succeed, run again alone")
          .allMatch(TaskReport::succeeded);
      Http.Response alias = Http.getUntil(nginx.port(), "www.one.example.com", "/", x -> x.status() == 200,
          Duration.ofSeconds(10));
      assertThat(alias.body()).as("the good sites' changes are live").contains("host=www.one.example.com");
      assertThat(Files.exists(home.resolve("config/server_master/nginx/vhost.d/broken.example.com")))
          .as("the broken vhost was rolled back").isFalse();
      assertThat(db.sql("SHOW DATABASES")).as("and its database").doesNotContain("brokenexamplecom");
    }
  }

  private long statements() {
    String[] f = db.sql("SHOW GLOBAL STATUS LIKE 'Questions'").strip().split("\\s+");
    return Long.parseLong(f[f.length - 1]);
  }

  /**
   * A batch reads the db server's databases, accounts and grants once (its snapshot): a no-op
   * verify of three sites asks no more of MariaDB than one of a single site; and what was taken by
   * hand (a grant, an account) is still noticed and repaired, as when each site asks alone.
   */
  @Test
  void aBatchAsksTheDbServerOnceAndStillRepairsWhatWasTakenByHand() {
    List<String> good = SITES.stream().filter(s -> !s.startsWith("broken")).toList();
    try (Provision p = Provision.builder().home(home).build()) {
      assertThat(p.runAll(Task.INSTALL, good)).as("installed").allMatch(TaskReport::succeeded);
      p.runAll(Task.VERIFY, good.subList(0, 1)); // a connection in the pool for what follows

      long a = statements();
      assertThat(p.runAll(Task.VERIFY, good.subList(0, 1))).as("one site verified").allMatch(TaskReport::succeeded);
      long b = statements();
      assertThat(p.runAll(Task.VERIFY, good)).as("three sites verified").allMatch(TaskReport::succeeded);
      long c = statements();
      long one = b - a - 1; // the counter query itself is a statement
      long three = c - b - 1;
      assertThat(three).as("three sites cost the db server what one does (%d statements): one read for the batch",
          one).isEqualTo(one);
      assertThat(three).as("and that is a few reads, not five per site").isLessThan(5L * good.size());

      String dbName = p.site(good.get(1)).context().dbName().orElseThrow();
      db.sql("REVOKE ALL PRIVILEGES ON `" + dbName.replace("_", "\\_") + "`.* FROM '" + dbName + "'@'localhost'");
      db.sql("DROP USER '" + dbName + "'@'127.0.0.1'");
      List<TaskReport> repaired = p.runAll(Task.VERIFY, good);
      assertThat(repaired).as("the batch verify succeeds").allMatch(TaskReport::succeeded);
      assertThat(repaired.get(1).changedPaths()).as("and it repaired the grant and the account taken by hand")
          .anyMatch(x -> x.startsWith("GRANT ALL PRIVILEGES")).anyMatch(x -> x.startsWith("CREATE USER"));
      assertThat(db.sql("SHOW GRANTS FOR '" + dbName + "'@'localhost'")).as("the grant is back")
          .contains("GRANT ALL PRIVILEGES ON `" + dbName.replace("_", "\\_") + "`");
      assertThat(db.sql("SELECT Host FROM mysql.user WHERE User = '" + dbName + "'")).as("and the account")
          .contains("127.0.0.1");
      assertThat(p.runAll(Task.VERIFY, good)).as("after which a verify changes nothing")
          .allMatch(r -> r.changedPaths().isEmpty());
    }
  }

  /**
   * A batch of sixteen with one site that breaks the configuration: the group is undone and halved
   * until the broken site runs alone, so the fifteen good ones cost a few shared reloads, not one
   * each; only the broken site fails, and its files and database are gone.
   */
  @Test
  void aBrokenSiteInALargeBatchIsFoundByHalvingNotOneByOne() throws IOException {
    List<String> batch = new java.util.ArrayList<>();
    try (Provision p = Provision.builder().home(home).build()) {
      for (int i = 1; i <= 16; i++) {
        String site = i == 11 ? "broken.example.com" : "s" + i + ".example.com";
        batch.add(site);
        if (i != 11) {
          p.save(site, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
              .set("db_server", "@server_db").set("install_method", "manual").build());
        }
      }
      long before = reloads();
      List<TaskReport> reports = p.runAll(Task.INSTALL, batch);
      long reloads = reloads() - before;
      assertThat(reports).as("one report per site, in order").hasSize(16);
      assertThat(reports.get(10).succeeded()).as("the broken site fails").isFalse();
      assertThat(reports.get(10).failure()).as("as a configuration test failure").get().asString()
          .contains("configuration test");
      List<TaskReport> others = new java.util.ArrayList<>(reports);
      others.remove(10);
      assertThat(others).as("the fifteen others are installed").allMatch(TaskReport::succeeded);
      assertThat(others).as("each report names a reload").allMatch(r -> !r.reloads().isEmpty());
      assertThat(reloads).as("halving: a reload per good half (4 for 16 sites), not one per good site (15)")
          .isBetween(1L, 8L);
      Http.Response r = Http.getUntil(nginx.port(), "s16.example.com", "/", x -> x.status() == 200,
          Duration.ofSeconds(10));
      assertThat(r.status()).as("the last good site answers").isEqualTo(200);
      assertThat(Files.exists(home.resolve("config/server_master/nginx/vhost.d/broken.example.com")))
          .as("the broken vhost was rolled back").isFalse();
      assertThat(db.sql("SHOW DATABASES")).as("and its database").doesNotContain("brokenexamplecom");
    }
  }

  /**
   * A configuration broken without any site's doing (here: the test command fails while a marker
   * file exists): halving would prepare and undo every site once per halving, so each site runs
   * alone at once, as before, and every one fails with nothing left behind.
   */
  @Test
  void aConfigurationBrokenByNoSiteIsNotHalved() throws IOException {
    Path marker = tmp.resolve("nginx-broken");
    Path tests = tmp.resolve("tests");
    List<String> good = SITES.stream().filter(s -> !s.startsWith("broken")).toList();
    try (Provision p = Provision.builder().home(home).build()) {
      p.save("server_master", PropertyChanges.builder()
          .set("http_test_cmd", "echo test >> " + tests + " && test ! -e " + marker + " && " + nginx.testCommand())
          .build());
      Files.writeString(marker, "");
      List<TaskReport> reports = p.runAll(Task.INSTALL, good);
      assertThat(reports).as("every site fails: the configuration fails its test whatever they write")
          .noneMatch(TaskReport::succeeded);
      long runs = Files.readAllLines(tests).size();
      assertThat(runs).as("the shared test, its test without the group, then one test a site alone (not a halving"
          + " that prepares every site again and again)").isLessThanOrEqualTo(2L + good.size());
      for (String site : good) {
        assertThat(Files.exists(home.resolve("config/server_master/nginx/vhost.d/" + site)))
            .as("%s's vhost was rolled back", site).isFalse();
      }
      Files.delete(marker);
      assertThat(p.runAll(Task.INSTALL, good)).as("once the configuration is repaired the batch installs")
          .allMatch(TaskReport::succeeded);
    }
  }
}
