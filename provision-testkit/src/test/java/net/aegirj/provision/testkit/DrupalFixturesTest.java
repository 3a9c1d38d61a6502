package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import net.aegirj.provision.testkit.DrupalFixtures.Release;
import net.aegirj.provision.testkit.DrupalFixtures.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layout of {@link DrupalFixtures}' platforms and Drush stand-ins, without running them. */
class DrupalFixturesTest {
  @TempDir
  Path temp;

  @Test
  void drupal10PlatformLooksLikeDrupal10WithDrush12() throws IOException {
    Path root = DrupalFixtures.platform(temp.resolve("d10"), Shape.DRUPAL10, Release.BASE);
    assertThat(Files.readString(root.resolve("core/lib/Drupal.php")))
        .as("version detection sees Drupal 10.3.1, quoted as real Drupal does")
        .contains("class Drupal").contains("const VERSION = '10.3.1';");
    for (String file : List.of("core/modules/system/system.info.yml", "core/modules/node/node.info.yml",
        "core/modules/user/user.info.yml", "core/profiles/standard/standard.info.yml",
        "core/profiles/minimal/minimal.info.yml", "core/themes/olivero/olivero.info.yml",
        "modules/contrib/token/token.info.yml", "sites/default/default.settings.php", "index.php", ".htaccess",
        "core/modules/system/system.install")) {
      assertThat(root.resolve(file)).as("a Drupal 10 platform has %s", file).isRegularFile();
      assertThat(mode(root.resolve(file))).as("%s is readable by the web server, not executable", file)
          .isEqualTo("rw-r--r--");
    }
    assertThat(Files.readString(root.resolve("core/modules/node/node.info.yml")))
        .as("core extensions say version: VERSION as real Drupal 10 core does")
        .contains("type: module").contains("version: VERSION");
    assertThat(Files.readString(root.resolve("core/themes/olivero/olivero.info.yml"))).as("olivero is a theme")
        .contains("type: theme");
    assertThat(Files.readString(root.resolve("core/profiles/standard/standard.info.yml"))).as("standard is a profile")
        .contains("type: profile");
    assertThat(Files.readString(root.resolve("modules/contrib/token/token.info.yml")))
        .as("contrib carries the packaging script's version").contains("version: '8.x-1.13'");
    assertThat(root.resolve("includes/bootstrap.inc")).as("no Drupal 7 marker").doesNotExist();

    Path drush = root.resolve(DrupalFixtures.DRUSH12_PATH);
    assertThat(mode(drush)).as("vendor/bin/drush is executable").isEqualTo("rwxr-xr-x");
    assertThat(Files.readString(drush)).as("the Drush 12 stand-in is a PHP script speaking Drush 12")
        .startsWith("#!/usr/bin/env php\n<?php").contains("const FIXTURE_DRUSH_MAJOR = 12;")
        .doesNotContain("@DRUSH_MAJOR@");
    try (Stream<Path> all = Files.walk(root)) {
      all.filter(Files::isDirectory).forEach(d -> assertThat(mode(d)).as("directory %s is 0755", d)
          .isEqualTo("rwxr-xr-x"));
    }
  }

  @Test
  void drupal7PlatformLooksLikePackagedDrupal7WithoutDrush() throws IOException {
    Path root = DrupalFixtures.platform(temp.resolve("d7"), Shape.DRUPAL7, Release.NEWER);
    assertThat(Files.readString(root.resolve("includes/bootstrap.inc")))
        .as("version detection sees Drupal 7.101").contains("define('VERSION', '7.101');");
    for (String file : List.of("modules/system/system.info", "modules/node/node.info", "modules/user/user.info",
        "themes/bartik/bartik.info", "profiles/standard/standard.info", "profiles/standard/standard.profile",
        "profiles/minimal/minimal.info", "profiles/minimal/minimal.profile", "sites/all/modules/token/token.info",
        "sites/default/default.settings.php", "index.php", ".htaccess", "modules/system/system.install")) {
      assertThat(root.resolve(file)).as("a Drupal 7 platform has %s", file).isRegularFile();
      assertThat(mode(root.resolve(file))).as("%s is mode 0644", file).isEqualTo("rw-r--r--");
    }
    assertThat(Files.readString(root.resolve("modules/node/node.info")))
        .as("core .info files end with the packaging script's version line")
        .contains("core = 7.x").endsWith("version = \"7.101\"\nproject = \"drupal\"\ndatestamp = \"1709734591\"\n");
    assertThat(Files.readString(root.resolve("sites/all/modules/token/token.info")))
        .as("contrib token 7.x-1.9").contains("version = \"7.x-1.9\"");
    assertThat(root.resolve("vendor")).as("Drupal 7 platforms use a Drush 8 from elsewhere").doesNotExist();
    assertThat(root.resolve("core")).as("no Drupal 8+ marker").doesNotExist();
  }

