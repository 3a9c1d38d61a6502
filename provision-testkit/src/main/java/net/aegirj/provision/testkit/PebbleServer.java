package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Debian's {@code pebble} (the ACME test server of Let's Encrypt), started as a child process of
 * this JVM on free loopback ports, with its own configuration file and its own TLS certificate:
 * Debian's package does not ship the upstream {@code test/certs}, so the certificate pebble
 * serves its directory with is made here ({@code openssl req -x509}, a self-signed certificate for
 * {@code localhost} and {@code 127.0.0.1}); {@link #tlsCertificate()} is the file a client trusts
 * for the directory connection. The root of the chains pebble issues is made anew at each start
 * and read from its management interface ({@link #issuingRoot()}).
 *
 * <p>Pebble really validates: {@code PEBBLE_VA_ALWAYS_VALID} is off, authorizations are never
 * reused ({@code PEBBLE_AUTHZREUSE=0}, so each order proves its names again), good nonces are never
 * rejected and the validation does not sleep. HTTP-01 asks {@code http://<name>:<httpPort>/} with
 * the names resolved through {@code -dnsserver} (a resolver the test controls, such as a
 * {@link BindServer}), so a challenge passes only when the web server on that port serves it.
 *
 * <p>Every ACME request pebble handles is a line of its console log; {@link #acmeRequests()}
 * counts them, so a test can see that a task did not talk to the ACME server at all.
 */
public final class PebbleServer implements AutoCloseable {
  /** The pebble binary used. */
  public static final Path PEBBLE = Path.of("/usr/bin/pebble");
  /** How long the certificates pebble issues are valid, by default: Let's Encrypt's 90 days. */
  public static final Duration DEFAULT_VALIDITY = Duration.ofDays(90);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
  private static final Pattern REQUEST = Pattern.compile("(?m)^Pebble .* (GET|POST|HEAD) (\\S+) -> calling handler");

  private final Path dir;
  private final int port;
  private final int managementPort;
  private final int httpPort;
  private final Path tlsCertificate;
  private final Path consoleLog;
  private final ServerProcess process;

  private PebbleServer(Path dir, int port, int managementPort, int httpPort, Path tlsCertificate, Path consoleLog,
      ServerProcess process) {
    this.dir = dir;
    this.port = port;
    this.managementPort = managementPort;
    this.httpPort = httpPort;
    this.tlsCertificate = tlsCertificate;
    this.consoleLog = consoleLog;
    this.process = process;
  }

  /**
   * Starts pebble with certificates valid for {@link #DEFAULT_VALIDITY}.
   *
   * @param dir a directory for its configuration, certificate and log (created)
   * @param httpPort the port pebble's HTTP-01 validation connects to (the web server's plain HTTP port)
   * @param dnsPort the UDP port on {@code 127.0.0.1} of the resolver that answers for the names validated
   * @return the running server
   */
  public static PebbleServer start(Path dir, int httpPort, int dnsPort) {
    return start(dir, httpPort, dnsPort, DEFAULT_VALIDITY);
  }

  /**
   * Starts pebble.
   *
   * @param dir a directory for its configuration, certificate and log (created)
   * @param httpPort the port pebble's HTTP-01 validation connects to (the web server's plain HTTP port)
   * @param dnsPort the UDP port on {@code 127.0.0.1} of the resolver that answers for the names validated
   * @param validity how long the certificates it issues are valid
   * @return the running server
   * @throws IllegalStateException when pebble or openssl is missing, or pebble does not answer in time
   */
  public static PebbleServer start(Path dir, int httpPort, int dnsPort, Duration validity) {
    ServerProcess.requireExecutable(PEBBLE, "pebble");
    Path state = dir.toAbsolutePath().normalize();
    List<Integer> ports = Ports.free(3);
    Path cert = state.resolve("pebble-tls.pem");
    Path key = state.resolve("pebble-tls.key");
    Path config = state.resolve("pebble-config.json");
    Path console = state.resolve("pebble.log");
    try {
      Files.createDirectories(state);
      ServerProcess.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
          "-out", cert.toString(), "-days", "30", "-subj", "/CN=localhost",
          "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"), START_TIMEOUT).orThrow();
      Files.writeString(config, "{\"pebble\": {\n"
          + "  \"listenAddress\": \"127.0.0.1:" + ports.get(0) + "\",\n"
          + "  \"managementListenAddress\": \"127.0.0.1:" + ports.get(1) + "\",\n"
          + "  \"certificate\": \"" + cert + "\",\n"
          + "  \"privateKey\": \"" + key + "\",\n"
          + "  \"httpPort\": " + httpPort + ",\n"
          + "  \"tlsPort\": " + ports.get(2) + ",\n"
          + "  \"ocspResponderURL\": \"\",\n"
          + "  \"externalAccountBindingRequired\": false,\n"
          + "  \"certificateValidityPeriod\": " + validity.toSeconds() + "\n"
          + "}}\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write pebble's configuration in " + state, e);
    }
    // ServerProcess starts programs with a clean environment: env(1) sets pebble's switches and
    // executes it, so the process is pebble itself.
    List<String> argv = List.of("/usr/bin/env", "PEBBLE_VA_NOSLEEP=1", "PEBBLE_VA_ALWAYS_VALID=0",
        "PEBBLE_AUTHZREUSE=0", "PEBBLE_WFE_NONCEREJECT=0", PEBBLE.toString(), "-config", config.toString(),
        "-dnsserver", "127.0.0.1:" + dnsPort);
    ServerProcess process = ServerProcess.start("pebble", argv, state, console, List.of(), STOP_TIMEOUT);
    PebbleServer server = new PebbleServer(state, ports.get(0), ports.get(1), httpPort, cert, console, process);
    try {
      process.awaitTcp(ports.get(0), START_TIMEOUT);
      process.awaitTcp(ports.get(1), START_TIMEOUT);
      Files.writeString(state.resolve("issuing-root.pem"), server.management("/roots/0"));
    } catch (IOException | RuntimeException e) {
      process.close();
      throw new IllegalStateException("pebble did not start: " + e.getMessage() + "\n" + process.logTail(), e);
    }
    return server;
  }

  /**
   * Starts a {@link BindServer} that answers {@code 127.0.0.1} for each zone's apex and every name
   * under it: the resolver to give pebble ({@code -dnsserver}), so that it validates against the
   * web servers on loopback.
   *
   * @param dir a directory for its state and zone files (created)
   * @param zones the zones, e.g. {@code test} or {@code example.com}
   * @return the running server
   */
  public static BindServer resolver(Path dir, List<String> zones) {
    try {
      Path root = dir.toAbsolutePath().normalize().resolve("aegir");
      Files.createDirectories(root.resolve("config"));
      StringBuilder conf = new StringBuilder();
      for (String zone : zones) {
        Path file = dir.toAbsolutePath().normalize().resolve(zone + ".zone");
        Files.writeString(file, "$TTL 60\n@ IN SOA ns." + zone + ". hostmaster." + zone + ". 1 60 60 600 60\n"
            + "@ IN NS ns." + zone + ".\n@ IN A 127.0.0.1\n* IN A 127.0.0.1\n");
        conf.append("zone \"").append(zone).append("\" { type master; file \"").append(file).append("\"; };\n");
      }
      Files.writeString(root.resolve("config/bind.conf"), conf.toString());
      return BindServer.start(dir.resolve("named"), root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the resolver's zones in " + dir, e);
    }
  }

  /** @return the ACME directory URL, {@code https://localhost:<port>/dir} */
  public String directoryUrl() {
    return "https://localhost:" + port + "/dir";
  }

  /** @return the certificate pebble serves its directory and management interface with (PEM) */
  public Path tlsCertificate() {
    return tlsCertificate;
  }

  /** @return the root of the chains pebble issues (PEM), as its management interface gave it at start */
  public Path issuingRoot() {
    return dir.resolve("issuing-root.pem");
  }

  /** @return the root of the chains pebble issues */
  public X509Certificate issuingRootCertificate() {
    try (InputStream in = Files.newInputStream(issuingRoot())) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot read " + issuingRoot(), e);
    }
  }

  /** @return the port HTTP-01 validation connects to */
  public int httpPort() {
    return httpPort;
  }

  /** @return the ACME port on {@code 127.0.0.1} */
  public int port() {
    return port;
  }

  /**
   * @return how many ACME requests pebble handled so far (each is a line of its console log)
   */
  public int acmeRequests() {
    return requests().size();
  }

  /** @return the ACME requests pebble handled so far, as {@code METHOD path}, in order */
  public List<String> requests() {
    String log;
    try {
      log = Files.readString(consoleLog, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + consoleLog, e);
    }
    Matcher m = REQUEST.matcher(log);
    List<String> out = new ArrayList<>();
    while (m.find()) {
      out.add(m.group(1) + " " + m.group(2));
    }
    return List.copyOf(out);
  }

  /** @return the last lines of pebble's console log, for failure messages */
  public String logTail() {
    return process.logTail();
  }

  /** @return the pebble process */
  public ServerProcess process() {
    return process;
  }

  private String management(String path) {
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(tlsCertificate)) {
        trust.setCertificateEntry("pebble", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, tmf.getTrustManagers(), null);
      HttpClient client = HttpClient.newBuilder().sslContext(tls).connectTimeout(START_TIMEOUT).build();
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + managementPort + path))
          .timeout(START_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.US_ASCII));
      if (r.statusCode() != 200) {
        throw new IllegalStateException("pebble's " + path + " answered " + r.statusCode());
      }
      return r.body();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot ask pebble's management interface for " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Stops pebble. Idempotent. */
  @Override
  public void close() {
    process.close();
  }

  @Override
  public String toString() {
    return "pebble " + directoryUrl() + " (HTTP-01 on port " + httpPort + ")";
  }
}
