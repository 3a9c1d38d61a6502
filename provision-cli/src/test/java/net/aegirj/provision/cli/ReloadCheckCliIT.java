package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.NginxServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, finding 5, as the user met it: {@code provision verify @server_master} after
 * {@code http_port} was set to a port another process holds. It used to say "succeeded … 1
 * reloads" while nginx logged {@code bind() … failed} and kept its old configuration. Now it
 * fails (exit 1) naming the port, the old configuration is back on disk, and nginx serves it.
 */
class ReloadCheckCliIT {
  @TempDir Path home;
  @TempDir Path state;
  @TempDir Path cwd;

  private Exit provision(String... args) throws IOException, InterruptedException {
    return BinProvisionProcess.run(cwd, Map.of("PROVISION_HOME", home.toString()), args);
  }

  @Test
  void verifyWithAPortAnotherProcessHoldsFailsAndTheOldConfigurationServes() throws Exception {
    // nginx's workers (www-data when root) must reach the home and its state; a JUnit @TempDir is 0700
    for (Path dir : new Path[] {home, state}) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    try (LocalServers servers = LocalServers.in(state)) {
      NginxServer nginx = servers.nginx(home);
      Exit saved = provision("save", "@server_master", "--http_service_type=nginx",
          "--http_port=" + nginx.port(), "--http_listen_address=127.0.0.1",
          "--http_test_cmd=" + nginx.testCommand(), "--http_restart_cmd=" + nginx.reloadCommand());
      assertThat(saved.status()).as("save (stderr: %s)", saved.err()).isZero();
      Exit first = provision("verify", "@server_master");
      assertThat(first.status()).as("the first verify succeeds (stdout: %s, stderr: %s)", first.out(), first.err())
          .isZero();
      assertThat(first.out()).as("and reloads").contains("verify @server_master: succeeded", "1 reloads");
      assertThat(Http.getUntil(nginx.port(), "unknown.test", "/", r -> r.status() == 404, Duration.ofSeconds(20))
          .status()).as("nginx serves the default server on the port").isEqualTo(404);
      Path conf = home.resolve("config/server_master/nginx.conf");
      String served = Files.readString(conf);

      try (ServerSocket other = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
        int held = other.getLocalPort();
        Exit port = provision("save", "@server_master", "--http_port=" + held, "--http_reload_check=5");
        assertThat(port.status()).as("save the held port (stderr: %s)", port.err()).isZero();
        Exit failed = provision("verify", "@server_master");
        assertThat(failed.status()).as("the verify fails (stdout: %s)", failed.out()).isEqualTo(1);
        assertThat(failed.out()).as("the report names the port, the likely cause and the rollback")
            .contains("verify @server_master: failed", "http port " + held, "another process holds it",
                "http on @server_master reloaded with the restored files and passed its reload check")
            .doesNotContain("succeeded");
        assertThat(failed.err()).as("one error line").startsWith("provision: error: verify @server_master: failed");
        assertThat(Files.readString(conf)).as("the configuration that served is back on disk").isEqualTo(served);
        Http.Response check = Http.get(nginx.port(), "default.invalid", "/.provision-config-check");
        assertThat(check.body()).as("nginx serves the restored configuration on the old port")
            .contains("provision-config-check " + served.replaceAll("(?s).*provision-config-check ([0-9a-f]{16}).*", "$1"));
        assertThat(Files.readString(nginx.errorLog())).as("nginx did refuse the new port")
            .contains(":" + held + " failed");
      }
    }
  }
}
