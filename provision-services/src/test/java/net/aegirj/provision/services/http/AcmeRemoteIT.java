package net.aegirj.provision.services.http;

import static net.aegirj.provision.services.http.HttpItSupport.httpsUntil;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.services.http.HttpItSupport.Web;
import net.aegirj.provision.testkit.BindServer;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.PebbleServer;
import net.aegirj.provision.testkit.Ports;
import net.aegirj.provision.testkit.NamespacedWebServer;
import net.aegirj.provision.testkit.RemoteWebServer;
import net.aegirj.provision.testkit.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ssl_provider=letsencrypt} for a site on a remote web server: the testkit's sshd on
 * 127.0.0.2 in its own mount namespace (the Aegir root backed by {@code view}), with a real nginx
 * inside it listening on this machine's loopback (the network is shared), so pebble's HTTP-01
 * request reaches it. The challenge answer, the vhost and the certificate copy exist only where
 * they were written over SSH; the central store stays on the master.
 */
class AcmeRemoteIT {
  private static final String SITE = "r.test";

  @TempDir Path tmp;

  @Test
  void certificatesAreIssuedRenewedAndRemovedForASiteOnARemoteWebServer() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path home = Files.createDirectories(tmp.resolve("aegir"));
    int sslPort = Ports.free();
    try (BindServer dns = PebbleServer.resolver(tmp.resolve("dns"), List.of("test"));
        NamespacedWebServer machine = NamespacedWebServer.start("127.0.0.2", home, tmp.resolve("web1"));
        PebbleServer pebble = PebbleServer.start(tmp.resolve("pebble"), machine.port(), dns.port());
        Provision p = Provision.builder().home(home).build()) {
      RemoteWebServer remote = machine.web();
      Web web = new Web("nginx", remote.port(), sslPort, remote.testCommand(), remote.reloadCommand(),
          remote.errorLog());
      p.save("server_web1", remote.serverContext());
      p.save("server_web1", PropertyChanges.builder().set("http_service_type", "nginx_ssl")
          .set("http_ssl_port", Integer.toString(sslPort)).set("ssl_provider", "letsencrypt")
          .set("acme_directory_url", pebble.directoryUrl()).set("acme_directory_ca", pebble.tlsCertificate().toString())
          .set("acme_contact", "hostmaster@example.org").set("acme_renew_days", "30").build());
      Fixtures.phpPlatform(home.resolve("platforms/fixture"));
      p.save("platform_fixture", PropertyChanges.builder().set("context_type", "platform")
          .set("root", home.resolve("platforms/fixture").toString()).set("web_server", "@server_web1").build());
      p.server("server_master").verify();
      p.server("server_web1").verify();
      p.platform("platform_fixture").verify();

      p.save(SITE, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
          .set("aliases", "www." + SITE).set("ssl_enabled", "2").build());
      p.site(SITE).verify();
      X509Certificate first = httpsUntil(web, SITE, "/", r -> r.status() == 200).certificate();
      assertThat(first.getIssuerX500Principal().getName()).as("the remote nginx serves pebble's certificate")
          .contains("Pebble Intermediate CA");
      for (String host : List.of(SITE, "www." + SITE)) {
        ServerProcess.Result curl = AcmeHttpsIT.curl(pebble, web, host, "/");
        assertThat(curl.exitCode()).as("curl --cacert <pebble root> https://%s on the remote verifies: %s", host,
            curl.stderr()).isZero();
      }
      Path copy = home.resolve("config/server_web1/ssl.d").resolve(SITE);
      assertThat(machine.remote(copy).resolve("openssl_fullchain.crt"))
          .as("the certificate was copied over SSH to the remote").exists();
      assertThat(home.resolve("config/server_web1")).as("and written on the remote only").doesNotExist();
      assertThat(AcmeHttpsIT.mode(machine.remote(copy).resolve("openssl.key")))
          .as("the remote's copy of the key is a secret").isEqualTo("rw-------");
      assertThat(home.resolve("config/ssl.d").resolve(SITE).resolve("openssl.key"))
          .as("the central store is on the master").exists();
      assertThat(Files.list(machine.remote(home.resolve("config/server_web1/acme-challenge"))).toList())
          .as("the challenge answers were served from the remote and removed there").isEmpty();

      int requests = pebble.acmeRequests();
      p.site(SITE).verify();
      assertThat(pebble.acmeRequests()).as("a verify with nothing due contacts pebble not at all")
          .isEqualTo(requests);

      p.save("server_web1", PropertyChanges.builder().set("acme_renew_days", "100").build());
      p.site(SITE).verify();
      X509Certificate renewed = httpsUntil(web, SITE, "/", r -> r.status() == 200
          && !r.certificate().getSerialNumber().equals(first.getSerialNumber())).certificate();
      assertThat(renewed.getSerialNumber()).as("renewal through the remote's redirecting vhost")
          .isNotEqualTo(first.getSerialNumber());

      p.site(SITE).delete();
      assertThat(machine.remote(copy)).as("delete removes the copy on the remote").doesNotExist();
      assertThat(home.resolve("config/ssl.d").resolve(SITE)).as("and the store's entry").doesNotExist();
    }
  }
}
