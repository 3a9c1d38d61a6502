package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.NamespacedWebServer;
import net.aegirj.provision.testkit.RemoteWebServer;
import net.aegirj.provision.testkit.SshServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's section "Remote servers", run through {@code sh -c} as written, against a web
 * server that really is another machine as far as Provision can tell: the testkit's sshd on
 * 127.0.0.2 in its own mount namespace, where the Aegir root is backed by another directory and a
 * real nginx and PHP-FPM serve only what was pushed over SSH.
 *
 * <p>Only what the README cannot know is substituted: {@code web1.example.com} becomes the sshd's
 * address, the {@code aegir} login the sshd's user, {@code /var/aegir} the test's home (the SSH key
 * and {@code known_hosts} are put where the README names them), the reload command the one of the
 * testkit's nginx; the first line also gets the ports of that sshd and nginx. The site the README's
 * install line names is saved on the README's platform first (the section before says how).
 */
class ReadmeRemoteServersIT {
  private static final String SECTION = "## Remote servers";
  private static final String SITE = "example.com";

  @TempDir Path tmp;
  CliWorld w;
  NamespacedWebServer web1;

  @AfterEach
  void stop() {
    if (web1 != null) {
      web1.close();
    }
    if (w != null) {
      w.close();
    }
  }

  /** The section's commands, a line each (continuation lines joined). */
  private static List<String> commands() throws IOException {
    List<String> out = new ArrayList<>();
    StringBuilder pending = new StringBuilder();
    for (String line : ReadmeExamplesIT.examples(SECTION)) {
      if (line.endsWith("\\")) {
        pending.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      out.add(pending + line);
      pending.setLength(0);
    }
    return out;
  }

  @Test
  void theRemoteServerExamplesWorkAsWritten() throws IOException {
    List<String> lines = commands();
    assertThat(lines.stream().map(l -> l.replaceAll("^bin/provision (\\S+ \\S+).*", "$1")).toList())
        .as("the README's lines are the ones this test judges").containsExactly("save @server_web1",
            "verify @server_web1", "save @platform_d10", "verify @platform_d10", "install @example.com",
            "verify @example.com");
    w = new CliWorld(tmp);
    web1 = NamespacedWebServer.start("127.0.0.2", w.home, tmp.resolve("web1"));
    SshServer sshd = web1.ssh();
    RemoteWebServer web = web1.web();
    // The key and known_hosts where the README keeps them (under its /var/aegir, the test's home).
    Path ssh = Files.createDirectories(w.home.resolve(".ssh"));
    Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
    Files.copy(sshd.identity(), ssh.resolve("id_ed25519"));
    Files.setPosixFilePermissions(ssh.resolve("id_ed25519"), PosixFilePermissions.fromString("rw-------"));
    Files.copy(sshd.knownHosts(), ssh.resolve("known_hosts"));
    w.ok("save", "@server_master", "--properties-from=" + w.masterProperties());
    w.ok("verify", "@server_master");
    CliWorld.platform(w.home.resolve("platforms/d10"));
    String ports = " --ssh_port=" + sshd.port() + " --http_port=" + web.port()
        + " --http_listen_address=127.0.0.1 --phpfpm_address=" + web.phpFpmAddress()
        + " --http_test_cmd='" + web.testCommand() + "'";

    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      String run = line.replace("web1.example.com", sshd.address()).replace("--ssh_user=aegir",
          "--ssh_user=" + sshd.user()).replace("/var/aegir", w.home.toString())
          .replace("'sudo /usr/sbin/nginx -s reload'", "'" + web.reloadCommand() + "'");
      if (i == 0) {
        run = run + ports;
      }
      if (line.startsWith("bin/provision install @" + SITE)) {
        w.ok("save", "@" + SITE, "--context_type=site", "--platform=@platform_d10", "--client_email=owner@example.com");
      }
      if (line.contains("--override_slave_authority")) {
        Path marker = w.home.resolve("platforms/d10/sites").resolve(SITE).resolve("files/pushed.txt");
        Files.writeString(marker, "from the master\n");
        Files.setPosixFilePermissions(marker, PosixFilePermissions.fromString("rw-r--r--"));
      }
      Exit e = w.shell(run);
      assertThat(e.status()).as("the README line `%s` (run as `%s`) exits 0; stdout: %s; stderr: %s", line, run,
          e.out(), e.err()).isZero();
      if (line.startsWith("bin/provision verify @platform_d10")) {
        assertThat(web1.remote(w.home.resolve("platforms/d10/index.php"))).as("platform verify pushed the code base to web1")
            .exists();
      }
      if (line.startsWith("bin/provision install")) {
        String body = Http.getUntil(web.port(), SITE, "/", r -> r.body().contains("installed=yes"),
            Duration.ofSeconds(15)).body();
        assertThat(body).as("web1 serves the site, installed by the Drush that ran there: %s", body)
            .contains("site=" + SITE, "installed=yes");
      }
      if (line.contains("--override_slave_authority")) {
        assertThat(Http.getUntil(web.port(), SITE, "/sites/" + SITE + "/files/pushed.txt",
            r -> r.status() == 200, Duration.ofSeconds(15)).body()).as("files/ was pushed to web1")
            .isEqualTo("from the master\n");
      }
    }
  }
}
