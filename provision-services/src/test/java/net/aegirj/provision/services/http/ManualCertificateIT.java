package net.aegirj.provision.services.http;

import static net.aegirj.provision.services.http.HttpItSupport.PLATFORM;
import static net.aegirj.provision.services.http.HttpItSupport.assertConfigTestPasses;
import static net.aegirj.provision.services.http.HttpItSupport.httpsUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.services.http.HttpItSupport.Rig;
import net.aegirj.provision.services.http.HttpItSupport.Web;
import net.aegirj.provision.services.ssl.TestCa;
import net.aegirj.provision.testkit.ServerProcess;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ssl_provider=manual} on real nginx and Apache: an operator's key, certificate and
 * chain (from a CA the test makes, root and intermediate), dropped into the central store or
 * named with {@code ssl_certificate_from}, are served with the chain, so that
 * {@code curl --cacert <root>} verifies; a key that is not the certificate's is refused and the
 * site keeps serving what it had.
 */
class ManualCertificateIT {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nginx_ssl", "apache_ssl"})
  void operatorCertificatesAreServedWithTheirChain(String type, @TempDir Path temp) throws Exception {
    TestCa ca = TestCa.create();
    Path root = temp.resolve("root.pem");
    Files.writeString(root, ca.rootPem());
    try (Rig rig = new Rig(temp)) {
      Web web = rig.start(type);
      Provision p = rig.provision;
      rig.saveServer(type, web);
      p.save("server_master", PropertyChanges.builder().set("ssl_provider", "manual").build());
      rig.savePlatform();
      p.server("server_master").verify();
      p.platform(PLATFORM).verify();

      // dropped into the store
      KeyPair rsa = TestCa.rsaKey();
      ca.drop(rig.home.resolve("config/ssl.d/m.test"), TestCa.keyPem(rsa), ca.site(rsa, "m.test", "www.m.test"));
      rig.saveSite("m.test", "aliases", "www.m.test", "ssl_enabled", "2");
      p.site("m.test").verify();
      assertConfigTestPasses(web, "verify of m.test with ssl_provider=manual");
      httpsUntil(web, "m.test", "/", r -> r.status() == 200);
      for (String host : List.of("m.test", "www.m.test")) {
        ServerProcess.Result curl = curl(root, web, host);
        assertThat(curl.exitCode()).as("%s: curl --cacert <the operator's root> verifies the served chain: %s", host,
            curl.stderr()).isZero();
      }

      // named with ssl_certificate_from (an EC key)
      KeyPair ec = TestCa.ecKey();
      Path from = ca.drop(temp.resolve("operator/n.test"), TestCa.keyPem(ec), ca.site(ec, "n.test"));
      rig.saveSite("n.test", "ssl_enabled", "1", "ssl_certificate_from", from.toString());
      p.site("n.test").verify();
      httpsUntil(web, "n.test", "/", r -> r.status() == 200);
      ServerProcess.Result curl = curl(root, web, "n.test");
      assertThat(curl.exitCode()).as("the certificate from ssl_certificate_from serves with its chain: %s",
          curl.stderr()).isZero();

      // a key that is not the certificate's: refused, and the site keeps serving what it had
      Path wrong = ca.drop(temp.resolve("operator/wrong"), TestCa.keyPem(TestCa.ecKey()), ca.site(ec, "n.test"));
      p.save("n.test", PropertyChanges.builder().set("ssl_certificate_from", wrong.toString()).build());
      Map<String, String> before = AcmeHttpsIT.snapshot(rig.home.resolve("config"));
      assertThatThrownBy(() -> p.site("n.test").verify()).as("a key that does not match is refused")
          .isInstanceOf(ProvisionException.class).hasMessageContaining("is not the key of openssl.crt");
      assertThat(AcmeHttpsIT.snapshot(rig.home.resolve("config"))).as("the refusal changed nothing")
          .isEqualTo(before);
      assertConfigTestPasses(web, "the refused verify");
      assertThat(curl(root, web, "n.test").exitCode()).as("the site still serves its certificate").isZero();
    }
  }

  private static ServerProcess.Result curl(Path root, Web web, String host) {
    return ServerProcess.run(List.of("curl", "-sS", "-o", "/dev/null", "--max-time", "10", "--cacert",
        root.toString(), "--resolve", host + ":" + web.sslPort() + ":127.0.0.1",
        "https://" + host + ":" + web.sslPort() + "/"), Duration.ofSeconds(20));
  }
}
