package net.aegirj.provision.services.drupal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlatformVerifyTest {
  @TempDir Path home;

  private Provision provision() {
    return Provision.builder().home(home).build();
  }

  @Test
  void aDrupalCodeBaseIsDetectedAndPrepared() throws IOException {
    Path root = Fixtures.phpPlatform(home.resolve("platforms/d10"));
    Files.createDirectories(root.resolve("core/profiles/standard"));
    Files.writeString(root.resolve("core/profiles/standard/standard.info.yml"), "name: Standard\n");
    try (Provision p = provision()) {
      p.save("platform_d10", PropertyChanges.builder().set("context_type", "platform").set("root", root.toString()).build());
      TaskReport r = p.platform("platform_d10").verify();
      assertThat(r.steps().get(0).message()).as("the version and the profiles are reported")
          .contains("Drupal 10.3.0").contains("standard");
      assertThat(Integer.toOctalString((Integer) Files.getAttribute(root.resolve("sites/all/modules"), "unix:mode") & 07777))
          .as("sites/all/modules gets 02775").isEqualTo("2775");
    }
  }

  @Test
  void aRootThatIsNotDrupalSaysWhatWasLookedFor() throws IOException {
    Path root = Files.createDirectories(home.resolve("platforms/empty"));
    try (Provision p = provision()) {
      p.save("platform_x", PropertyChanges.builder().set("context_type", "platform").set("root", root.toString()).build());
      assertThatThrownBy(() -> p.platform("platform_x").verify()).as("not Drupal")
          .isInstanceOf(TaskFailedException.class).hasMessageContaining("@platform_x")
          .hasMessageContaining("is not a Drupal code base").hasMessageContaining("core/lib/Drupal.php");
    }
  }

  @Test
  void aMissingRootWithoutMakefileIsAClearError() {
    try (Provision p = provision()) {
      p.save("platform_x", PropertyChanges.builder().set("context_type", "platform")
          .set("root", home.resolve("platforms/missing").toString()).build());
      assertThatThrownBy(() -> p.platform("platform_x").verify()).as("missing root")
          .hasMessageContaining("does not exist").hasMessageContaining("makefile");
    }
  }

  @Test
  void aComposerBuildWithoutComposerFailsClearlyAndLeavesNothing() throws Exception {
    boolean hasComposer = new ProcessBuilder("sh", "-c", "command -v composer").start().waitFor() == 0;
    org.junit.jupiter.api.Assumptions.assumeFalse(hasComposer,
        "composer is installed here, so its absence cannot be shown");
    Path project = Files.createDirectories(home.resolve("project"));
    Files.writeString(project.resolve("composer.json"), "{\"name\": \"acme/site\"}\n");
    Path root = home.resolve("platforms/built");
    try (Provision p = provision()) {
      p.save("platform_b", PropertyChanges.builder().set("context_type", "platform").set("root", root.toString())
          .set("makefile", project.resolve("composer.json").toString()).build());
      assertThatThrownBy(() -> p.platform("platform_b").verify()).as("no composer on the PATH")
          .isInstanceOf(TaskFailedException.class).hasMessageContaining("needs Composer");
      assertThat(root).as("nothing is left of the half-built root").doesNotExist();
    }
  }

  @Test
  void anUnknownMakefileNamesTheBuilders() {
    try (Provision p = provision()) {
      p.save("platform_m", PropertyChanges.builder().set("context_type", "platform")
          .set("root", home.resolve("platforms/m").toString()).set("makefile", "https://example.com/x.make").build());
      assertThatThrownBy(() -> p.platform("platform_m").verify()).as("drush make files are not supported")
          .hasMessageContaining("no platform builder accepts").hasMessageContaining("composer");
    }
  }
}
