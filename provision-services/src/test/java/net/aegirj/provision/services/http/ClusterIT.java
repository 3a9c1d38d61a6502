package net.aegirj.provision.services.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.aegirj.provision.api.Migration;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.NamespacedWebServer;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PhpFpmServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several web servers for one platform (Aegir's cluster) and a pack front, with real parts: two
 * "remote" web servers (the testkit's namespaced sshd on 127.0.0.2 and 127.0.0.3, each with nginx
 * and PHP-FPM that see only what was pushed to it over SSH), the local nginx as the pack front
 * balancing to both, and MariaDB. A site on the two-server platform must answer from each server
 * directly and through the front; a configuration test that fails on one server must leave both
 * as they were.
 */
class ClusterIT {
  private static final String SITE = "cluster.example.com";
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path tmp;
  Path home;
  LocalServers servers;
  NginxServer front;
  PhpFpmServer fpm;
  MariaDbServer db;
  NamespacedWebServer web1;
  NamespacedWebServer web2;

  @BeforeEach
  void start() throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    home = Files.createDirectories(tmp.resolve("aegir"));
    servers = LocalServers.in(Files.createDirectories(tmp.resolve("state")));
    fpm = servers.phpFpm();
    front = servers.nginx(home);
    db = servers.mariadb();
    web1 = NamespacedWebServer.start("127.0.0.2", home, tmp.resolve("web1"));
    web2 = NamespacedWebServer.start("127.0.0.3", home, tmp.resolve("web2"));
  }

  @AfterEach
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {web2, web1, servers}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // the next one still stops
      }
    }
  }

  private Provision provision() {
    return Provision.builder().home(home).build();
  }

  /** Saves and verifies the servers and the two-server platform, and installs the site. */
  private TaskReport installOnTwoServers(Provision p, Path root) {
    p.save("server_web1", web1.serverContext());
    p.save("server_web2", web2.serverContext());
    p.save("server_db", db.serverContext());
    p.save("server_master", front.masterContext(fpm));
    p.save("server_master", PropertyChanges.builder().set("http_service_type", "pack")
        .set("pack_web_servers", "@server_web1,@server_web2").build());
    for (String s : List.of("server_web1", "server_web2", "server_db", "server_master")) {
      p.server(s).verify();
    }
    Fixtures.phpPlatform(root);
    p.save("platform_cluster", PropertyChanges.builder().set("context_type", "platform").set("root", root.toString())
        .set("web_server", "@server_web1").set("web_servers", "@server_web2").build());
    p.platform("platform_cluster").verify();
    p.save(SITE, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_cluster")
        .set("db_server", "@server_db").set("install_method", "manual").build());
    return p.site(SITE).run(Task.INSTALL);
  }

  private static Http.Response served(int port, String host, String path) {
    return Http.getUntil(port, host, path, r -> r.status() == 200, WAIT);
  }

  @Test
  void aSiteOnATwoServerPlatformAnswersFromEachServerAndThroughThePackFront() throws IOException {
    Path root = home.resolve("platforms/cluster");
    Path sitePath = root.resolve("sites").resolve(SITE);
    try (Provision p = provision()) {
      TaskReport install = installOnTwoServers(p, root);
      String dbName = p.site(SITE).context().dbName().orElseThrow();

      for (NamespacedWebServer web : List.of(web1, web2)) {
        assertThat(web.remote(root.resolve("index.php"))).as("platform verify pushed the code base to %s", web)
            .exists();
        assertThat(web.remote(sitePath.resolve("settings.php"))).as("the site's settings are on %s", web).exists();
        assertThat(served(web.port(), SITE, "/").body()).as("%s serves the site with its database", web)
            .contains("host=" + SITE, "site=" + SITE, "db=" + dbName);
      }
      assertThat(install.reloads()).as("each web server was reloaded once")
          .contains("@server_web1: http", "@server_web2: http");
      assertThat(web1.remote(home.resolve("config/server_web1/nginx/vhost.d/" + SITE))).as("web1's vhost").exists();
      assertThat(web2.remote(home.resolve("config/server_web2/nginx/vhost.d/" + SITE))).as("web2's vhost").exists();

      String conf = Files.readString(home.resolve("config/server_master/nginx.conf"));
      assertThat(conf).as("the front's verify wrote its upstream of both web servers")
          .contains("upstream provision_pack", "server 127.0.0.1:" + web1.port(), "server 127.0.0.1:" + web2.port());
      assertThat(served(front.port(), SITE, "/").body()).as("the front passes the site's requests on")
          .contains("host=" + SITE, "db=" + dbName);

      // Each server's files/ is its own (shared storage is the operator's): a file that tells them apart.
      Files.writeString(web1.remote(sitePath.resolve("files/who.txt")), "web1\n");
      Files.writeString(web2.remote(sitePath.resolve("files/who.txt")), "web2\n");
      String who = "/sites/" + SITE + "/files/who.txt";
      assertThat(served(web1.port(), SITE, who).body()).as("web1 directly").isEqualTo("web1\n");
      assertThat(served(web2.port(), SITE, who).body()).as("web2 directly").isEqualTo("web2\n");
      Set<String> through = new HashSet<>();
      for (int i = 0; i < 8; i++) {
        through.add(served(front.port(), SITE, who).body());
      }
      assertThat(through).as("the front balances the site's requests over both web servers")
          .containsExactlyInAnyOrder("web1\n", "web2\n");

      TaskReport again = p.site(SITE).verify();
      assertThat(again.changedPaths()).as("a second verify changes nothing on either server").isEmpty();
      assertThat(again.reloads()).as("and reloads neither").isEmpty();
      assertThat(web1.remote(sitePath.resolve("files/who.txt"))).as("verify leaves each server's files/ alone")
          .hasContent("web1");
    }
  }

  @Test
  void aFailingConfigurationTestOnOneServerLeavesBothAsTheyWere() throws IOException {
    Path root = home.resolve("platforms/cluster");
    try (Provision p = provision()) {
      installOnTwoServers(p, root);
      Path vhost1 = web1.remote(home.resolve("config/server_web1/nginx/vhost.d/" + SITE));
      Path vhost2 = web2.remote(home.resolve("config/server_web2/nginx/vhost.d/" + SITE));
      byte[] before1 = Files.readAllBytes(vhost1);
      byte[] before2 = Files.readAllBytes(vhost2);
      Site before = p.site(SITE).context();
      // An operator's broken include on web2 only: nginx -t fails there, and only there.
      Path broken = web2.remote(home.resolve("config/server_web2/nginx/pre.d/broken.conf"));
      Files.writeString(broken, "this is not nginx;\n");

      p.save(SITE, PropertyChanges.builder().set("aliases", "www.cluster.example.com").build());
      assertThatThrownBy(() -> p.site(SITE).verify()).as("the task fails on web2's configuration test")
          .isInstanceOf(TaskFailedException.class)
          .hasMessageContaining("configuration test on @server_web2");

      assertThat(vhost1).as("web1's vhost was rolled back although its test passed").hasBinaryContent(before1);
      assertThat(vhost2).as("web2's vhost was rolled back").hasBinaryContent(before2);
      for (NamespacedWebServer web : List.of(web1, web2)) {
        assertThat(served(web.port(), SITE, "/").body()).as("%s still serves the site", web).contains("host=" + SITE);
        assertThat(Http.get(web.port(), "www.cluster.example.com", "/").status())
            .as("%s does not serve the alias of the failed task", web).isEqualTo(404);
      }
      assertThat(p.site(SITE).context().aliases()).as("the saved alias stays for the next verify")
          .contains("www.cluster.example.com");
      assertThat(before.aliases()).as("it was new").isEmpty();

      Files.delete(broken);
      TaskReport fixed = p.site(SITE).verify();
      assertThat(fixed.reloads()).as("once web2 is fixed, both are reloaded")
          .contains("@server_web1: http", "@server_web2: http");
      for (NamespacedWebServer web : List.of(web1, web2)) {
        assertThat(served(web.port(), "www.cluster.example.com", "/").body()).as("%s serves the alias", web)
            .contains("host=www.cluster.example.com");
      }
      assertThat(new String(Files.readAllBytes(vhost2), StandardCharsets.UTF_8)).as("web2's vhost names it")
          .contains("www.cluster.example.com");
    }
  }

  @Test
  void aSiteMigratedToAOneServerPlatformLeavesTheOtherServer() throws IOException {
    Path root = home.resolve("platforms/cluster");
    Path single = home.resolve("platforms/single");
    try (Provision p = provision()) {
      installOnTwoServers(p, root);
      Fixtures.phpPlatform(single);
      p.save("platform_single", PropertyChanges.builder().set("context_type", "platform").set("root", single.toString())
          .set("web_server", "@server_web1").build());
      p.platform("platform_single").verify();

      TaskReport migrate = p.site(SITE).migrate(Migration.toPlatform("@platform_single"));

      assertThat(migrate.succeeded()).as("the migrate succeeded").isTrue();
      assertThat(served(web1.port(), SITE, "/").body()).as("web1 serves the site from its new platform")
          .contains("host=" + SITE, "site=" + SITE);
      assertThat(web1.remote(single.resolve("sites").resolve(SITE).resolve("settings.php")))
          .as("its settings moved on web1").exists();
      assertThat(web1.remote(root.resolve("sites").resolve(SITE))).as("its old directory left web1").doesNotExist();
      assertThat(web2.remote(home.resolve("config/server_web2/nginx/vhost.d/" + SITE)))
          .as("web2, which does not publish the new platform, lost the vhost").doesNotExist();
      assertThat(web2.remote(root.resolve("sites").resolve(SITE))).as("and its copy of the site directory")
          .doesNotExist();
      assertThat(Http.getUntil(web2.port(), SITE, "/", r -> r.status() == 404, WAIT).status())
          .as("web2 no longer serves the site").isEqualTo(404);
    }
  }
}
