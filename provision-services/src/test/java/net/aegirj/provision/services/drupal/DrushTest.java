package net.aegirj.provision.services.drupal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding a platform's Drush, learning its version and reading what it prints, with scripted
 * stand-ins (no database): what is run, in which syntax, and which answers are refused.
 */
class DrushTest {
  @TempDir Path home;

  /** A drush that answers --version with the given line and logs its arguments. */
  private Path drush(Path file, String versionLine, String body) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, String.join("\n", "#!/bin/sh",
        "echo \"$@\" >> \"$(dirname \"$0\")/calls.log\"",
        "case \"$1\" in --version) echo '" + versionLine + "'; exit 0;; esac",
        body, ""));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  private Provision provision(Path root) {
    Provision p = Provision.builder().home(home).build();
    p.save("platform_t", PropertyChanges.builder().set("context_type", "platform").set("root", root.toString()).build());
    p.save("t.example.com", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_t")
        .set("installed", "true").build());
    return p;
  }

  private String calls(Path drush) throws IOException {
    return Files.readString(drush.resolveSibling("calls.log"));
  }

  @Test
  void loginResetSpeaksTheSyntaxOfTheDrushItFinds() throws IOException {
    Path root = Fixtures.phpPlatform(home.resolve("platforms/t"));
    Path drush = drush(root.resolve("vendor/bin/drush"), "Drush Commandline Tool 12.5.3.0",
        "echo 'http://t.example.com/user/reset/1/1700000000/abc/login'");
    try (Provision p = provision(root)) {
      TaskReport r = p.site("t.example.com").loginReset();
      assertThat(r.results().get("login_link")).as("the link Drush printed is the result")
          .isEqualTo("http://t.example.com/user/reset/1/1700000000/abc/login");
      assertThat(calls(drush)).as("Drush 12 gets user:login with the root and uri, as arguments")
          .contains("--root=" + root + " --uri=t.example.com --yes user:login --no-browser");
    }
  }

  @Test
  void aDrupal7PlatformUsesTheDrush8OfItsDrushPath() throws IOException {
    Path root = home.resolve("platforms/d7");
    Files.createDirectories(root.resolve("includes"));
    Files.writeString(root.resolve("includes/bootstrap.inc"), "<?php\ndefine('VERSION', '7.100');\n");
    Path drush = drush(home.resolve("tools/drush8/drush"), " Drush Version   :  8.4.12 ",
        "echo 'http://t.example.com/user/reset/1/1700000000/abc/login'");
    try (Provision p = provision(root)) {
      assertThatThrownBy(() -> p.site("t.example.com").loginReset()).as("no Drush at all: a clear error")
          .isInstanceOf(TaskFailedException.class).hasMessageContaining("drush_path");
      p.save("platform_t", PropertyChanges.builder().set("drush_path", drush.toString()).build());
      p.site("t.example.com").loginReset();
      assertThat(calls(drush)).as("Drush 8 gets user-login").contains("--yes user-login --no-browser")
          .doesNotContain("user:login");
    }
  }

  @Test
  void aDrushThatDoesNotFitThePlatformIsRefusedBeforeItRuns() throws IOException {
    Path root = home.resolve("platforms/d7");
    Files.createDirectories(root.resolve("includes"));
    Files.writeString(root.resolve("includes/bootstrap.inc"), "<?php\ndefine('VERSION', '7.100');\n");
    Path drush = drush(home.resolve("tools/drush12/drush"), "Drush Commandline Tool 12.5.3.0", "exit 0");
    try (Provision p = provision(root)) {
      p.save("platform_t", PropertyChanges.builder().set("drush_path", drush.toString()).build());
      assertThatThrownBy(() -> p.site("t.example.com").loginReset()).as("Drush 12 cannot run Drupal 7")
          .hasMessageContaining("Drush 12").hasMessageContaining("Drush 8");
      assertThat(calls(drush)).as("only its version was asked").isEqualTo("--version\n");
    }
  }

  @Test
  void whatDrushPrintsIsCheckedBeforeItIsUsed() throws IOException {
    Path root = Fixtures.phpPlatform(home.resolve("platforms/t"));
    Path drush = drush(root.resolve("vendor/bin/drush"), "Drush Commandline Tool 12.5.3.0",
        "printf 'javascript:alert(1)\\n'");
    try (Provision p = provision(root)) {
      assertThatThrownBy(() -> p.site("t.example.com").loginReset()).as("no link in the output")
          .hasMessageContaining("no login link");
      drush(root.resolve("vendor/bin/drush"), "Not Drush at all", "exit 0");
      assertThatThrownBy(() -> p.site("t.example.com").loginReset()).as("an unknown --version answer")
          .hasMessageContaining("is not a Drush that Provision knows");
    }
  }

  @Test
  void cronRefusesADisabledSiteAndRunsCoreCronOnAnEnabledOne() throws IOException {
    Path root = Fixtures.phpPlatform(home.resolve("platforms/t"));
    Path drush = drush(root.resolve("vendor/bin/drush"), "Drush Commandline Tool 12.5.3.0",
        "case \"$*\" in *core:cron*) exit 0;; esac; exit 1");
    try (Provision p = provision(root)) {
      p.save("t.example.com", PropertyChanges.builder().set("site_enabled", "false").build());
      assertThatThrownBy(() -> p.site("t.example.com").cron()).as("a disabled site gets no cron")
          .isInstanceOf(TaskFailedException.class).hasMessageContaining("disabled")
          .satisfies(e -> assertThat(((TaskFailedException) e).isBadInput()).as("a refusal").isTrue());
      p.save("t.example.com", PropertyChanges.builder().set("site_enabled", "true").build());
      TaskReport r = p.site("t.example.com").cron();
      assertThat(r.succeeded()).as("cron ran").isTrue();
      assertThat(calls(drush)).as("as Drush 12's core:cron").contains("--yes core:cron");
      p.save("t.example.com", PropertyChanges.builder().set("installed", "false").build());
      assertThatThrownBy(() -> p.site("t.example.com").cron()).as("a site not installed gets no cron")
          .hasMessageContaining("not installed");
    }
  }

  @Test
  void platformVerifyReportsThePackagesOfItsInfoFiles() throws IOException {
    Path root = Fixtures.phpPlatform(home.resolve("platforms/t"));
    write(root.resolve("core/modules/node/node.info.yml"), "name: Node\ntype: module\nversion: '10.3.1'\n");
    write(root.resolve("modules/contrib/token/token.info.yml"), "name: Token\ntype: module\nversion: 8.x-1.13\n");
    write(root.resolve("core/themes/olivero/olivero.info.yml"), "name: Olivero\ntype: theme\nversion: VERSION\n");
    write(root.resolve("core/profiles/standard/standard.info.yml"), "name: Standard\ntype: profile\n");
    write(root.resolve("core/profiles/standard/modules/extra/extra.info.yml"), "name: Extra\ntype: module\n");
    write(root.resolve("modules/bad name/x.info.yml"), "type: module\n");
    try (Provision p = Provision.builder().home(home).build()) {
      p.save("platform_t", PropertyChanges.builder().set("context_type", "platform").set("root", root.toString()).build());
      TaskReport r = p.platform("platform_t").verify();
      assertThat(r.results().get("modules")).as("modules with their versions, sorted")
          .isEqualTo("extra, node 10.3.1, token 8.x-1.13, x");
      assertThat(r.results().get("themes")).as("a core theme has the version of its core").isEqualTo("olivero 10.3.0");
      assertThat(r.results().get("profiles")).as("profiles").isEqualTo("standard");
    }
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }
}
