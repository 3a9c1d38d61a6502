package net.aegirj.provision.services.http;

import static net.aegirj.provision.services.http.HttpItSupport.PLATFORM;
import static net.aegirj.provision.services.http.HttpItSupport.app;
import static net.aegirj.provision.services.http.HttpItSupport.httpUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.services.http.HttpItSupport.Rig;
import net.aegirj.provision.services.http.HttpItSupport.Web;
import net.aegirj.provision.testkit.Http;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 14, finding 5: a reload the web server rejects is a failed task, not a success. Another
 * process holds the port {@code http_port} is changed to; nginx cannot bind it and keeps its old
 * configuration (Apache has no {@code Listen} for it). The verify fails naming the port, the old
 * configuration is back on disk and served again, and the site still answers on the old port.
 * Once the port is free (nginx) the same verify succeeds and the site answers on the new port.
 */
class ReloadCheckIT {
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nginx", "apache"})
  void aPortAnotherProcessHoldsFailsTheVerifyAndTheOldConfigurationServes(String type, @TempDir Path temp)
      throws IOException {
    try (Rig rig = new Rig(temp)) {
      Web web = siteServed(rig, type, "before the port changes");
      Provision p = rig.provision;
      Path conf = rig.home.resolve("config/server_master").resolve(app(type) + ".conf");
      String served = Files.readString(conf);

      int held;
      try (ServerSocket other = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
        held = other.getLocalPort();
        p.save("server_master", PropertyChanges.builder().set("http_port", Integer.toString(held))
            .set("http_reload_check", "5").build());
        TaskFailedException failed = catchThrowableOfType(TaskFailedException.class,
            () -> p.server("server_master").verify());

        assertThat(failed).as("%s: a reload that does not bind the new port fails the verify", type).isNotNull();
        TaskReport report = failed.report();
        assertThat(report.status()).as("%s: the report says failed", type).isEqualTo(TaskReport.Status.FAILED);
        assertThat(report.reloads()).as("%s: no reload is reported as done", type).isEmpty();
        assertThat(report.failure().orElse("")).as("%s: the message names the server, the port and the cause", type)
            .contains("@server_master", "http port " + held, "another process holds it",
                "rolled back", "http on @server_master reloaded with the restored files and passed its reload check")
            .doesNotContain("rollback incomplete");
        assertThat(Files.readString(conf)).as("%s: the configuration that served is back on disk", type)
            .isEqualTo(served).contains(":" + web.port());
        assertServes(web, "after the failed verify, on the old port");
      }

      if (type.equals("nginx")) {
        // nginx binds what its configuration says: with the port free, the same verify succeeds.
        TaskReport ok = p.server("server_master").verify();
        assertThat(ok.reloads()).as("the verify with the port free reloads").containsExactly("@server_master: http");
        assertThat(Files.readString(conf)).as("the new port is on disk").contains(":" + held + " default_server");
        p.site("a.test").verify();
        assertThat(Http.getUntil(held, "a.test", "/", r -> r.status() == 200, HttpItSupport.RELOAD).body())
            .as("the site answers on the new port").startsWith("host=a.test site=");
        TaskReport again = p.server("server_master").verify();
        assertThat(again.reloads()).as("a verify that changes nothing reloads and checks nothing").isEmpty();
      }
    }
  }

  /**
   * A change to one site's file alone leaves the server-level file (and its marker) as it was: the
   * generation written before the reload is what tells the new configuration from the old. With a
   * reload command that reloads nothing, the verify fails and the site's file is restored.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nginx", "apache"})
  void aSiteChangeTheWebServerDidNotLoadFailsTheVerify(String type, @TempDir Path temp) throws IOException {
    try (Rig rig = new Rig(temp)) {
      Web web = siteServed(rig, type, "before the alias");
      Provision p = rig.provision;
      Path vhost = rig.home.resolve("config/server_master").resolve(app(type)).resolve("vhost.d/a.test");
      String served = Files.readString(vhost);

      p.save("server_master", PropertyChanges.builder().set("http_restart_cmd", "true")
          .set("http_reload_check", "3").build());
      p.save("a.test", PropertyChanges.builder().set("aliases", "b.test").build());
      TaskFailedException failed = catchThrowableOfType(TaskFailedException.class, () -> p.site("a.test").verify());
      assertThat(failed).as("%s: a reload that did not load the site's new file fails the verify", type).isNotNull();
      assertThat(failed.report().failure().orElse("")).as("%s: the message says the previous configuration serves", type)
          .contains("@server_master", "still serves the previous configuration", "did not apply the reload");
      assertThat(Files.readString(vhost)).as("%s: the site's file that served is back", type).isEqualTo(served);

      p.save("server_master", PropertyChanges.builder().set("http_restart_cmd", web.reloadCommand()).build());
      TaskReport ok = p.site("a.test").verify();
      assertThat(ok.reloads()).as("%s: with a real reload the same verify succeeds", type)
          .containsExactly("@server_master: http");
      assertThat(httpUntil(web, "b.test", "/", x -> x.status() == 200).body()).as("%s: the alias answers", type)
          .startsWith("host=b.test site=");
    }
  }

  /** Starts the web server of {@code type} and verifies a server, a platform and a.test on it. */
  private static Web siteServed(Rig rig, String type, String why) {
    Web web = rig.start(type);
    Provision p = rig.provision;
    rig.saveServer(type, web);
    p.server("server_master").verify();
    rig.savePlatform();
    p.platform(PLATFORM).verify();
    rig.saveSite("a.test");
    p.site("a.test").verify();
    assertServes(web, why);
    return web;
  }

  private static void assertServes(Web web, String why) {
    Http.Response r = httpUntil(web, "a.test", "/", x -> x.status() == 200);
    assertThat(r.body()).as("%s: a.test answers on port %d", why, web.port()).startsWith("host=a.test site=");
  }
}
