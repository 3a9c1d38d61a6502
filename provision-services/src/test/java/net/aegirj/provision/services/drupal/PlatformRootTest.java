package net.aegirj.provision.services.drupal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PlatformRoots;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A platform's root must be a code base the platform check accepts before a site is installed or
 * deployed on it (issue 14, finding 4: a platform saved with {@code --root=/etc} installed a site
 * under {@code /etc/sites/} and served {@code /etc/passwd}).
 */
class PlatformRootTest {
  @TempDir Path home;

  private Provision provision() {
    return Provision.builder().home(home).build();
  }

  private static PropertyChanges platform(String root) {
    return PropertyChanges.builder().set("context_type", "platform").set("root", root).build();
  }

  @Test
  void systemDirectoriesAreRefusedAtSave() {
    try (Provision p = provision()) {
      for (String root : List.of("/", "/etc", "/usr", "/bin", "/boot", "/dev", "/proc", "/sys", "/root", "/var",
          "/var/lib", "/home", "/tmp", "/etc/nginx", "/proc/self/root", "/sys/kernel", "/dev/shm", "/run/user")) {
        assertThatThrownBy(() -> p.save("platform_sys", platform(root))).as("root=%s is refused at save", root)
            .isInstanceOf(InvalidContextException.class).hasMessageContaining("@platform_sys")
            .hasMessageContaining("'root'").hasMessageContaining("system directory");
      }
      assertThat(p.list(net.aegirj.provision.api.ContextType.PLATFORM)).as("no platform was saved").isEmpty();
    }
  }

  @Test
  void codeBasesBelowSharedDirectoriesAreAccepted() {
    for (String root : List.of("/var/aegir/platforms/d10", "/srv/www/d10", "/usr/share/drupal7", "/home/aegir/d10",
        "/var/www/html", "/opt/drupal", "/tmp/x/platform")) {
      assertThat(PlatformRoots.refusal(Path.of(root))).as("%s may be a platform root", root).isEmpty();
    }
  }

  @Test
  void anInstallOnARootThatIsNotDrupalFailsAndCreatesNothingUnderIt() throws IOException {
    Path root = Files.createDirectories(home.resolve("platforms/not-drupal"));
    Files.writeString(root.resolve("secret.txt"), "not for the web\n");
    try (Provision p = provision()) {
      p.save("platform_x", platform(root.toString()));
      p.save("a.example.com", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_x")
          .set("install_method", "manual").build());
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.INSTALL)).as("install refuses a root that is not Drupal")
          .isInstanceOf(TaskFailedException.class)
          .hasMessageContaining("@platform_x").hasMessageContaining("is not a Drupal code base")
          .hasMessageContaining("core/lib/Drupal.php");
      try (Stream<Path> s = Files.list(root)) {
        assertThat(s.map(x -> x.getFileName().toString()).toList()).as("nothing was created under the root")
            .containsExactly("secret.txt");
      }
      assertThat(p.site("a.example.com").context().installed().orElse(false)).as("the site is not installed")
          .isFalse();
    }
  }

  @Test
  void anInstallOnADrupalRootStartsWithTheCheck() {
    Path root = Fixtures.phpPlatform(home.resolve("platforms/d10"));
    try (Provision p = provision()) {
      p.save("platform_d10", platform(root.toString()));
      p.save("b.example.com", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_d10")
          .set("install_method", "manual").build());
      TaskReport plan = p.site("b.example.com").plan(Task.INSTALL);
      assertThat(plan.steps()).as("the install checks the code base before it creates the site directories")
          .extracting(TaskReport.StepReport::name)
          .anySatisfy(n -> assertThat(n).contains("check the platform code base"));
      TaskReport r = p.site("b.example.com").run(Task.INSTALL);
      assertThat(r.succeeded()).as("a Drupal code base takes a site: %s", r.summary()).isTrue();
      assertThat(r.steps().stream().filter(s -> s.name().contains("check the platform code base")).findFirst()
          .orElseThrow().message()).as("the check says what it found").contains("Drupal 10.3.0");
    }
  }
}
