package net.aegirj.provision.services.ssl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
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
import net.aegirj.provision.api.ProvisionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rate-limit answer of an ACME server, in plain words: a fake directory over HTTPS (the
 * JDK's server, a {@link TestCa} certificate for {@code localhost}) answers the new-account
 * request with Let's Encrypt's {@code rateLimited} problem and a {@code Retry-After}; the client
 * says so, says until when, and sends that request once (no retry storm); and until that time,
 * the next site of the same {@code Provision} instance (a batch renewal) sends nothing at all.
 */
class AcmeRateLimitTest {
  private static final String DETAIL = "too many certificates already issued for \"example.org\". Retry after "
      + "2026-12-07T00:00:00Z: see https://letsencrypt.org/docs/rate-limits/";

  private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
  private HttpsServer server;
  private TestCa ca;

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
}
