package net.aegirj.provision.services.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.ApacheServer;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PhpFpmServer;
import net.aegirj.provision.testkit.ServerProcess;

/**
 * What {@link HttpServersIT} shares: a rig of real servers around one Provision home, the shell
 * runner for the servers' test commands, and a small HTTPS client that trusts any certificate and
 * sends SNI for the site's name.
 */
final class HttpItSupport {
  /** How long a reload may take to show (nginx and Apache apply a reload asynchronously). */
  static final Duration RELOAD = Duration.ofSeconds(20);
  /** The disabled page the servers are given, so a disabled site's redirect is predictable. */
  static final String DISABLE_URL = "http://aegir.test/hosting/disabled";
  static final String PLATFORM = "platform_a";

  private static final int CONNECT_TIMEOUT_MS = 5_000;
  private static final int READ_TIMEOUT_MS = 20_000;
  private static final Pattern CN = Pattern.compile("(?:^|,)CN=([^,]+)");

  private HttpItSupport() {}

  /** The app directory of a type: {@code nginx} or {@code apache}. */
  static String app(String type) {
    return type.startsWith("nginx") ? "nginx" : "apache";
  }

  static boolean ssl(String type) {
    return type.endsWith("_ssl");
  }

  /**
   * Makes a JUnit {@code @TempDir} (mode 0700) and every directory above it searchable by
   * {@code www-data}, as nginx's workers and Apache's children need.
   */
  static void makeSearchable(Path dir) throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    for (Path p = dir.getParent(); p != null; p = p.getParent()) {
      assertThat(Files.getPosixFilePermissions(p)).as("%s must be searchable by www-data", p)
          .contains(PosixFilePermission.OTHERS_EXECUTE);
    }
  }

  static Path mkdir0755(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir;
  }

  // ---------------------------------------------------------------- the web servers

  /** A running nginx or Apache, as the http properties of a server need it. */
  record Web(String kind, int port, int sslPort, String testCommand, String reloadCommand, Path errorLog) {
    static Web of(NginxServer s) {
      return new Web("nginx", s.port(), s.sslPort(), s.testCommand(), s.reloadCommand(), s.errorLog());
    }

    static Web of(ApacheServer s) {
      return new Web("apache", s.port(), s.sslPort(), s.testCommand(), s.reloadCommand(), s.errorLog());
    }

    /** @return the last lines of its error log, for failure messages */
    String logTail() {
      return ServerProcess.tail(errorLog, 30);
    }
  }

  /**
   * One test's world: a Provision home (the Aegir root the web servers include), the fixture
   * platform, PHP-FPM, and the web servers started through {@link #start(String)}; all under one
   * temporary directory made searchable by {@code www-data}.
   */
  static final class Rig implements AutoCloseable {
    final Path home;
    final Path platformRoot;
    final LocalServers servers;
    final PhpFpmServer fpm;
    final Provision provision;

    Rig(Path temp) throws IOException {
      makeSearchable(temp);
      this.home = mkdir0755(temp.resolve("home"));
      this.platformRoot = net.aegirj.provision.testkit.Fixtures.phpPlatform(mkdir0755(temp.resolve("p")).resolve("a"));
      this.servers = LocalServers.in(temp.resolve("s"));
      PhpFpmServer started = null;
      Provision p = null;
      try {
        started = servers.phpFpm();
        p = Provision.builder().home(home).build();
      } catch (RuntimeException e) {
        servers.close();
        throw e;
      }
      this.fpm = started;
      this.provision = p;
    }

    /** Starts the web server a type needs (nginx for nginx and nginx_ssl, else Apache). */
    Web start(String type) {
      return app(type).equals("nginx") ? Web.of(servers.nginx(home)) : Web.of(servers.apache(home));
    }

    /** Saves {@code @server_master} with the type and the web server's settings. */
    void saveServer(String type, Web web) {
      PropertyChanges.Builder b = PropertyChanges.builder().set("http_service_type", type)
          .set("http_port", Integer.toString(web.port())).set("http_listen_address", "127.0.0.1")
          .set("phpfpm_address", fpm.address()).set("http_test_cmd", web.testCommand())
          .set("http_restart_cmd", web.reloadCommand()).set("web_disable_url", DISABLE_URL);
      if (ssl(type)) {
        b.set("http_ssl_port", Integer.toString(web.sslPort()));
      }
      provision.save("server_master", b.build());
    }

    /** Saves the fixture platform. */
    void savePlatform() {
      provision.save(PLATFORM, PropertyChanges.builder().set("context_type", "platform")
          .set("root", platformRoot.toString()).build());
    }

    /** Saves a site on the platform with the given extra properties (name, value, ...). */
    void saveSite(String uri, String... props) {
      PropertyChanges.Builder b = PropertyChanges.builder().set("context_type", "site").set("platform", "@" + PLATFORM);
      for (int i = 0; i < props.length; i += 2) {
        b.set(props[i], props[i + 1]);
      }
      provision.save(uri, b.build());
    }

    /** @return the vhost file of a site */
    Path vhost(String type, String uri) {
      return home.resolve("config/server_master").resolve(app(type)).resolve("vhost.d").resolve(uri);
    }

    @Override
    public void close() {
      try {
        provision.close();
      } finally {
        servers.close();
      }
    }
  }

  // ---------------------------------------------------------------- shell and files

  /** Runs an operator's command as Provision does ({@code /bin/sh -c}). */
  static ServerProcess.Result sh(String command) {
    return ServerProcess.run(List.of("/bin/sh", "-c", command), Duration.ofSeconds(30));
  }

  /** Asserts that the web server accepts the configuration on disk, after {@code task}. */
  static void assertConfigTestPasses(Web web, String task) {
    ServerProcess.Result r = sh(web.testCommand());
    assertThat(r.exitCode()).as("%s's test command passes after %s: %s%s", web.kind(), task, r.stderr(), r.stdout())
        .isZero();
  }

  /** Every regular file and symlink under a directory (not following links). */
  static List<Path> filesUnder(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList();
    }
  }

  /** The text of a file, or of a symlink's target name. */
  static String contentOf(Path p) {
    try {
      if (Files.isSymbolicLink(p)) {
        return Files.readSymbolicLink(p).toString();
      }
      return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------- HTTP

  /** Polls plain HTTP until the response satisfies {@code done}, with the server's error log on failure. */
  static Http.Response httpUntil(Web web, String host, String path, Predicate<Http.Response> done) {
    try {
      return Http.getUntil(web.port(), host, path, done, RELOAD);
    } catch (IllegalStateException e) {
      throw new AssertionError(e.getMessage() + "\n---- " + web.errorLog() + " ----\n" + web.logTail(), e);
    }
  }

  /**
   * An HTTPS response.
   *
   * @param response the HTTP response
   * @param certificate the server's certificate
   */
  record TlsResponse(Http.Response response, X509Certificate certificate) {
    int status() {
      return response.status();
    }

    String body() {
      return response.body();
    }

    java.util.Optional<String> header(String name) {
      return response.header(name);
    }

    /** @return the certificate's subject common name */
    String commonName() {
      Matcher m = CN.matcher(certificate.getSubjectX500Principal().getName(X500Principal.RFC2253));
      return m.find() ? m.group(1) : "";
    }

    @Override
    public String toString() {
      return "HTTPS (CN=" + commonName() + ") " + response;
    }
  }

  /**
   * {@code GET <path> HTTP/1.0} in plain HTTP to any address (the testkit's {@link Http} speaks
   * to {@code 127.0.0.1} only).
   */
  static Http.Response httpGet(InetAddress address, int port, String host, String path) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(address, port), CONNECT_TIMEOUT_MS);
      socket.setSoTimeout(READ_TIMEOUT_MS);
      return exchange(socket, host, path);
    }
  }

  private static Http.Response exchange(Socket socket, String host, String path) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(("GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: provision-it\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] chunk = new byte[8192];
    try {
      for (int n; (n = in.read(chunk)) >= 0; ) {
        buffer.write(chunk, 0, n);
      }
    } catch (javax.net.ssl.SSLException e) {
      // some servers close without close_notify after an HTTP/1.0 response: keep what was read
      if (buffer.size() == 0) {
        throw e;
      }
    }
    return parse(buffer.toByteArray());
  }

  /**
   * {@code GET <path> HTTP/1.0} over TLS to {@code 127.0.0.1:<port>}, with SNI and {@code Host}
   * set to {@code host}, trusting whatever certificate the server presents.
   */
  static TlsResponse httpsGet(int port, String host, String path) throws IOException {
    SSLContext tls;
    try {
      tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {new TrustAll()}, new SecureRandom());
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("no TLS", e);
    }
    Socket plain = new Socket();
    try {
      plain.connect(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port),
          CONNECT_TIMEOUT_MS);
      plain.setSoTimeout(READ_TIMEOUT_MS);
    } catch (IOException e) {
      plain.close();
      throw e;
    }
    try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, true)) {
      SSLParameters params = socket.getSSLParameters();
      params.setServerNames(List.of(new SNIHostName(host)));
      params.setEndpointIdentificationAlgorithm(null);
      socket.setSSLParameters(params);
      socket.startHandshake();
      X509Certificate cert = (X509Certificate) socket.getSession().getPeerCertificates()[0];
      return new TlsResponse(exchange(socket, host, path), cert);
    }
  }

  /**
   * Polls HTTPS until the response satisfies {@code done}; handshake and connection failures are
   * retried too (a reload may still be on its way).
   */
  static TlsResponse httpsUntil(Web web, String host, String path, Predicate<TlsResponse> done) {
    long deadline = System.nanoTime() + RELOAD.toNanos();
    String last = "nothing";
    while (true) {
      try {
        TlsResponse r = httpsGet(web.sslPort(), host, path);
        if (done.test(r)) {
          return r;
        }
        last = r.toString();
      } catch (IOException | RuntimeException e) {
        last = e.toString();
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("GET https://" + host + path + " on 127.0.0.1:" + web.sslPort()
            + " did not give the expected response within " + RELOAD.toMillis() + " ms; last: " + last
            + "\n---- " + web.errorLog() + " ----\n" + web.logTail());
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  private static Http.Response parse(byte[] bytes) throws IOException {
    String all = new String(bytes, StandardCharsets.ISO_8859_1);
    int end = all.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new IOException("no complete HTTP response header: " + all);
    }
    String[] lines = all.substring(0, end).split("\r\n");
    String[] status = lines[0].split(" ", 3);
    if (status.length < 2 || !status[0].startsWith("HTTP/")) {
      throw new IOException("not an HTTP status line: " + lines[0]);
    }
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.computeIfAbsent(lines[i].substring(0, colon).trim(), k -> new ArrayList<>())
            .add(lines[i].substring(colon + 1).trim());
      }
    }
    String body = new String(bytes, end + 4, bytes.length - end - 4, StandardCharsets.UTF_8);
    return new Http.Response(Integer.parseInt(status[1]), headers, body);
  }

  /** Trusts every certificate: the servers under test present self-signed ones. */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
  }
}
