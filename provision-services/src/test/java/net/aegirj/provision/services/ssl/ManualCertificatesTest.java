package net.aegirj.provision.services.ssl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ssl_provider=manual} through real tasks on the local host (the web server's test and
 * reload commands are {@code true}; {@code ManualCertificateIT} serves the files with real nginx
 * and Apache): the operator's files, dropped into the store or named by
 * {@code ssl_certificate_from}, become the vhost's certificate with its chain; wrong or hostile
 * files are refused with a clear error and change nothing.
 */
class ManualCertificatesTest {
  static final String SITE = "m.example.com";
  static final String ALIAS = "www.m.example.com";
  private static final TestCa CA = TestCa.create();

  @TempDir Path temp;

  private Provision provision() {
    Path home = temp.resolve("home");
    Fixtures.phpPlatform(temp.resolve("platforms/a"));
    Provision p = Provision.builder().home(home).build();
    p.save("server_master", PropertyChanges.builder().set("http_service_type", "nginx_ssl").set("http_port", "8080")
        .set("http_ssl_port", "8443").set("phpfpm_address", "unix:/run/php/php8.2-fpm.sock")
        .set("http_test_cmd", "true").set("http_restart_cmd", "true").set("http_reload_check", "0")
        .set("ssl_provider", "manual").build());
    p.save("platform_a", PropertyChanges.builder().set("context_type", "platform")
        .set("root", temp.resolve("platforms/a").toString()).build());
    p.save(SITE, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_a")
        .set("aliases", ALIAS).set("ssl_enabled", "2").build());
    p.server("server_master").verify();
    p.platform("platform_a").verify();
    return p;
  }

  private Path home() {
    return temp.resolve("home");
  }

  @Test
  void filesDroppedIntoTheStoreAreServedWithTheirChain() throws IOException {
    try (Provision p = provision()) {
      KeyPair key = TestCa.rsaKey();
      String crt = CA.site(key, SITE, ALIAS);
      CA.drop(home().resolve("config/ssl.d").resolve(SITE), TestCa.keyPem(key), crt);
      p.site(SITE).verify();
      Path copy = home().resolve("config/server_master/ssl.d").resolve(SITE);
      assertThat(Files.readString(copy.resolve(CertificateBundle.FULL_CHAIN)))
          .as("the web server gets the certificate followed by the operator's chain")
          .isEqualTo(crt + CA.chainPem());
      assertThat(mode(copy.resolve(CertificateBundle.KEY))).as("the web server's copy of the key is a secret")
          .isEqualTo("rw-------");
      assertThat(Files.readString(home().resolve("config/server_master/nginx/vhost.d").resolve(SITE)))
          .as("the vhost names the full chain and the key")
          .contains("ssl_certificate " + copy.resolve(CertificateBundle.FULL_CHAIN) + ";",
              "ssl_certificate_key " + copy.resolve(CertificateBundle.KEY) + ";");
      assertThat(mode(home().resolve("config/ssl.d").resolve(SITE).resolve(CertificateBundle.KEY)))
          .as("the key dropped in readable by all is made a secret in the store").isEqualTo("rw-------");
      assertThat(p.site(SITE).verify().changedPaths()).as("a second verify changes nothing").isEmpty();
    }
  }

  @Test
  void sslCertificateFromIsCheckedAndCopiedIntoTheStore() throws IOException {
    try (Provision p = provision()) {
      KeyPair key = TestCa.ecKey();
      Path from = CA.drop(temp.resolve("operator"), TestCa.keyPem(key), CA.site(key, SITE, ALIAS));
      p.save(SITE, PropertyChanges.builder().set("ssl_certificate_from", from.toString()).build());
      p.site(SITE).verify();
      Path store = home().resolve("config/ssl.d").resolve(SITE);
      assertThat(Files.readString(store.resolve(CertificateBundle.CERTIFICATE)))
          .as("the operator's certificate (an EC key's) is in the store")
          .isEqualTo(Files.readString(from.resolve(CertificateBundle.CERTIFICATE)));
      assertThat(mode(store.resolve(CertificateBundle.KEY))).as("the store's key is a secret").isEqualTo("rw-------");
      assertThat(mode(store)).as("in a private directory").isEqualTo("rwx------");
      assertThat(Files.readString(home().resolve("config/server_master/ssl.d").resolve(SITE)
          .resolve(CertificateBundle.CHAIN))).as("with its chain").isEqualTo(CA.chainPem());
    }
  }