  @Test
  void releasesDifferInVersionAndUpdates() throws IOException {
    assertThat(List.of(DrupalFixtures.coreVersion(Shape.DRUPAL10, Release.BASE),
        DrupalFixtures.coreVersion(Shape.DRUPAL10, Release.NEWER),
        DrupalFixtures.coreVersion(Shape.DRUPAL10, Release.FAILING),
        DrupalFixtures.coreVersion(Shape.DRUPAL7, Release.BASE),
        DrupalFixtures.coreVersion(Shape.DRUPAL7, Release.NEWER),
        DrupalFixtures.coreVersion(Shape.DRUPAL7, Release.FAILING)))
        .as("each release has its own core version").containsExactly("10.3.1", "10.3.2", "10.3.3", "7.100", "7.101",
            "7.102");
    assertThat(DrupalFixtures.updates(Shape.DRUPAL10, Release.BASE)).as("BASE updates").containsExactly(10300, 10301);
    assertThat(DrupalFixtures.updates(Shape.DRUPAL10, Release.NEWER)).as("NEWER adds two")
        .containsExactly(10300, 10301, 10302, 10303);
    assertThat(DrupalFixtures.updates(Shape.DRUPAL7, Release.FAILING)).as("Drupal 7 FAILING")
        .containsExactly(7100, 7101, 7102, 7103);
    assertThat(DrupalFixtures.failingUpdate(Shape.DRUPAL7, Release.FAILING)).as("the last update fails").hasValue(7103);
    assertThat(DrupalFixtures.failingUpdate(Shape.DRUPAL10, Release.NEWER)).as("NEWER has no failing update")
        .isEmpty();
    assertThat(DrupalFixtures.schemaVersion(Shape.DRUPAL10, Release.NEWER)).as("schema after NEWER").isEqualTo(10303);

    String failing = Files.readString(DrupalFixtures.platform(temp.resolve("f"), Shape.DRUPAL10, Release.FAILING)
        .resolve("core/modules/system/system.install"));
    assertThat(failing).as("the update list is system.install's system_update_N functions")
        .contains("function system_update_10302() {\n  return ").contains("function system_update_10303() {\n  throw ");
    String base = Files.readString(DrupalFixtures.platform(temp.resolve("b"), Shape.DRUPAL10, Release.BASE)
        .resolve("core/modules/system/system.install"));
    assertThat(base).as("BASE defines only its own updates").contains("system_update_10301")
        .doesNotContain("system_update_10302");
  }

  @Test
  void withoutModulesLeavesTheModuleOut() throws IOException {
    Path root = DrupalFixtures.platform(temp.resolve("d10"), Shape.DRUPAL10, Release.NEWER, "token");
    assertThat(root.resolve("modules/contrib/token")).as("the platform lacks token").doesNotExist();
    assertThat(root.resolve("core/modules/node/node.info.yml")).as("the other modules stay").isRegularFile();

    Path d7 = DrupalFixtures.platform(temp.resolve("d7"), Shape.DRUPAL7, Release.BASE);
    assertThat(d7.resolve("sites/all/modules/token/token.info")).as("laid out with token first").isRegularFile();
    DrupalFixtures.platform(d7, Shape.DRUPAL7, Release.BASE, "token");
    assertThat(d7.resolve("sites/all/modules/token")).as("laying out again without token removes it")
        .doesNotExist();

    assertThatThrownBy(() -> DrupalFixtures.platform(temp.resolve("x"), Shape.DRUPAL10, Release.BASE, "views"))
        .as("an unknown extension is an error, not silently ignored")
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("views");
    assertThatThrownBy(() -> DrupalFixtures.platform(temp.resolve("x"), Shape.DRUPAL10, Release.BASE, "system"))
        .as("system cannot be left out").isInstanceOf(IllegalArgumentException.class);
    assertThat(DrupalFixtures.extensions(Shape.DRUPAL7)).as("Drupal 7 extensions")
        .containsExactly("bartik", "minimal", "node", "standard", "system", "token", "user");
  }

  @Test
  void drush8IsWrittenWhereAsked() throws IOException {
    Path drush = DrupalFixtures.drush8(temp.resolve("opt/drush8/drush"));
    assertThat(drush).as("returns the path it was given").isEqualTo(temp.resolve("opt/drush8/drush"));
    assertThat(mode(drush)).as("the script is executable").isEqualTo("rwxr-xr-x");
    assertThat(mode(drush.getParent())).as("created parents are 0755").isEqualTo("rwxr-xr-x");
    assertThat(Files.readString(drush)).as("the Drush 8 stand-in speaks Drush 8")
        .startsWith("#!/usr/bin/env php\n").contains("const FIXTURE_DRUSH_MAJOR = 8;");
  }

  @Test
  void statusLineIsWhatTheAppPrints() {
    assertThat(DrupalFixtures.statusLine("a.test", "a.test", 10301, "standard", "10.3.1", 2, "site_a"))
        .as("installed site")
        .isEqualTo("host=a.test site=a.test installed=yes schema=10301 profile=standard release=10.3.1 cron=2 db=site_a\n");
    assertThat(DrupalFixtures.statusLine("b.test", "none", null, null, "7.100", 0, "none"))
        .as("no site").isEqualTo("host=b.test site=none installed=no schema=none profile=none release=7.100 cron=0 db=none\n");
  }

  private static String mode(Path p) {
    try {
      return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
