package net.aegirj.provision.services.drupal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import net.aegirj.provision.api.Migration;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.DrupalFixtures;
import net.aegirj.provision.testkit.DrupalFixtures.Release;
import net.aegirj.provision.testkit.DrupalFixtures.Shape;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.NamespacedWebServer;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PhpFpmServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Drupal site migrated from the local web server to another machine (the testkit's sshd in its
 * own mount namespace, with its own nginx and PHP-FPM), upgraded on the way: the remote web server
 * serves it installed with the newer schema, which its Drush (run there, over SSH) applied, and
 * the local one no longer serves it.
 */
class DrupalRemoteMigrateIT {
  private static final String SITE = "moving.example.com";

  @TempDir Path tmp;
  LocalServers servers;
  NamespacedWebServer web;

  @AfterEach
  void stop() {
    if (web != null) {
      web.close();
    }
    if (servers != null) {
      servers.close();
    }
  }

  @Test
  void aSiteMovesToAPlatformOnAnotherWebServerAndIsUpdatedThere() throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path home = Files.createDirectories(tmp.resolve("aegir"));
    servers = LocalServers.in(Files.createDirectories(tmp.resolve("state")));
    PhpFpmServer fpm = servers.phpFpm();
    NginxServer nginx = servers.nginx(home);
    MariaDbServer db = servers.mariadb();
    web = NamespacedWebServer.start("127.0.0.2", home, tmp.resolve("web1"));
    try (Provision p = Provision.builder().home(home).build()) {
      p.save("server_master", nginx.masterContext(fpm));
      p.save("server_web1", web.serverContext());
      p.save("server_db", db.serverContext());
      p.server("server_master").verify();
      p.server("server_web1").verify();
      p.server("server_db").verify();
      DrupalFixtures.platform(home.resolve("platforms/local"), Shape.DRUPAL10, Release.BASE);
      DrupalFixtures.platform(home.resolve("platforms/remote"), Shape.DRUPAL10, Release.NEWER);
      p.save("platform_local", PropertyChanges.builder().set("context_type", "platform")
          .set("root", home.resolve("platforms/local").toString()).build());
      p.save("platform_remote", PropertyChanges.builder().set("context_type", "platform")
          .set("root", home.resolve("platforms/remote").toString()).set("web_server", "@server_web1").build());
      p.platform("platform_local").verify();
      p.platform("platform_remote").verify();
      p.save(SITE, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_local")
          .set("db_server", "@server_db").set("client_email", "owner@example.com").build());
      p.site(SITE).run(Task.INSTALL);
      assertThat(Http.getUntil(nginx.port(), SITE, "/", r -> r.body().contains("installed=yes"),
          Duration.ofSeconds(10)).body()).as("installed and served by the local web server")
          .contains("release=10.3.1");

      TaskReport r = p.site(SITE).migrate(Migration.toPlatform("@platform_remote"));

      assertThat(r.succeeded()).as("the migrate succeeded").isTrue();
      String remote = Http.getUntil(web.port(), SITE, "/", x -> x.body().contains("installed=yes"),
          Duration.ofSeconds(10)).body();
      assertThat(remote).as("the remote web server serves the site from the newer platform, updated by the"
          + " Drush that ran there: %s", remote).contains("release=10.3.2", "schema="
          + DrupalFixtures.schemaVersion(Shape.DRUPAL10, Release.NEWER));
      assertThat(Http.getUntil(nginx.port(), SITE, "/", x -> !x.body().contains("site=" + SITE),
          Duration.ofSeconds(10)).body()).as("the local web server no longer serves it").doesNotContain("site=" + SITE);
      assertThat(home.resolve("platforms/local/sites").resolve(SITE)).as("its old directory is gone")
          .doesNotExist();
      assertThat(web.remote(home.resolve("platforms/remote/sites").resolve(SITE).resolve("settings.php")))
          .as("its settings are on the remote web server").exists();
    }
  }
}
