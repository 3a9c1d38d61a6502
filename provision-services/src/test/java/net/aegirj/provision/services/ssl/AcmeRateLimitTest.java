package net.aegirj.provision.services.ssl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.host.LocalHost;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.testkit.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rate-limit answer of an ACME server, in plain words: a fake directory over HTTPS (the
 * JDK's server, a {@link TestCa} certificate for {@code localhost}) answers the new-account
 * request with Let's Encrypt's {@code rateLimited} problem and a {@code Retry-After}; the client
 * says so, says until when, and sends that request once (no retry storm); and until that time,
 * the next site of the same {@code Provision} instance (a batch renewal) sends nothing at all, nor
 * does another process (another instance sharing the home: a cron {@code ssl-renew}), which reads
 * the record the first one kept in the store's {@code .acme}; a record that is not one of ours
 * is ignored with a warning.
 */
class AcmeRateLimitTest {
  private static final String DETAIL = "too many certificates already issued for \"example.org\". Retry after "
      + "2026-12-07T00:00:00Z: see https://letsencrypt.org/docs/rate-limits/";

  private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
  private HttpsServer server;
  private TestCa ca;

  @TempDir Path temp;

  @BeforeEach
  void start() throws Exception {
    ca = TestCa.create();
    KeyPair key = TestCa.rsaKey();
    List<X509Certificate> chain = new ArrayList<>(Pem.readCertificates(ca.site(key, "localhost"), "site"));
    chain.addAll(Pem.readCertificates(ca.chainPem(), "chain"));
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("localhost", key.getPrivate(), new char[0], chain.toArray(new Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, new char[0]);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.createContext("/", this::answer);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String base() {
    return "https://localhost:" + server.getAddress().getPort();
  }

  private void answer(HttpExchange x) throws IOException {
    String path = x.getRequestURI().getPath();
    requests.add(x.getRequestMethod() + " " + path);
    x.getRequestBody().readAllBytes();
    x.getResponseHeaders().add("Replay-Nonce", "bm9uY2U" + requests.size());
    x.getResponseHeaders().add("Cache-Control", "no-store");
    switch (path) {
      case "/dir" -> send(x, 200, "application/json", "{\"newNonce\": \"" + base() + "/nonce\", \"newAccount\": \""
          + base() + "/account\", \"newOrder\": \"" + base() + "/order\", \"revokeCert\": \"" + base()
          + "/revoke\", \"keyChange\": \"" + base() + "/key\", \"meta\": {}}");
      case "/nonce" -> {
        x.sendResponseHeaders(200, -1);
        x.close();
      }
      case "/account" -> {
        x.getResponseHeaders().add("Retry-After", "Mon, 07 Dec 2026 00:00:00 GMT");
        x.getResponseHeaders().add("Link", "<https://letsencrypt.org/docs/rate-limits/>;rel=\"help\"");
        send(x, 429, "application/problem+json", "{\"type\": \"urn:ietf:params:acme:error:rateLimited\", "
            + "\"detail\": \"" + DETAIL.replace("\"", "\\\"") + "\", \"status\": 429}");
      }
      default -> send(x, 404, "application/problem+json", "{\"type\": \"urn:ietf:params:acme:error:malformed\", "
          + "\"detail\": \"no such resource\", \"status\": 404}");
    }
  }

  private static void send(HttpExchange x, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", type);
    x.sendResponseHeaders(status, bytes.length);
    x.getResponseBody().write(bytes);
    x.close();
  }

  private AcmeClient.Challenges none(List<String> challenges) {
    return new AcmeClient.Challenges() {
      @Override
      public void put(String token, String content) {
        challenges.add(token);
      }

      @Override
      public void remove(String token) {
        challenges.remove(token);
      }
    };
  }

  @Test
  void aRateLimitIsRememberedSoTheNextSiteOfABatchSendsNothing() {
    AcmeClient client = new AcmeClient(base() + "/dir", Optional.of(ca.rootPem().getBytes(StandardCharsets.US_ASCII)));
    RateLimits limits = new RateLimits();
    List<String> challenges = new ArrayList<>();
    assertThatThrownBy(() -> client.issue(TestCa.rsaKey(), Optional.empty(), List.of("example.org"),
        none(challenges), limits)).as("the first site meets the rate limit").hasMessageContaining("(rate limit)");
    int sent = requests.size();
    assertThatThrownBy(() -> client.issue(TestCa.rsaKey(), Optional.empty(), List.of("example.net"),
        none(challenges), limits)).as("the next site is refused without asking, saying until when")
        .isInstanceOf(ProvisionException.class)
        .hasMessageContaining("holds until")
        .hasMessageContaining("no request was sent");
    assertThat(requests).as("the second site sent nothing to the ACME server").hasSize(sent);
    // Until the Retry-After the server named (or an hour from now, once that time has passed).
    Instant until = limits.limitedUntil(base() + "/dir", Instant.now()).orElseThrow();
    assertThat(until).as("remembered until a time still to come").isAfter(Instant.now());
    assertThat(limits.limitedUntil(base() + "/dir", until.plusSeconds(1)))
        .as("after that time, requests may go again").isEmpty();
    assertThat(limits.limitedUntil(base() + "/other", Instant.now()))
        .as("another ACME server is not limited by this one's answer").isEmpty();
  }

  @Test
  void aRateLimitIsReportedInPlainWordsAndNotRetried() {
    AcmeClient client = new AcmeClient(base() + "/dir",
        Optional.of(ca.rootPem().getBytes(StandardCharsets.US_ASCII)));
    List<String> challenges = new ArrayList<>();
    assertThatThrownBy(() -> client.issue(TestCa.rsaKey(), Optional.of("hostmaster@example.org"),
        List.of("example.org"), new AcmeClient.Challenges() {
          @Override
          public void put(String token, String content) {
            challenges.add(token);
          }

          @Override
          public void remove(String token) {
            challenges.remove(token);
          }
        }))
        .as("the rate limit becomes a ProvisionException in plain words")
        .isInstanceOf(ProvisionException.class)
        .hasMessageContaining("refuses for now (rate limit)")
        .hasMessageContaining("too many certificates already issued for \"example.org\"")
        .hasMessageContaining("try again after 2026-12-07T00:00:00Z")
        .hasMessageContaining("does not retry");
    assertThat(requests.stream().filter(r -> r.equals("POST /account")).count())
        .as("the refused request is sent once, not retried: %s", requests).isEqualTo(1);
    assertThat(requests).as("nothing is ordered after the refusal").doesNotContain("POST /order");
    assertThat(challenges).as("no challenge answer was written").isEmpty();
  }

  @Test
  void aRateLimitIsKeptForAnotherProcessOutsideTheJournal() throws IOException {
    Path home = temp.resolve("home");
    Path rootPem = temp.resolve("acme-root.pem");
    Files.writeString(rootPem, ca.rootPem());
    Fixtures.phpPlatform(temp.resolve("platforms/a"));
    try (Provision first = Provision.builder().home(home).build()) {
      first.save("server_master", PropertyChanges.builder().set("http_service_type", "nginx_ssl")
          .set("http_port", "8080").set("http_ssl_port", "8443").set("phpfpm_address", "unix:/run/php/php8.2-fpm.sock")
          .set("http_test_cmd", "true").set("http_restart_cmd", "true").set("http_reload_check", "0")
          .set("ssl_provider", "letsencrypt").set("acme_directory_url", base() + "/dir")
          .set("acme_directory_ca", rootPem.toString()).build());
      first.save("platform_a", PropertyChanges.builder().set("context_type", "platform")
          .set("root", temp.resolve("platforms/a").toString()).build());
      first.server("server_master").verify();
      first.platform("platform_a").verify();
      first.save("example.org", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_a")
          .set("ssl_enabled", "1").build());
      assertThatThrownBy(() -> first.site("example.org").verify()).as("the first process meets the rate limit")
          .isInstanceOf(ProvisionException.class).hasMessageContaining("(rate limit)");
    }
    assertThat(requests).as("the first process asked for an account: %s", requests).contains("POST /account");
    Path acme = home.resolve("config/ssl.d/.acme");
    Path record = acme.resolve(RateLimits.fileName(base() + "/dir"));
    assertThat(record).as("the failed task's rollback kept the rate limit's record").exists();
    assertThat(Files.getPosixFilePermissions(record)).as("the record is 0600")
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(acme)).as("in a 0700 directory")
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    Path accountKey = acme.resolve("account.key");
    assertThat(accountKey).as("the account key made for the registered account outlives the rollback, so the next"
        + " attempt reuses the account instead of registering another").exists();
    assertThat(Files.getPosixFilePermissions(accountKey)).as("the account key is 0600")
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));

    int sent = requests.size();
    try (Provision second = Provision.builder().home(home).build()) {
      assertThatThrownBy(() -> second.site("example.org").verify())
          .as("another process (a cron ssl-renew) respects the limit")
          .isInstanceOf(ProvisionException.class).hasMessageContaining("holds until")
          .hasMessageContaining("no request was sent");
    }
    assertThat(requests).as("the second process sent nothing to the ACME server").hasSize(sent);
  }

  @Test
  void twoInstancesSharingAStoreShareItsRateLimits() {
    Host host = new LocalHost("local");
    Path dir = temp.resolve("ssl.d/.acme");
    List<String> warnings = new ArrayList<>();
    Instant now = Instant.now();
    Instant retryAfter = now.plus(Duration.ofMinutes(142));
    try (RateLimits one = new RateLimits()) {
      one.on(host, dir, warnings::add).limited("https://acme.example.org/dir", Optional.of(retryAfter), now);
    }
    try (RateLimits other = new RateLimits()) {
      RateLimits view = other.on(host, dir, warnings::add);
      assertThat(view.limitedUntil("https://acme.example.org/dir", now)).as("a new instance reads the record")
          .contains(retryAfter);
      assertThat(view.limitedUntil("https://other.example.org/dir", now))
          .as("another ACME server is not limited by it").isEmpty();
    }
    try (RateLimits third = new RateLimits()) {
      third.on(host, dir, warnings::add).limited("https://acme.example.org/dir", Optional.empty(), now);
      assertThat(new RateLimits().on(host, dir, warnings::add).limitedUntil("https://acme.example.org/dir", now))
          .as("a later answer without Retry-After never shortens the limit kept").contains(retryAfter);
      third.on(host, dir, warnings::add).limited("https://far.example.org/dir", Optional.of(now.plus(Duration.ofDays(90))),
          now);
      assertThat(new RateLimits().on(host, dir, warnings::add).limitedUntil("https://far.example.org/dir", now))
          .as("a Retry-After months ahead is kept for a week at most").contains(now.plus(RateLimits.LONGEST));
    }
    assertThat(new RateLimits().on(host, dir, warnings::add).limitedUntil("https://acme.example.org/dir",
        retryAfter.plusSeconds(1))).as("once its time has passed, requests may go again").isEmpty();
    assertThat(dir.resolve(RateLimits.fileName("https://acme.example.org/dir")))
        .as("and the record is removed").doesNotExist();
    assertThat(warnings).as("our own records raise no warning").isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"garbage", "other-directory", "far-future", "not-a-time", "twice", "control", "too-large",
      "symlink", "directory", "group-writable", "empty"})
  void aHostileRecordIsIgnoredWithAWarning(String kind) throws IOException {
    Host host = new LocalHost("local");
    Path dir = temp.resolve("ssl.d/.acme");
    String url = "https://acme.example.org/dir";
    Path file = dir.resolve(RateLimits.fileName(url));
    host.mkdirs(dir, FileMode.of(0700));
    Instant now = Instant.now();
    String good = "directory=" + url + "\nuntil=" + now.plusSeconds(600) + "\n";
    switch (kind) {
      case "garbage" -> Files.write(file, new byte[] {0, 1, 2, (byte) 0xff, '\n'});
      case "other-directory" -> Files.writeString(file, "directory=https://evil.example.org/dir\nuntil="
          + now.plusSeconds(600) + "\n");
      case "far-future" -> Files.writeString(file, "directory=" + url + "\nuntil=+999999999-12-31T23:59:59Z\n");
      case "not-a-time" -> Files.writeString(file, "directory=" + url + "\nuntil=tomorrow\n");
      case "twice" -> Files.writeString(file, good + "until=" + now.plusSeconds(60) + "\n");
      case "control" -> Files.writeString(file, "directory=" + url + "\u001b[2J\nuntil=" + now.plusSeconds(600) + "\n");
      case "too-large" -> Files.writeString(file, good + "#" + "x".repeat(RateLimits.MAX_RECORD) + "\n");
      case "symlink" -> {
        Path target = temp.resolve("elsewhere");
        Files.writeString(target, good);
        Files.createSymbolicLink(file, target);
      }
      case "directory" -> Files.createDirectory(file);
      case "group-writable" -> {
        Files.writeString(file, good);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-r--"));
      }
      case "empty" -> Files.writeString(file, "");
      default -> throw new IllegalArgumentException(kind);
    }
    List<String> warnings = new ArrayList<>();
    RateLimits limits = new RateLimits().on(host, dir, warnings::add);
    assertThatCode(() -> assertThat(limits.limitedUntil(url, now)).as("a %s record is not trusted", kind).isEmpty())
        .as("a %s record never crashes", kind).doesNotThrowAnyException();
    assertThat(warnings).as("a %s record is reported, naming the file", kind).singleElement()
        .satisfies(w -> assertThat(w).as("the warning").contains(file.toString(), "ignored"))
        .satisfies(w -> assertThat(w.chars().allMatch(c -> c >= 0x20 && c < 0x7f))
            .as("the warning repeats none of the file's bytes").isTrue());
    limits.limited(url, Optional.of(now.plusSeconds(300)), now);
    assertThat(new RateLimits().on(host, dir, w -> {}).limitedUntil(url, now))
        .as("a new limit replaces the %s record", kind).contains(now.plusSeconds(300));
    assertThat(Files.isSymbolicLink(file)).as("the record is a file of its own, never written through a link")
        .isFalse();
  }
}
