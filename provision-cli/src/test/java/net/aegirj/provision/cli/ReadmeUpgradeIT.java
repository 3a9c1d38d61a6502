package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import net.aegirj.provision.testkit.DrupalFixtures;
import net.aegirj.provision.testkit.Http;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's section "Upgrading Drupal by migration", run line by line through {@code sh -c}
 * as written (only {@code /var/aegir} becomes the test's home), on real nginx, PHP-FPM and
 * MariaDB with the testkit's Drupal 10 stand-in platforms: the site, installed by its profile on the
 * first release, is migrated to the newer one and judged from outside — its page shows the newer
 * schema, the login link works once over HTTP, and cron is recorded in its database.
 */
class ReadmeUpgradeIT {
  private static final String SECTION = "## Upgrading Drupal by migration";
  private static final List<String> EXPECTED_COMMANDS = List.of("save", "verify", "migrate", "login-reset", "cron");

  @TempDir Path tmp;
  CliWorld w;

  @AfterEach
  void stop() {
    if (w != null) {
      w.close();
    }
  }

  @Test
  void theUpgradeExamplesWorkAsWritten() throws IOException {
    List<String> lines = ReadmeExamplesIT.examples(SECTION);
    assertThat(lines.stream().map(l -> l.replaceAll("^bin/provision (\\S+).*", "$1")).toList())
        .as("the README's lines are the ones this test judges").isEqualTo(EXPECTED_COMMANDS);
    w = new CliWorld(tmp);
    // The README's preconditions: a server, the site installed on the old release's platform, and
    // the new release's code base where the save line says.
    w.ok("save", "@server_master", "--properties-from=" + w.masterProperties());
    w.ok("verify", "@server_master");
    Path old = CliWorld.platform(w.home.resolve("platforms/d10.3"));
    w.ok("save", "@platform_d10_3", "--context_type=platform", "--root=" + old);
    w.ok("verify", "@platform_d10_3");
    w.ok("save", "@example.com", "--context_type=site", "--platform=@platform_d10_3", "--aliases=www.example.com");
    w.ok("install", "@example.com");
    CliWorld.platform(w.home.resolve("platforms/d10.4"), DrupalFixtures.Release.NEWER);
    String before = page();
    assertThat(before).as("installed on the old release").contains("installed=yes", "schema="
        + DrupalFixtures.schemaVersion(DrupalFixtures.Shape.DRUPAL10, DrupalFixtures.Release.BASE));

    for (String line : lines) {
      String run = line.replace("/var/aegir", w.home.toString());
      Exit e = w.shell(run);
      assertThat(e.status()).as("the README line `%s` exits 0; stdout: %s; stderr: %s", line, e.out(), e.err())
          .isZero();
      switch (line.replaceAll("^bin/provision (\\S+).*", "$1")) {
        case "verify" -> assertThat(e.out()).as("verify lists the platform's packages").contains("token 8.x-1.13");
        case "migrate" -> {
          String after = Http.getUntil(w.nginx.port(), "example.com", "/", r -> r.body().contains("release=10.3.2"),
              Duration.ofSeconds(15)).body();
          assertThat(after).as("the site serves from the new release with its updated schema").contains(
              "installed=yes", "schema=" + DrupalFixtures.schemaVersion(DrupalFixtures.Shape.DRUPAL10,
                  DrupalFixtures.Release.NEWER));
          assertThat(e.out()).as("the report lists the updates applied").contains("system_update_10302");
        }
        case "login-reset" -> {
          String link = CliWorld.result(e.out(), "login_link").orElseThrow(() ->
              new AssertionError("login-reset prints login_link: " + e.out()));
          Matcher m = Pattern.compile("https?://[^/\\s]+(/user/reset/\\S+)").matcher(link);
          assertThat(m.find()).as("the link has the reset path: %s", link).isTrue();
          assertThat(Http.get(w.nginx.port(), "example.com", m.group(1)).status()).as("it logs in once")
              .isEqualTo(200);
          assertThat(Http.get(w.nginx.port(), "example.com", m.group(1)).status()).as("and only once")
              .isEqualTo(403);
        }
        case "cron" -> assertThat(page()).as("Drupal recorded the cron run").contains("cron=1");
        default -> {
          // save: judged by the verify and migrate that use the platform
        }
      }
    }
  }

  private String page() {
    return Http.getUntil(w.nginx.port(), "example.com", "/", r -> r.status() == 200 && r.body().contains("installed="),
        Duration.ofSeconds(15)).body();
  }
}
