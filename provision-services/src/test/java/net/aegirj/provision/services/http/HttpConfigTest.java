package net.aegirj.provision.services.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The http types' files, written by real tasks on the local host, with the test and reload
 * commands replaced by {@code true}/{@code false} and the reload check off, as nothing serves
 * (the real servers are exercised by HttpServersIT).
 */
class HttpConfigTest {
  @TempDir Path home;

  private Provision provision(String type) {
    net.aegirj.provision.testkit.Fixtures.phpPlatform(home.resolve("platforms/a"));
    Provision p = Provision.builder().home(home).build();
    p.save("server_master", PropertyChanges.builder().set("http_service_type", type).set("http_port", "8080")
        .set("phpfpm_address", "unix:/run/php/php8.2-fpm.sock").set("http_test_cmd", "true")
        .set("http_restart_cmd", "true").set("http_reload_check", "0").build());
    p.save("platform_a", PropertyChanges.builder().set("context_type", "platform")
        .set("root", home.resolve("platforms/a").toString()).build());
    p.save("a.example.com", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_a")
        .set("aliases", "www.a.example.com,a.example.org").build());
    return p;
  }

  private String read(String rel) throws IOException {
    return Files.readString(home.resolve(rel));
  }

  @Test
  void nginxServerPlatformAndSiteFiles() throws IOException {
    try (Provision p = provision("nginx")) {
      TaskReport server = p.server("server_master").verify();
      assertThat(server.reloads()).as("the new configuration is reloaded once").containsExactly("@server_master: http");
      assertThat(read("config/server_master/nginx.conf")).as("default 404 server and the four includes")
          .contains("listen *:8080 default_server;", "return 404;",
              "include " + home.resolve("config/server_master/nginx/vhost.d") + "/*;",
              "include " + home.resolve("config/server_master/nginx/pre.d") + "/*;");
      assertThat(Files.readSymbolicLink(home.resolve("config/nginx.conf")))
          .as("the system's nginx includes the server file through this link")
          .isEqualTo(home.resolve("config/server_master/nginx.conf"));
      assertThat(Integer.toOctalString(((Integer) Files.getAttribute(home.resolve("config/server_master/nginx/vhost.d"),
          "unix:mode")) & 07777)).as("vhost.d is 0700").isEqualTo("700");
      p.platform("platform_a").verify();
      p.site("a.example.com").verify();
      String vhost = read("config/server_master/nginx/vhost.d/a.example.com");
      assertThat(vhost).as("server names, root and PHP-FPM")
          .contains("server_name a.example.com www.a.example.com a.example.org;",
              "root " + home.resolve("platforms/a") + ";",
              "fastcgi_pass unix:/run/php/php8.2-fpm.sock;", "listen *:8080;");
      TaskReport again = p.site("a.example.com").verify();
      assertThat(again.changedPaths()).as("a second verify writes nothing").isEmpty();
      assertThat(again.reloads()).as("and reloads nothing").isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nginx", "nginx_ssl", "apache", "apache_ssl"})
  void theServerFileCarriesAMarkerThatChangesWithItAndOnlyWithIt(String type) throws IOException {
    try (Provision p = provision(type)) {
      String file = "config/server_master/" + (type.startsWith("nginx") ? "nginx" : "apache") + ".conf";
      p.server("server_master").verify();
      String first = read(file);
      var marker = ReloadCheck.markerIn(first);
      assertThat(marker).as("%s: the server file serves a marker at %s", type, ReloadCheck.PATH).isPresent();
      assertThat(first.split("provision-config-check " + marker.get(), -1))
          .as("%s: on every port of the default server", type).hasSize(type.endsWith("_ssl") ? 3 : 2);
      assertThat(marker.get()).as("%s: the marker is a hash of the file without it", type)
          .isEqualTo(ReloadCheck.marker(first.replace(marker.get(), "").getBytes(StandardCharsets.UTF_8)));
      List<ReloadCheck.Port> ports = new ArrayList<>(List.of(new ReloadCheck.Port("http", 8080)));
      if (type.endsWith("_ssl")) {
        ports.add(new ReloadCheck.Port("https", 443));
      }
      assertThat(ReloadCheck.targetsIn(first)).as("%s: the file names what the check asks (listen '*': loopback)", type)
          .contains(new ReloadCheck.Targets("127.0.0.1", ports));
      TaskReport again = p.server("server_master").verify();
      assertThat(again.reloads()).as("%s: a verify that changes nothing reloads and checks nothing", type).isEmpty();
      assertThat(read(file)).as("%s: and keeps the marker", type).isEqualTo(first);
      p.save("server_master", PropertyChanges.builder().set("http_port", "8081").build());
      p.server("server_master").verify();
      assertThat(ReloadCheck.markerIn(read(file))).as("%s: a new port is a new configuration, with a new marker", type)
          .isPresent().isNotEqualTo(marker);
    }
  }

  @Test
  void nginxRedirectionDisableAndDelete() throws IOException {
    try (Provision p = provision("nginx")) {
      p.server("server_master").verify();
      p.save("a.example.com", PropertyChanges.builder().set("redirection", "www.a.example.com").build());
      p.site("a.example.com").verify();
      String vhost = read("config/server_master/nginx/vhost.d/a.example.com");
      assertThat(vhost).as("the uri and the other aliases redirect to the target")
          .contains("server_name a.example.com;", "server_name a.example.org;",
              "return 301 $scheme://www.a.example.com$request_uri;", "server_name www.a.example.com;");
      p.site("a.example.com").disable();
      assertThat(read("config/server_master/nginx/vhost.d/a.example.com")).as("disabled: redirect to the disable URL")
          .contains("return 302 http://localhost/hosting/disabled/a.example.com;");
      assertThat(p.site("a.example.com").context().siteEnabled()).as("site_enabled saved").contains(false);
      p.site("a.example.com").enable();
      assertThat(read("config/server_master/nginx/vhost.d/a.example.com")).as("enabled again")
          .contains("fastcgi_pass");
      p.site("a.example.com").delete();
      assertThat(home.resolve("config/server_master/nginx/vhost.d/a.example.com")).as("delete removes the vhost")
          .doesNotExist();
      assertThat(p.list()).as("and the context").noneMatch(c -> c.name().value().equals("a.example.com"));
    }
  }

  @Test
  void aFailedConfigTestRollsTheFilesBackAndReloadsNothing() throws IOException {
    try (Provision p = provision("nginx")) {
      p.server("server_master").verify();
      p.site("a.example.com").verify();
      String before = read("config/server_master/nginx/vhost.d/a.example.com");
      p.save("server_master", PropertyChanges.builder().set("http_test_cmd", "echo broken config >&2; false")
          .set("http_restart_cmd", "touch " + home.resolve("reloaded")).build());
      p.save("a.example.com", PropertyChanges.builder().set("aliases", "b.example.com").build());
      assertThatThrownBy(() -> p.site("a.example.com").verify())
          .as("the configuration test fails the task").isInstanceOf(TaskFailedException.class)
          .hasMessageContaining("broken config").hasMessageContaining("nothing was reloaded");
      assertThat(read("config/server_master/nginx/vhost.d/a.example.com")).as("the old vhost is back")
          .isEqualTo(before);
      assertThat(home.resolve("reloaded")).as("no reload ran").doesNotExist();
    }
  }

  @Test
  void apacheWritesPlatformDirectoryAndVhost() throws IOException {
    try (Provision p = provision("apache")) {
      p.server("server_master").verify();
      assertThat(read("config/server_master/apache.conf")).as("default vhost and includes, no Listen")
          .contains("<VirtualHost *:8080>", "Redirect 404 /",
              "IncludeOptional " + home.resolve("config/server_master/apache/vhost.d") + "/*")
          .doesNotContain("\nListen");
      p.platform("platform_a").verify();
      assertThat(read("config/server_master/apache/platform.d/platform_a.conf")).as("grants the platform root")
          .contains("<Directory " + home.resolve("platforms/a") + ">", "Require all granted");
      p.site("a.example.com").verify();
      assertThat(read("config/server_master/apache/vhost.d/a.example.com")).as("vhost with aliases and FPM")
          .contains("ServerName a.example.com", "ServerAlias www.a.example.com", "ServerAlias a.example.org",
              "DocumentRoot " + home.resolve("platforms/a"),
              "SetHandler \"proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost\"");
      p.platform("platform_a");
      assertThatThrownBy(() -> p.platform("platform_a").delete()).as("a platform with sites cannot be deleted")
          .hasMessageContaining("@a.example.com");
      p.site("a.example.com").delete();
      p.platform("platform_a").delete();
      assertThat(home.resolve("config/server_master/apache/platform.d/platform_a.conf"))
          .as("platform delete removes its file").doesNotExist();
    }
  }

  @Test
  void operatorTemplatesOverrideOurs() throws IOException {
    Path templates = home.resolve("templates");
    Files.createDirectories(templates.resolve("nginx"));
    Files.writeString(templates.resolve("nginx/vhost.conf"), "# custom {{uri}} -> {{root}}\n");
    try (Provision p = provision("nginx")) {
      p.save("server_master", PropertyChanges.builder().set("http_template_dir", templates.toString()).build());
      p.server("server_master").verify();
      p.site("a.example.com").verify();
      assertThat(read("config/server_master/nginx/vhost.d/a.example.com")).as("the operator's template is used")
          .isEqualTo("# custom a.example.com -> " + home.resolve("platforms/a") + "\n");
      Files.writeString(templates.resolve("nginx/vhost.conf"), "{{#oops}}\n");
      assertThatThrownBy(() -> p.site("a.example.com").verify()).as("a broken template is a clear error")
          .hasMessageContaining("http_template_dir").hasMessageContaining("never closed");
      Files.writeString(templates.resolve("nginx/vhost.conf"), "# second {{uri}}\n");
      p.site("a.example.com").verify();
      assertThat(read("config/server_master/nginx/vhost.d/a.example.com"))
          .as("an operator's template edited while the JVM runs is read again, not taken from a cache")
          .isEqualTo("# second a.example.com\n");
    }
  }

  @Test
  void sslTypesMakeACentralCertificateAndServeHttps() throws IOException {
    try (Provision p = provision("nginx_ssl")) {
      p.save("server_master", PropertyChanges.builder().set("http_ssl_port", "8443").build());
      p.server("server_master").verify();
      assertThat(home.resolve("config/ssl.d/default/openssl.crt")).as("the default certificate in the central store")
          .content().startsWith("-----BEGIN CERTIFICATE-----");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
          home.resolve("config/server_master/ssl.d/default/openssl.key"))))
          .as("the server's copy of the key is private").isEqualTo("rw-------");
      assertThat(read("config/server_master/nginx.conf")).as("a default HTTPS server answering 404")
          .contains("listen *:8443 ssl default_server;");
      p.save("a.example.com", PropertyChanges.builder().set("ssl_enabled", "2").build());
      p.site("a.example.com").verify();
      String vhost = read("config/server_master/nginx/vhost.d/a.example.com");
      assertThat(vhost).as("plain HTTP redirects, HTTPS serves with the site's own certificate")
          .contains("return 301 https://$host$request_uri;", "listen *:8443 ssl;",
              "ssl_certificate " + home.resolve("config/server_master/ssl.d/a.example.com/openssl.crt") + ";");
      assertThat(home.resolve("config/ssl.d/a.example.com/openssl.key")).as("made for the site").exists();
      byte[] cert = Files.readAllBytes(home.resolve("config/ssl.d/a.example.com/openssl.crt"));
      p.site("a.example.com").verify();
      assertThat(Files.readAllBytes(home.resolve("config/ssl.d/a.example.com/openssl.crt")))
          .as("an existing certificate is kept, never regenerated").isEqualTo(cert);
    }
  }

  @Test
  void everyShippedTypeLoadsThroughServiceLoader() {
    java.util.List<String> ids = new java.util.ArrayList<>();
    for (net.aegirj.provision.spi.ServiceType t : java.util.ServiceLoader.load(net.aegirj.provision.spi.ServiceType.class)) {
      ids.add(t.service() + "/" + t.id());
    }
    assertThat(ids).as("the four http types are providers")
        .contains("http/nginx", "http/nginx_ssl", "http/apache", "http/apache_ssl");
  }
}