  @Test
  void withoutFilesTheErrorSaysWhereToPutThem() {
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.site(SITE).verify()).as("no certificate anywhere")
          .isInstanceOf(ProvisionException.class)
          .hasMessageContaining("ssl_provider=manual needs")
          .hasMessageContaining(home().resolve("config/ssl.d").resolve(SITE).toString())
          .hasMessageContaining("--ssl_certificate_from=DIR");
      assertThat(home().resolve("config/server_master/nginx/vhost.d").resolve(SITE))
          .as("no vhost is left behind").doesNotExist();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"other key", "alias not covered", "expired", "huge certificate", "key not PEM",
      "two keys", "key a symlink", "certificate a directory"})
  void wrongOrHostileFilesAreRefusedAndChangeNothing(String what) throws IOException {
    try (Provision p = provision()) {
      KeyPair key = TestCa.rsaKey();
      CA.drop(home().resolve("config/ssl.d").resolve(SITE), TestCa.keyPem(key), CA.site(key, SITE, ALIAS));
      p.site(SITE).verify();
      Path from = bad(what);
      p.save(SITE, PropertyChanges.builder().set("ssl_certificate_from", from.toString()).build());
      Map<String, String> before = snapshot(home().resolve("config"));
      assertThatThrownBy(() -> p.site(SITE).verify()).as("%s is refused", what)
          .isInstanceOf(ProvisionException.class)
          .hasMessageContaining("ssl_certificate_from")
          .hasMessageContaining(expected(what))
          .satisfies(e -> assertThat(e.getMessage()).as("the message never holds a key")
              .doesNotContain("PRIVATE KEY-----").doesNotContain(base64Of(key)));
      assertThat(snapshot(home().resolve("config"))).as("%s changes nothing: store, web copy and vhost as they were",
          what).isEqualTo(before);
    }
  }

  private Path bad(String what) throws IOException {
    Path dir = temp.resolve("bad");
    KeyPair key = TestCa.rsaKey();
    String keyPem = TestCa.keyPem(key);
    Instant now = Instant.now();
    switch (what) {
      case "other key" -> CA.drop(dir, TestCa.keyPem(TestCa.rsaKey()), CA.site(key, SITE, ALIAS));
      case "alias not covered" -> CA.drop(dir, keyPem, CA.site(key, SITE));
      case "expired" -> CA.drop(dir, keyPem, CA.site(key, now.minus(Duration.ofDays(10)),
          now.minus(Duration.ofDays(1)), SITE, ALIAS));
      case "huge certificate" -> CA.drop(dir, keyPem, CA.site(key, SITE, ALIAS) + "A".repeat(70_000));
      case "key not PEM" -> {
        CA.drop(dir, "", CA.site(key, SITE, ALIAS));
        Files.write(dir.resolve(CertificateBundle.KEY), new byte[] {0, 1, 2, (byte) 0xff, 'x'});
      }
      case "two keys" -> CA.drop(dir, keyPem + TestCa.keyPem(TestCa.rsaKey()), CA.site(key, SITE, ALIAS));
      case "key a symlink" -> {
        Path real = temp.resolve("elsewhere.key");
        Files.writeString(real, keyPem);
        CA.drop(dir, keyPem, CA.site(key, SITE, ALIAS));
        Files.delete(dir.resolve(CertificateBundle.KEY));
        Files.createSymbolicLink(dir.resolve(CertificateBundle.KEY), real);
      }
      case "certificate a directory" -> {
        CA.drop(dir, keyPem, CA.site(key, SITE, ALIAS));
        Files.delete(dir.resolve(CertificateBundle.CERTIFICATE));
        Files.createDirectory(dir.resolve(CertificateBundle.CERTIFICATE));
      }
      default -> throw new IllegalArgumentException(what);
    }
    return dir;
  }

  private static String expected(String what) {
    return switch (what) {
      case "other key" -> "is not the key of openssl.crt";
      case "alias not covered" -> "does not cover " + ALIAS;
      case "expired" -> "expired on";
      case "huge certificate" -> "larger than";
      case "key not PEM" -> "openssl.key";
      case "two keys" -> "holds 2 private keys";
      case "key a symlink" -> "is a symbolic link";
      case "certificate a directory" -> "not a regular file";
      default -> throw new IllegalArgumentException(what);
    };
  }

  private static String base64Of(KeyPair key) {
    String pem = TestCa.keyPem(key);
    return pem.substring(pem.indexOf('\n') + 1, pem.indexOf('\n') + 40);
  }

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  /** Every path under a directory with its mode and content (a symlink's target). */
  static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path f : s.toList()) {
        String content = Files.isSymbolicLink(f) ? "-> " + Files.readSymbolicLink(f)
            : Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS) ? "dir"
            : new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        out.put(dir.relativize(f) + " " + mode(f), content);
      }
    }
    return out;
  }
}
