package net.aegirj.provision.services.ssl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Names a CA would refuse are refused for {@code ssl_provider=letsencrypt} before anything runs:
 * at save for what the host name grammar refuses (wildcards, IPv6), at planning for the rest;
 * under reserved top-level names only when the directory is a public CA's.
 */
class AcmeNamesTest {
  @TempDir Path temp;

  private Provision provision(String directory) {
    Fixtures.phpPlatform(temp.resolve("platforms/a"));
    Provision p = Provision.builder().home(temp.resolve("home")).build();
    p.save("server_master", PropertyChanges.builder().set("http_service_type", "nginx_ssl")
        .set("phpfpm_address", "unix:/run/php/php8.2-fpm.sock").set("http_test_cmd", "true")
        .set("http_restart_cmd", "true").set("http_reload_check", "0").set("ssl_provider", "letsencrypt")
        .set("acme_directory_url", directory).build());
    p.save("platform_a", PropertyChanges.builder().set("context_type", "platform")
        .set("root", temp.resolve("platforms/a").toString()).build());
    return p;
  }

  @ParameterizedTest(name = "{0} {1} on {2}")
  @CsvSource({
      "uri, a.test, production, reserved name '.test'",
      "uri, b.local, production, reserved name '.local'",
      "uri, c.invalid, staging, reserved name '.invalid'",
      "aliases, www.localhost, production, reserved name '.localhost'",
      "uri, localhost, production, single-label",
      "uri, 192.0.2.10, production, is an IP address",
      "aliases, 192.0.2.11, https://acme.internal.example.org/dir, is an IP address",
      "uri, intranet, https://acme.internal.example.org/dir, single-label"})
  void namesACaRefusesAreRefusedBeforeAnythingRuns(String property, String name, String directory, String why) {
    try (Provision p = provision(directory)) {
      String uri = property.equals("uri") ? name : "site.example.org";
      PropertyChanges.Builder b = PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_a")
          .set("ssl_enabled", "2");
      if (!property.equals("uri")) {
        b.set(property, name);
      }
      p.save(uri, b.build());
      assertThatThrownBy(() -> p.site(uri).verify()).as("%s=%s with %s", property, name, directory)
          .isInstanceOf(ProvisionException.class).hasMessageContaining(name).hasMessageContaining(why);
      assertThat(temp.resolve("home/config/server_master/nginx/vhost.d").resolve(uri))
          .as("refused before anything was written").doesNotExist();
      assertThat(temp.resolve("home/config/ssl.d/.acme")).as("and before an ACME account key was made")
          .doesNotExist();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"*.a.example.org", "[::1]", "a_b.example.org", "-a.example.org"})
  void wildcardsAndAddressLiteralsAreRefusedAtSave(String alias) {
    try (Provision p = provision("production")) {
      assertThatThrownBy(() -> p.save("site.example.org", PropertyChanges.builder().set("context_type", "site")
          .set("platform", "@platform_a").set("ssl_enabled", "1").set("aliases", alias).build()))
          .as("alias %s is refused when saved", alias).isInstanceOf(ProvisionException.class)
          .hasMessageContaining("aliases");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"https://localhost:14000/dir", "https://acme.internal.example.org/dir"})
  void aPrivateDirectoryMayCertifyReservedNames(String directory) {
    try (Provision p = provision(directory)) {
      p.save("a.test", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_a")
          .set("ssl_enabled", "1").set("aliases", "www.a.test").build());
      assertThatCode(() -> SiteCertificates.checkNames(p.resolve("a.test"), p.resolve("server_master"),
          List.of("a.test", "www.a.test"))).as("a private ACME server (pebble, an internal CA) may certify .test")
          .doesNotThrowAnyException();
    }
  }
}
