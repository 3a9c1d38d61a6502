package net.aegirj.provision.services.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.BindServer;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bind type against BIND 9 from Debian's packages: every zone file written passes
 * {@code named-checkzone}, the system configuration including our server file passes
 * {@code named-checkconf}, and a real named answers with the sites' records after a task (reloaded
 * with {@code SIGHUP} through {@code dns_restart_cmd}).
 */
class BindIT {
  private static final Duration ANSWER_WAIT = Duration.ofSeconds(10);

  @TempDir Path tmp;

  private static void checkZones(Path home) throws IOException {
    Path dir = home.resolve("config/server_master/bind/zone.d");
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        String zone = f.getFileName().toString().replaceFirst("\\.zone$", "");
        ServerProcess.run(List.of("named-checkzone", zone, f.toString()), Duration.ofSeconds(20)).orThrow();
      }
    }
  }

  private static String awaitAnswer(Supplier<String> query, String expected) {
    long deadline = System.nanoTime() + ANSWER_WAIT.toNanos();
    String last = query.get();
    while (!last.equals(expected) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      last = query.get();
    }
    return last;
  }

  @Test
  void namedServesTheSitesRecords() throws IOException {
    Path home = Files.createDirectories(tmp.resolve("aegir"));
    Fixtures.phpPlatform(home.resolve("platforms/a"));
    try (Provision p = Provision.builder().home(home).build()) {
      p.save("server_master", PropertyChanges.builder().set("dns_service_type", "bind")
          .set("ip_addresses", "127.0.0.2").set("dns_default_mx", "mx.example.net")
          .set("admin_email", "host.master@example.net").set("dns_restart_cmd", "true").build());
      p.save("platform_a", PropertyChanges.builder().set("context_type", "platform")
          .set("root", home.resolve("platforms/a").toString()).build());
      for (String s : List.of("a.example.com", "b.example.com")) {
        p.save(s, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_a")
            .set("aliases", "www." + s).set("install_method", "manual").build());
      }
      // the default dns_test_cmd (named-checkconf -z on our server file) runs here
      p.server("server_master").verify();
      try (BindServer named = BindServer.start(tmp.resolve("named"), home)) {
        p.save("server_master", PropertyChanges.builder().set("dns_restart_cmd", named.reloadCommand())
            .set("dns_test_cmd", named.testCommand()).build());
        assertThat(p.site("a.example.com").run(Task.INSTALL).reloads()).contains("@server_master: dns");
        p.site("b.example.com").verify();
        checkZones(home);
        ServerProcess.run(List.of("named-checkconf", "-z", named.mainConfig().toString()), Duration.ofSeconds(20))
            .orThrow();
        assertThat(awaitAnswer(() -> named.query("b.example.com", "A"), "127.0.0.2")).isEqualTo("127.0.0.2");
        assertThat(named.query("a.example.com", "A")).isEqualTo("127.0.0.2");
        assertThat(named.query("www.a.example.com", "A")).as("the alias points at its site")
            .isEqualTo("a.example.com. 127.0.0.2");
        assertThat(named.query("example.com", "MX")).isEqualTo("mx.example.net.");
        long serial = Zone.serialOf(Files.readString(home.resolve("config/server_master/bind/zone.d/example.com.zone")))
            .orElseThrow();

        p.save("a.example.com", PropertyChanges.builder().set("aliases", "shop.example.com").build());
        p.site("a.example.com").verify();
        checkZones(home);
        long next = Zone.serialOf(Files.readString(home.resolve("config/server_master/bind/zone.d/example.com.zone")))
            .orElseThrow();
        assertThat(next).as("the serial increases across tasks").isGreaterThan(serial);
        assertThat(awaitAnswer(() -> named.query("shop.example.com", "A"), "a.example.com. 127.0.0.2"))
            .as("named reloaded the zone").isEqualTo("a.example.com. 127.0.0.2");
        assertThat(named.query("www.a.example.com", "A")).isEqualTo("NXDOMAIN");

        p.site("a.example.com").delete();
        checkZones(home);
        assertThat(awaitAnswer(() -> named.query("a.example.com", "A"), "NXDOMAIN")).isEqualTo("NXDOMAIN");
        assertThat(named.query("b.example.com", "A")).as("the other site keeps its records").isEqualTo("127.0.0.2");

        p.site("b.example.com").delete();
        assertThat(home.resolve("config/server_master/bind/zone.d/example.com.zone")).doesNotExist();
        ServerProcess.run(List.of("named-checkconf", "-z", named.mainConfig().toString()), Duration.ofSeconds(20))
            .orThrow();
        assertThat(awaitAnswer(() -> named.query("b.example.com", "A"), "REFUSED"))
            .as("the zone is no longer served").isEqualTo("REFUSED");
        assertThat(named.process().isAlive()).isTrue();
      }
    }
  }
}
