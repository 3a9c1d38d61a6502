package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import net.aegirj.provision.testkit.BindServer;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PebbleServer;
import net.aegirj.provision.testkit.PhpFpmServer;
import net.aegirj.provision.testkit.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code sh} blocks of the README's section "HTTPS with Let's Encrypt", run through
 * {@code bin/provision} as a user runs them, against a real nginx and a real ACME server (pebble,
 * validating through a resolver the test runs). Only what the README cannot know is added to its
 * first line: the test's HTTPS port and its ACME server (directory URL and the CA of its HTTPS
 * certificate).
 */
class AcmeCliIT {
  private static final String SECTION = "## HTTPS with Let's Encrypt";

  @TempDir Path tmp;

  @Test
  void theHttpsSectionTakesASiteToALetsEncryptCertificateAsWritten() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path home = Files.createDirectories(tmp.resolve("aegir"));
    try (LocalServers servers = LocalServers.in(tmp.resolve("state"));
        BindServer dns = PebbleServer.resolver(tmp.resolve("dns"), List.of("example.com"))) {
      PhpFpmServer fpm = servers.phpFpm();
      NginxServer nginx = servers.nginx(home);
      try (PebbleServer pebble = PebbleServer.start(tmp.resolve("pebble"), nginx.port(), dns.port())) {
        Map<String, String> env = Map.of("PROVISION_HOME", home.toString());
        // the site, served over plain HTTP, as the README's other sections leave it
        Path props = tmp.resolve("master.properties");
        StringBuilder b = new StringBuilder();
        nginx.masterContext(fpm).changes().forEach((k, v) -> b.append(k).append('=').append(v.orElseThrow()).append('\n'));
        Files.writeString(props, b.toString());
        Path platform = CliWorld.platform(tmp.resolve("platforms/p1"));
        for (String line : List.of("bin/provision save @server_master --properties-from=" + props,
            "bin/provision verify @server_master",
            "bin/provision save @platform_p1 --context_type=platform --root=" + platform,
            "bin/provision verify @platform_p1",
            "bin/provision save @example.com --context_type=site --platform=@platform_p1 --aliases=www.example.com",
            "bin/provision verify @example.com")) {
          run(line, env);
        }

        List<String> lines = ReadmeExamplesIT.examples(SECTION);
        assertThat(lines).as("the section has its commands, each running bin/provision").hasSize(3)
            .allMatch(l -> l.startsWith("bin/provision "));
        List<String> outputs = new ArrayList<>();
        int requestsBeforeRenew = -1;
        for (String line : lines) {
          String run = line.replace("--acme_contact=hostmaster@example.com", "--acme_contact=hostmaster@example.com"
              + " --http_ssl_port=" + nginx.sslPort() + " --acme_directory_url=" + pebble.directoryUrl()
              + " --acme_directory_ca=" + pebble.tlsCertificate());
          if (line.contains("ssl-renew")) {
            requestsBeforeRenew = pebble.acmeRequests();
          }
          outputs.add(run(run, env).err());
        }

        for (String host : List.of("example.com", "www.example.com")) {
          ServerProcess.Result curl = ServerProcess.run(List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
              "--max-time", "10", "--cacert", pebble.issuingRoot().toString(), "--resolve",
              host + ":" + nginx.sslPort() + ":127.0.0.1", "https://" + host + ":" + nginx.sslPort() + "/"),
              Duration.ofSeconds(20));
          assertThat(curl.exitCode()).as("curl --cacert <pebble root> https://%s verifies the certificate: %s", host,
              curl.stderr()).isZero();
          assertThat(curl.stdout()).as("and gets the site").isEqualTo("200");
        }
        assertThat(outputs.get(2)).as("ssl-renew prints a progress line per site").contains("@example.com");
        assertThat(pebble.acmeRequests()).as("ssl-renew with nothing due contacts pebble not at all")
            .isEqualTo(requestsBeforeRenew);
      }
    }
  }

  private static Exit run(String line, Map<String, String> env) throws IOException, InterruptedException {
    Exit e = BinProvisionProcess.exec(List.of("sh", "-c", line), BinProvisionProcess.ROOT, env, Duration.ofSeconds(300));
    assertThat(e.status()).as("`%s` exits 0; stdout: %s; stderr: %s", line, e.out(), e.err()).isZero();
    return e;
  }
}
