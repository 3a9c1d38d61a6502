package net.aegirj.provision.services.drupal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.host.SshHost;
import net.aegirj.provision.core.internal.DefaultHostProvider;
import net.aegirj.provision.spi.FailureInjector;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.HostProvider;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.NamespacedWebServer;
import net.aegirj.provision.testkit.ServerProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site whose web server is another machine: the testkit's sshd on 127.0.0.2 in its own mount
 * namespace, where the Aegir root is backed by another directory ({@code view}) and a real nginx
 * and PHP-FPM run inside that namespace. They can only serve the site if the platform code, the
 * site directory, its settings and the vhost really were pushed over SSH. The database is a real
 * MariaDB on this machine.
 */
class RemoteSiteIT {
  private static final String SITE = "one.example.com";

  @TempDir Path tmp;
  Path home;
  Path view;
  LocalServers servers;
  MariaDbServer db;
  NamespacedWebServer web;

  @BeforeEach
  void start() throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    home = Files.createDirectories(tmp.resolve("aegir"));
    servers = LocalServers.in(Files.createDirectories(tmp.resolve("state")));
    db = servers.mariadb();
    web = NamespacedWebServer.start("127.0.0.2", home, tmp.resolve("web1"));
    view = web.view();
    try (Provision p = provision()) {
      p.save("server_web1", web.serverContext());
      p.save("server_db", db.serverContext());
      for (String platform : List.of("fixture", "two")) {
        Fixtures.phpPlatform(home.resolve("platforms/" + platform));
        p.save("platform_" + platform, PropertyChanges.builder().set("context_type", "platform")
            .set("root", home.resolve("platforms/" + platform).toString()).set("web_server", "@server_web1").build());
      }
      p.save(SITE, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
          .set("db_server", "@server_db").set("install_method", "manual").build());
      p.server("server_master").verify();
      p.server("server_web1").verify();
      p.server("server_db").verify();
      p.platform("platform_fixture").verify();
      p.platform("platform_two").verify();
    }
  }

  @AfterEach
  void stop() {
    if (web != null) {
      web.close();
    }
    if (servers != null) {
      servers.close();
    }
  }

  private Provision provision() {
    return Provision.builder().home(home).build();
  }

  private Path remote(Path onMaster) {
    return web.remote(onMaster);
  }

  private Http.Response served() {
    return Http.getUntil(web.port(), SITE, "/", x -> x.status() == 200, Duration.ofSeconds(10));
  }

  private static List<String> tempFiles(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".tmp")).toList();
    }
  }

  @Test
  void aSiteOnARemoteWebServerLivesThroughInstallVerifyBackupMigrateAndDelete() throws IOException {
    Path fixture = home.resolve("platforms/fixture");
    Path sitePath = fixture.resolve("sites/" + SITE);
    assertThat(remote(fixture).resolve("index.php")).as("platform verify pushed the code base").exists();
    try (Provision p = provision()) {
      TaskReport install = p.site(SITE).run(Task.INSTALL);
      Site s = p.site(SITE).context();
      assertThat(install.steps()).as("the grant host was probed from the web server")
          .anyMatch(st -> st.commands().stream().anyMatch(c -> c.contains("probe the grant host")));
      assertThat(remote(sitePath).resolve("settings.php")).as("settings.php is on the web server").exists();
      assertThat(home.resolve("config/server_web1")).as("the vhost is written on the remote only").doesNotExist();
      assertThat(remote(home.resolve("config/server_web1/nginx/vhost.d/" + SITE))).as("the vhost on the remote")
          .exists();
      assertThat(served().body()).as("the remote nginx serves the pushed site with its database")
          .contains("host=" + SITE, "db=" + s.dbName().orElseThrow());

      // Users upload on the web server: its files/ is authoritative and a verify leaves it alone.
      Files.writeString(remote(sitePath).resolve("files/upload.txt"), "uploaded on the web server\n");
      p.site(SITE).verify();
      TaskReport again = p.site(SITE).verify();
      assertThat(remote(sitePath).resolve("files/upload.txt")).as("verify never overwrites the remote's files/")
          .exists();
      assertThat(again.changedPaths()).as("a second verify changes nothing here or there").isEmpty();
      assertThat(again.reloads()).as("and reloads nothing").isEmpty();

      // A backup fetches files/ first, so the upload is in the archive.
      TaskReport backup = p.site(SITE).backup();
      String archive = backup.results().get("backup_file");
      assertThat(sitePath.resolve("files/upload.txt")).as("the backup fetched the remote's files/ to the master")
          .hasContent("uploaded on the web server");
      ServerProcess.Result listing = ServerProcess.run(List.of("tar", "-tzf", archive), Duration.ofSeconds(30));
      assertThat(listing.stdout()).as("the archive holds the file uploaded on the web server")
          .contains("files/upload.txt");

      // Migrate to the other platform on the same remote web server.
      p.site(SITE).migrate("@platform_two", null);
      Path moved = home.resolve("platforms/two/sites/" + SITE);
      assertThat(remote(moved).resolve("files/upload.txt")).as("the site's files moved with it on the web server")
          .exists();
      assertThat(remote(sitePath)).as("the old site directory is gone from the web server").doesNotExist();
      assertThat(served().body()).as("the migrated site answers").contains("host=" + SITE,
          "db=" + p.site(SITE).context().dbName().orElseThrow());

      p.site(SITE).delete();
      assertThat(remote(moved)).as("delete removes the site directory on the web server").doesNotExist();
      assertThat(moved).as("and on the master").doesNotExist();
      assertThat(remote(home.resolve("config/server_web1/nginx/vhost.d/" + SITE))).as("and the vhost").doesNotExist();
      assertThat(db.sql("SHOW DATABASES")).as("and the database").doesNotContain("oneexamplecom");
      assertThat(Http.getUntil(web.port(), SITE, "/", x -> x.status() == 404, Duration.ofSeconds(10)).status())
          .as("the site is no longer served once nginx reloaded").isEqualTo(404);
      assertThat(tempFiles(view)).as("no temporary file is left on the remote").isEmpty();
    }
  }

  @Test
  void aBatchVerifyOfManySitesUsesOneConnectionAndExchangesIndependentOfTheFiles() throws IOException {
    List<String> sites = List.of("a.example.com", "b.example.com", "c.example.com", "d.example.com");
    List<SshHost> opened = new java.util.concurrent.CopyOnWriteArrayList<>();
    HostProvider counting = server -> {
      Host h = new DefaultHostProvider().open(server);
      if (h instanceof SshHost ssh) {
        opened.add(ssh);
      }
      return h;
    };
    try (Provision p = Provision.builder().home(home).hosts(counting).build()) {
      for (String site : sites) {
        p.save(site, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
            .set("db_server", "@server_db").set("install_method", "manual").build());
        p.site(site).run(Task.INSTALL);
      }
      opened.clear();
      List<TaskReport> reports = p.verifyAll(sites);
      assertThat(reports).as("every site verified").allMatch(TaskReport::succeeded);
      assertThat(reports).as("and nothing needed changing").allMatch(r -> r.changedPaths().isEmpty());
      assertThat(opened).as("one host for the web server in the whole batch").hasSize(1);
      SshHost.Statistics few = opened.get(0).statistics();
      assertThat(few.connections()).as("one SSH connection for the whole batch").isEqualTo(1);

      // 300 uploads on the web server and 300 module files pushed from the master...
      Path a = home.resolve("platforms/fixture/sites/a.example.com");
      Files.createDirectories(a.resolve("modules/custom"));
      for (int i = 0; i < 300; i++) {
        Files.writeString(remote(a).resolve("files/f" + i), "x");
        Files.writeString(a.resolve("modules/custom/m" + i + ".php"), "<?php // " + i + "\n");
      }
      p.verifyAll(sites);
      opened.clear();
      p.verifyAll(sites);
      SshHost.Statistics many = opened.get(0).statistics();
      System.out.printf("RemoteSiteIT: verify of %d sites over SSH: %s before, %s with 600 more files%n",
          sites.size(), few, many);
      // ...cost nothing more once in place: the exchanges do not depend on the number of files.
      assertThat(many.exchanges()).as("exchanges with 600 more files (%s) equal those without (%s)", many, few)
          .isEqualTo(few.exchanges());
      assertThat(many.connections()).as("still one connection").isEqualTo(1);
      for (String site : sites) {
        assertThat(Http.getUntil(web.port(), site, "/", x -> x.status() == 200, Duration.ofSeconds(10)).body())
            .as("%s is served by the remote nginx", site).contains("host=" + site);
      }
      Path uploads = remote(a.resolve("files"));
      p.site("a.example.com").run(Task.VERIFY, java.util.Map.of(Drupal.OVERRIDE_SLAVE_AUTHORITY, "true"));
      assertThat(uploads.resolve("f0")).as("--override_slave_authority makes the master's files/ win").doesNotExist();
      assertThat(uploads).as("the directory itself stays").isDirectory();
    }
  }

  @Test
  void aConnectionDroppedDuringInstallRollsBackOnBothSides() throws IOException {
    // Before the vhost step every SSH session is killed (as a network cut would): the write there fails.
    FailureInjector dropAtVhost = (task, context, index, name) -> {
      if (name.startsWith("http: nginx vhost")) {
        assertThat(web.ssh().dropConnections()).as("the task's SSH connection was open").isPositive();
      }
    };
    Path sitePath = home.resolve("platforms/fixture/sites/" + SITE);
    try (Provision p = Provision.builder().home(home).failureInjector(dropAtVhost).build()) {
      assertThatThrownBy(() -> p.site(SITE).run(Task.INSTALL)).as("the install fails")
          .isInstanceOf(TaskFailedException.class).hasMessageContaining("connection lost")
          .hasMessageContaining("rolled back").hasMessageNotContaining("rollback incomplete");
      assertThat(p.site(SITE).context().installed()).as("the site is not marked installed").isNotEqualTo(
          java.util.Optional.of(true));
    }
    assertThat(remote(sitePath)).as("the site directory pushed before the drop is removed on the web server")
        .doesNotExist();
    assertThat(sitePath).as("and on the master").doesNotExist();
    assertThat(remote(home.resolve("config/server_web1/nginx/vhost.d/" + SITE))).as("no vhost, not even half")
        .doesNotExist();
    assertThat(tempFiles(view)).as("no temporary file is left on the remote").isEmpty();
    assertThat(db.sql("SHOW DATABASES")).as("no database is left").doesNotContain("oneexamplecom");
    try (Provision p = provision()) {
      p.site(SITE).run(Task.INSTALL);
      assertThat(served().body()).as("a second install after the drop works").contains("host=" + SITE);
    }
  }

  // ------------------------------------------------------------------ batches

  /** @return a Provision whose SSH hosts are collected in {@code opened}, 4 tasks at a time */
  private Provision counting(List<SshHost> opened) {
    HostProvider hosts = server -> {
      Host h = new DefaultHostProvider().open(server);
      if (h instanceof SshHost ssh) {
        opened.add(ssh);
      }
      return h;
    };
    return Provision.builder().home(home).hosts(hosts).parallelism(4).build();
  }

  private static List<String> sites(Provision p, String prefix, int n) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String site = String.format(Locale.ROOT, "%s%03d.batch.test", prefix, i);
      names.add(site);
      p.save(site, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
          .set("db_server", "@server_db").set("install_method", "manual").build());
    }
    return names;
  }

  /**
   * Runs a batch.
   *
   * @return what it cost on the wire: every exchange with the web server (the grant-host probe
   *     is one for the batch, not one a task)
   */
  private static long batch(Provision p, Task task, List<String> names, List<SshHost> opened, String what) {
    opened.clear();
    List<TaskReport> reports = p.runAll(task, names);
    assertThat(reports).as(what + ": every task succeeded").allMatch(TaskReport::succeeded);
    assertThat(opened).as(what + ": one host for the batch").hasSize(1);
    SshHost.Statistics st = opened.get(0).statistics();
    System.out.printf(Locale.ROOT, "RemoteSiteIT: %s: %s, %d exchanges %s%n", what, st, st.exchanges(),
        opened.get(0).exchangesByKind());
    assertThat(st.connections()).as(what + ": one connection").isEqualTo(1);
    return st.exchanges();
  }

  /**
   * A batch over one remote web server costs a number of exchanges that does not grow with the
   * number of sites: one command gathers the state of every path the steps check, what verify
   * finds unchanged costs nothing more, and what install writes goes as one stream.
   */
  @Test
  void aBatchCostsTheSameExchangesForTenAndForAHundredSites() {
    List<SshHost> opened = new CopyOnWriteArrayList<>();
    try (Provision p = counting(opened)) {
      List<String> ten = sites(p, "a", 10);
      List<String> hundred = sites(p, "b", 100);
      long installTen = batch(p, Task.INSTALL, ten, opened, "install of 10");
      long installHundred = batch(p, Task.INSTALL, hundred, opened, "install of 100");
      long verifyTen = batch(p, Task.VERIFY, ten, opened, "verify of 10");
      long verifyHundred = batch(p, Task.VERIFY, hundred, opened, "verify of 100");
      System.out.printf("RemoteSiteIT exchanges per batch: install 10 = %d, install 100 = %d, verify 10 = %d,"
          + " verify 100 = %d%n", installTen, installHundred, verifyTen, verifyHundred);
      // Issue 18: 53 exchanges a site before the batch probe and held-back writes, then one a site
      // (each site's push took the SFTP channel, which applied what was held back so far).
      assertThat(installHundred).as("an install of 100 sites asks as much as one of 10").isEqualTo(installTen);
      assertThat(installHundred).as("an install: the probe, the grant-host probe, one stream of held-back changes,"
          + " and the web server's test, generation file (a stat, two owner names, a write), reload and its check"
          + " (a command and two reads)").isLessThanOrEqualTo(12);
      assertThat(verifyHundred).as("a no-op verify of 100 sites asks as much as one of 10").isEqualTo(verifyTen);
      assertThat(verifyHundred).as("a no-op verify: the probe and the grant-host probe, for the batch")
          .isLessThanOrEqualTo(2);
      for (String site : List.of(hundred.get(0), hundred.get(99))) {
        Http.Response r = Http.getUntil(web.port(), site, "/", x -> x.status() == 200, Duration.ofSeconds(10));
        assertThat(r.body()).as(site + " served by the remote nginx").contains("host=" + site);
      }
    }
  }
}
