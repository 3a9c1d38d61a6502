package net.aegirj.provision.services.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import net.aegirj.provision.core.host.LocalHost;
import net.aegirj.provision.testkit.Ports;
import net.aegirj.provision.testkit.ServerProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reload check's loop, run by bash on this machine against small servers in this JVM: an HTTP
 * server that answers the marker (the new configuration), one that answers another marker (the
 * old one), a socket that accepts and never answers (another process holding the port), and a port
 * where nothing listens. Each failure names the port and what was seen there.
 */
class ReloadCheckTest {
  private static final String NEW = "0123456789abcdef";
  private static final String OLD = "fedcba9876543210";
  private static final String GEN = "00112233aabbccdd";
  private final List<AutoCloseable> servers = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : servers) {
      c.close();
    }
  }

  /** @return the port of an HTTP server answering the check with {@code body} */
  private int answering(String body) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    s.createContext("/", ex -> {
      byte[] b = (ex.getRequestURI().getPath().equals(ReloadCheck.PATH) ? body : "not found")
          .getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(ex.getRequestURI().getPath().equals(ReloadCheck.PATH) ? 200 : 404, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    s.start();
    servers.add(() -> s.stop(0));
    return s.getAddress().getPort();
  }

  /** @return the port of a socket that accepts connections and never answers */
  private int silent() throws IOException {
    ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    List<Socket> accepted = new ArrayList<>();
    Thread t = new Thread(() -> {
      try {
        while (true) {
          accepted.add(s.accept());
        }
      } catch (IOException e) {
        // closed
      }
    });
    t.setDaemon(true);
    t.start();
    servers.add(() -> {
      s.close();
      for (Socket a : accepted) {
        a.close();
      }
    });
    return s.getLocalPort();
  }

  private static Optional<String> check(Optional<String> marker, int seconds, int... httpPorts) {
    List<ReloadCheck.Port> ports = new ArrayList<>();
    for (int p : httpPorts) {
      ports.add(new ReloadCheck.Port("http", p));
    }
    ReloadCheck c = new ReloadCheck("@server_web", "nginx", "127.0.0.1", ports, marker, seconds);
    try (LocalHost host = new LocalHost("local")) {
      return c.run(host);
    }
  }

  @Test
  void everyPortAnsweringTheNewMarkerPasses() throws IOException {
    int a = answering("provision-config-check " + NEW + "\n");
    int b = answering("provision-config-check " + NEW + "\n");
    assertThat(check(Optional.of(NEW), 5, a, b)).as("both ports serve the new configuration's marker").isEmpty();
  }

  @Test
  void theOldMarkerIsNamedWithThePort() throws IOException {
    int a = answering("provision-config-check " + NEW + "\n");
    int b = answering("provision-config-check " + OLD + "\n");
    Optional<String> problem = check(Optional.of(NEW), 1, a, b);
    assertThat(problem).as("one port still serves the old marker").isPresent();
    assertThat(problem.get()).as("the message names the server, the port and both markers")
        .contains("@server_web", "http port " + b, "previous configuration", OLD, NEW)
        .doesNotContain("http port " + a + " ");
  }

  @Test
  void anOldWorkerStillAcceptingIsNotTakenForTheNewConfiguration() throws IOException {
    // nginx's old workers accept connections for a moment after the new ones answer.
    AtomicInteger asked = new AtomicInteger();
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    s.createContext("/", ex -> {
      String marker = asked.incrementAndGet() % 2 == 0 ? NEW + "." + GEN : NEW + "." + OLD;
      byte[] b = ("provision-config-check " + marker + "\n").getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    s.start();
    servers.add(() -> s.stop(0));
    Optional<String> problem = check(Optional.of(NEW + "." + GEN), 1, s.getAddress().getPort());
    assertThat(problem).as("every other answer comes from the previous generation").isPresent();
    assertThat(problem.get()).as("the message names the generation still served")
        .contains("previous configuration", NEW + "." + OLD);
  }

  @Test
  void theGenerationBeforeEachReloadIsFreshAndReadBack() {
    String a = ReloadCheck.newGeneration();
    String b = ReloadCheck.newGeneration();
    assertThat(a).as("16 hex digits").matches("[0-9a-f]{16}").isNotEqualTo(b);
    assertThat(ReloadCheck.generationIn(new String(new Nginx().generationFile(a), StandardCharsets.UTF_8)))
        .as("nginx's file gives it back").contains(a);
    assertThat(ReloadCheck.generationIn(new String(new Apache().generationFile(b), StandardCharsets.UTF_8)))
        .as("Apache's file gives it back").contains(b);
    assertThat(ReloadCheck.generationIn("set $provision_generation \"$(id)\";")).as("nothing else is read").isEmpty();
  }

  @Test
  void aMarkerWithItsGenerationPasses() throws IOException {
    int a = answering("provision-config-check " + NEW + "." + GEN + "\n");
    assertThat(check(Optional.of(NEW + "." + GEN), 5, a)).as("the marker and the generation answered").isEmpty();
    int b = answering("provision-config-check " + NEW + "." + OLD + "\n");
    assertThat(check(Optional.of(NEW + "." + GEN), 1, b)).as("the same file, the previous generation")
        .hasValueSatisfying(p -> assertThat(p).contains("previous configuration"));
  }

  @Test
  void aPortHeldByAnotherProcessOrByNobodyFails() throws IOException {
    int held = silent();
    int nobody = Ports.free();
    Optional<String> problem = check(Optional.of(NEW), 1, held, nobody);
    assertThat(problem).as("neither port serves the configuration").isPresent();
    assertThat(problem.get()).as("the held port and the free one, each with its likely cause")
        .contains("http port " + held + " accepts connections but gives no HTTP answer (another process holds it)")
        .contains("nothing listens on http port " + nobody);
  }

  @Test
  void anAnswerWithoutTheMarkerFailsAndIsQuoted() throws IOException {
    int other = answering("welcome to some other server\n");
    Optional<String> problem = check(Optional.of(NEW), 1, other);
    assertThat(problem.orElse("")).as("a port answered by another web server")
        .contains("http port " + other + " answers 'HTTP/1.1 200 OK'", "not with the new configuration's marker");
  }

  @Test
  void withoutAMarkerOnDiskAnyHttpAnswerWillDo() throws IOException {
    int other = answering("an operator's own default server\n");
    assertThat(check(Optional.empty(), 5, other)).as("an operator template without the marker: the port answers")
        .isEmpty();
    int nobody = Ports.free();
    assertThat(check(Optional.empty(), 1, nobody)).as("but a port must still answer").isPresent();
  }

  @Test
  void aLateReloadIsWaitedFor() throws Exception {
    int port = Ports.free();
    Thread late = new Thread(() -> {
      try {
        Thread.sleep(1500);
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        s.createContext("/", ex -> {
          byte[] b = ("provision-config-check " + NEW + "\n").getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, b.length);
          ex.getResponseBody().write(b);
          ex.close();
        });
        s.start();
        synchronized (servers) {
          servers.add(() -> s.stop(0));
        }
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    late.start();
    try {
      assertThat(check(Optional.of(NEW), 60, port)).as("the port answers 1.5 s after the check began").isEmpty();
    } finally {
      late.join();
    }
  }

  @Test
  void withoutCurlBashAsksOverDevTcp(@TempDir Path bin) throws IOException {
    // A PATH with bash and the few tools the loop needs, but no curl.
    for (String tool : List.of("bash", "sleep")) {
      Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin").resolve(tool).toRealPath());
    }
    int good = answering("provision-config-check " + NEW + "\n");
    int old = answering("provision-config-check " + OLD + "\n");
    int held = silent();
    ServerProcess.Result r = ServerProcess.run(List.of("/usr/bin/env", "PATH=" + bin, "bash", "-c", ReloadCheck.SCRIPT,
        "provision-config-check", "1", "127.0.0.1", NEW, "http:" + good, "http:" + old, "http:" + held),
        Duration.ofSeconds(60));
    assertThat(r.exitCode()).as("two of three ports fail: %s %s", r.stdout(), r.stderr()).isEqualTo(1);
    assertThat(r.stdout()).as("the report of each port")
        .contains("http:" + good + " ok\n", "http:" + old + " old " + OLD + "\n", "http:" + held + " silent\n");
  }
}
