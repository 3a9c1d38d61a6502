package net.aegirj.provision.services.http;

import static net.aegirj.provision.services.http.HttpItSupport.PLATFORM;
import static net.aegirj.provision.services.http.HttpItSupport.assertConfigTestPasses;
import static net.aegirj.provision.services.http.HttpItSupport.httpUntil;
import static net.aegirj.provision.services.http.HttpItSupport.httpsUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.services.http.HttpItSupport.Rig;
import net.aegirj.provision.services.http.HttpItSupport.TlsResponse;
import net.aegirj.provision.services.http.HttpItSupport.Web;
import net.aegirj.provision.testkit.BindServer;
import net.aegirj.provision.testkit.PebbleServer;
import net.aegirj.provision.testkit.Ports;
import net.aegirj.provision.testkit.ServerProcess;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ssl_provider=letsencrypt} on real nginx and Apache against a real ACME server: Debian's
 * pebble, validating for real (HTTP-01 to the web server's port, names resolved by a BIND the
 * test runs), trusted through {@code acme_directory_ca} for the directory and through its issuing
 * root for the served chains.
 */
class AcmeHttpsIT {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nginx_ssl", "apache_ssl"})
  void letsEncryptCertificatesAreIssuedServedRenewedAndKeptOnFailure(String type, @TempDir Path temp) throws Exception {
    try (Rig rig = new Rig(temp); BindServer dns = PebbleServer.resolver(temp.resolve("dns"), List.of("test"))) {
      Web web = rig.start(type);
      Provision p = rig.provision;
      rig.saveServer(type, web);
      try (PebbleServer pebble = PebbleServer.start(temp.resolve("pebble"), web.port(), dns.port())) {
        saveAcme(p, pebble, 30);
        rig.savePlatform();
        p.server("server_master").verify();
        p.platform(PLATFORM).verify();

        // issue: uri and alias in one certificate, ssl_enabled=2
        rig.saveSite("a.test", "aliases", "www.a.test", "ssl_enabled", "2");
        p.site("a.test").verify();
        assertConfigTestPasses(web, "verify of a.test with letsencrypt");
        TlsResponse served = httpsUntil(web, "a.test", "/", r -> r.status() == 200);
        assertThat(served.body()).as("HTTPS serves the site").startsWith("host=a.test ");
        X509Certificate first = served.certificate();
        assertThat(first.getIssuerX500Principal().getName()).as("the certificate comes from pebble")
            .contains("Pebble Intermediate CA");
        assertThat(sans(first)).as("one certificate for the uri and its alias (SAN)")
            .containsExactlyInAnyOrder("a.test", "www.a.test");
        for (String host : List.of("a.test", "www.a.test")) {
          ServerProcess.Result curl = curl(pebble, web, host, "/");
          assertThat(curl.exitCode()).as("curl --cacert <pebble root> https://%s verifies the served chain: %s", host,
              curl.stderr()).isZero();
        }
        Path store = rig.home.resolve("config/ssl.d");
        assertThat(mode(store.resolve("a.test/openssl.key"))).as("the site's key is a secret").isEqualTo("rw-------");
        assertThat(mode(store.resolve(".acme/account.key"))).as("the account key is a secret").isEqualTo("rw-------");
        assertThat(mode(store.resolve(".acme"))).as("the ACME state directory").isEqualTo("rwx------");
        assertThat(Files.readString(store.resolve("a.test/openssl_chain.crt")))
            .as("the store keeps the chain").contains("BEGIN CERTIFICATE");
        byte[] accountKey = Files.readAllBytes(store.resolve(".acme/account.key"));

        // the redirect of ssl_enabled=2 lets the challenge through, now that HTTPS is on
        assertThat(httpUntil(web, "a.test", "/x", r -> r.status() == 301).header("Location"))
            .as("plain HTTP redirects to HTTPS").hasValueSatisfying(l -> assertThat(l).startsWith("https://a.test"));
        assertThat(httpUntil(web, "www.a.test", "/.well-known/acme-challenge/none", r -> r.status() != 301).status())
            .as("but not the ACME challenge path").isEqualTo(404);

        // a second verify changes nothing and talks to no ACME server
        int requests = pebble.acmeRequests();
        Map<String, String> before = snapshot(rig.home.resolve("config"));
        p.site("a.test").verify();
        assertThat(pebble.acmeRequests()).as("a verify with nothing due contacts pebble not at all: %s",
            pebble.requests()).isEqualTo(requests);
        assertThat(snapshot(rig.home.resolve("config"))).as("and changes no file").isEqualTo(before);

        // renewal, forced: acme_renew_days longer than the certificate's life; through the redirect
        saveAcme(p, pebble, 100);
        p.site("a.test").verify();
        X509Certificate renewed = httpsUntil(web, "a.test", "/", r -> r.status() == 200
            && !r.certificate().getSerialNumber().equals(first.getSerialNumber())).certificate();
        assertThat(renewed.getSerialNumber()).as("the served certificate was renewed")
            .isNotEqualTo(first.getSerialNumber());
        assertThat(Files.readAllBytes(store.resolve(".acme/account.key"))).as("the account key is reused")
            .isEqualTo(accountKey);

        // a disabled site still renews (its vhost serves the challenge before its redirect)
        p.site("a.test").disable();
        p.site("a.test").verify();
        X509Certificate whileDisabled = httpsUntil(web, "a.test", "/", r -> r.status() == 302
            && !r.certificate().getSerialNumber().equals(renewed.getSerialNumber())).certificate();
        assertThat(whileDisabled.getSerialNumber()).as("a disabled site's certificate renews")
            .isNotEqualTo(renewed.getSerialNumber());
        p.site("a.test").enable();
        saveAcme(p, pebble, 30);
        p.site("a.test").verify();

        // a challenge that fails keeps the old certificate serving, and nothing half-written
        try (PebbleServer blind = PebbleServer.start(temp.resolve("pebble2"), Ports.free(), dns.port())) {
          saveAcme(p, blind, 100);
          Map<String, String> storeBefore = snapshot(store);
          X509Certificate old = httpsUntil(web, "a.test", "/", r -> r.status() == 200).certificate();
          assertThatThrownBy(() -> p.site("a.test").verify()).as("the task fails when the challenge fails")
              .isInstanceOf(ProvisionException.class)
              .hasMessageContaining("could not validate")
              .hasMessageContaining("keeps the certificate it had");
          assertThat(snapshot(store)).as("the store is as it was (no temporary or half-written file)")
              .isEqualTo(storeBefore);
          assertThat(httpsUntil(web, "a.test", "/", r -> r.status() == 200).certificate().getSerialNumber())
              .as("the old certificate still serves").isEqualTo(old.getSerialNumber());
          assertThat(Files.list(rig.home.resolve("config/server_master/acme-challenge")).toList())
              .as("no challenge answer is left behind").isEmpty();
        }
        saveAcme(p, pebble, 30);

        // names a CA would refuse are refused before anything runs
        rig.saveSite("intranet", "ssl_enabled", "1");
        int beforeRefusal = pebble.acmeRequests();
        assertThatThrownBy(() -> p.site("intranet").verify()).as("a single-label name is refused")
            .isInstanceOf(ProvisionException.class).hasMessageContaining("single-label");
        assertThat(Files.exists(rig.vhost(type, "intranet"))).as("before anything was written").isFalse();
        assertThat(pebble.acmeRequests()).as("and before pebble was asked").isEqualTo(beforeRefusal);

        // SSL off: the web server's copy goes, and the store keeps the certificate no longer
        rig.saveSite("a.test", "ssl_enabled", "0");
        p.site("a.test").verify();
        assertThat(Files.exists(rig.home.resolve("config/server_master/ssl.d/a.test")))
            .as("SSL off removes the web server's copy").isFalse();
        assertThat(Files.exists(store.resolve("a.test"))).as("and the store's certificate").isFalse();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"contact=not-a-mail", "url=http://acme.example.org/dir", "url=https://x/dir\nx",
      "days=0", "provider=acme"})
  void hostileAcmeSettingsAreRefusedAtSave(String value, @TempDir Path temp) throws IOException {
    try (Provision p = Provision.builder().home(temp).build()) {
      p.save("server_master", PropertyChanges.builder().set("http_service_type", "nginx_ssl").build());
      String[] kv = value.split("=", 2);
      String property = switch (kv[0]) {
        case "contact" -> "acme_contact";
        case "url" -> "acme_directory_url";
        case "days" -> "acme_renew_days";
        default -> "ssl_provider";
      };
      assertThatThrownBy(() -> p.save("server_master", PropertyChanges.builder().set(property, kv[1]).build()))
          .as("%s=%s is refused", property, kv[1]).isInstanceOf(ProvisionException.class).hasMessageContaining(property);
    }
  }

  static void saveAcme(Provision p, PebbleServer pebble, int renewDays) {
    p.save("server_master", PropertyChanges.builder().set("ssl_provider", "letsencrypt")
        .set("acme_directory_url", pebble.directoryUrl()).set("acme_directory_ca", pebble.tlsCertificate().toString())
        .set("acme_contact", "hostmaster@example.org").set("acme_renew_days", Integer.toString(renewDays)).build());
  }

  static ServerProcess.Result curl(PebbleServer pebble, Web web, String host, String path) {
    return ServerProcess.run(List.of("curl", "-sS", "-o", "/dev/null", "--max-time", "10", "--cacert",
        pebble.issuingRoot().toString(), "--resolve", host + ":" + web.sslPort() + ":127.0.0.1",
        "https://" + host + ":" + web.sslPort() + path), Duration.ofSeconds(20));
  }

  static List<String> sans(X509Certificate c) throws Exception {
    List<String> out = new ArrayList<>();
    for (List<?> san : c.getSubjectAlternativeNames()) {
      out.add((String) san.get(1));
    }
    return out;
  }

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  /** Every file under a directory with its content (symlinks as their targets). */
  static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (Path f : HttpItSupport.filesUnder(dir)) {
      out.put(dir.relativize(f).toString(), HttpItSupport.contentOf(f));
    }
    return out;
  }
}
