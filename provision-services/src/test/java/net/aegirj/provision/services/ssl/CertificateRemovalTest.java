package net.aegirj.provision.services.ssl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site's certificate leaves the web server and the store with the site, through real tasks on
 * the local host (test and reload commands {@code true}); one shared through {@code ssl_key}
 * stays while another site's vhost serves it. The store is seeded with certificates of a
 * {@link TestCa} that are not due, so no ACME server is asked (the directory does not resolve:
 * any request would fail the task).
 */
class CertificateRemovalTest {
  private static final TestCa CA = TestCa.create();

  @TempDir Path temp;

  private Provision provision(String provider) {
    Fixtures.phpPlatform(temp.resolve("platforms/a"));
    Provision p = Provision.builder().home(home()).build();
    p.save("server_master", PropertyChanges.builder().set("http_service_type", "nginx_ssl").set("http_port", "8080")
        .set("http_ssl_port", "8443").set("phpfpm_address", "unix:/run/php/php8.2-fpm.sock")
        .set("http_test_cmd", "true").set("http_restart_cmd", "true").set("http_reload_check", "0")
        .set("ssl_provider", provider).set("acme_directory_url", "https://acme.invalid/directory")
        .set("acme_renew_days", "1").build());
    p.save("platform_a", PropertyChanges.builder().set("context_type", "platform")
        .set("root", temp.resolve("platforms/a").toString()).build());
    p.server("server_master").verify();
    p.platform("platform_a").verify();
    return p;
  }

  private Path home() {
    return temp.resolve("home");
  }

  private Path store(String name) {
    return home().resolve("config/ssl.d").resolve(name);
  }

  private Path webCopy(String name) {
    return home().resolve("config/server_master/ssl.d").resolve(name);
  }

  private void seed(String name, String... names) {
    KeyPair key = TestCa.rsaKey();
    CA.drop(store(name), TestCa.keyPem(key), CA.site(key, names));
  }

  private void site(Provision p, String uri, String... props) {
    PropertyChanges.Builder b = PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_a")
        .set("ssl_enabled", "1");
    for (int i = 0; i < props.length; i += 2) {
      b.set(props[i], props[i + 1]);
    }
    p.save(uri, b.build());
  }

  @Test
  void deletingALetsEncryptSiteRemovesItsCopyAndItsStoreEntry() throws IOException {
    try (Provision p = provision("letsencrypt")) {
      seed("a.example.com", "a.example.com");
      site(p, "a.example.com");
      p.site("a.example.com").verify();
      assertThat(webCopy("a.example.com").resolve(CertificateBundle.FULL_CHAIN))
          .as("verify copied the store's certificate (not due: no ACME request) to the web server").exists();
      TaskReport delete = p.site("a.example.com").delete();
      assertThat(delete.reloads()).as("the web server reloads without the site").isNotEmpty();
      assertThat(webCopy("a.example.com")).as("delete removes the web server's copy").doesNotExist();
      assertThat(store("a.example.com")).as("and the store's entry").doesNotExist();
      assertThat(home().resolve("config/server_master/nginx/vhost.d/a.example.com")).as("and the vhost")
          .doesNotExist();
    }
  }

  @Test
  void aCertificateSharedThroughSslKeyStaysWhileAnotherSiteServesIt() throws IOException {
    try (Provision p = provision("manual")) {
      seed("shared", "b.example.com", "c.example.com");
      site(p, "b.example.com", "ssl_key", "shared");
      site(p, "c.example.com", "ssl_key", "shared");
      p.site("b.example.com").verify();
      p.site("c.example.com").verify();
      Path vhostC = home().resolve("config/server_master/nginx/vhost.d/c.example.com");
      assertThat(Files.readString(vhostC)).as("c's vhost serves the shared copy")
          .contains(webCopy("shared").resolve(CertificateBundle.FULL_CHAIN).toString());

      TaskReport deleteB = p.site("b.example.com").delete();
      assertThat(webCopy("shared").resolve(CertificateBundle.KEY))
          .as("deleting b keeps the shared copy: c's vhost names it").exists();
      assertThat(store("shared").resolve(CertificateBundle.KEY)).as("and the store's entry").exists();
      assertThat(deleteB.warnings()).as("the delete says why the certificate stays")
          .anySatisfy(w -> assertThat(w).contains("certificate shared stays", "c.example.com"));
      assertThat(p.site("c.example.com").verify().changedPaths()).as("c still verifies, unchanged").isEmpty();

      p.site("c.example.com").delete();
      assertThat(webCopy("shared")).as("deleting the last site serving it removes the web server's copy")
          .doesNotExist();
      assertThat(store("shared").resolve(CertificateBundle.KEY))
          .as("the store keeps a shared ssl_key's entry (sites on other web servers may name it)").exists();
    }
  }

  @Test
  void aSiteWhoseUriIsAnotherSitesSslKeyKeepsItsCertificateForThatSite() throws IOException {
    try (Provision p = provision("manual")) {
      seed("d.example.com", "d.example.com", "e.example.com");
      site(p, "d.example.com");
      site(p, "e.example.com", "ssl_key", "d.example.com");
      p.site("d.example.com").verify();
      p.site("e.example.com").verify();
      p.site("d.example.com").delete();
      assertThat(webCopy("d.example.com").resolve(CertificateBundle.KEY))
          .as("d's own certificate stays on the web server while e serves it").exists();
      assertThat(store("d.example.com").resolve(CertificateBundle.KEY)).as("and in the store").exists();
      p.site("e.example.com").delete();
      assertThat(webCopy("d.example.com")).as("then goes with e").doesNotExist();
    }
  }
}
