package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.ProvisionExtension.LocalServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The local-servers mode of {@link ProvisionExtension}: servers per class, in a directory it chose. */
class ProvisionExtensionIT {
  @RegisterExtension
  static ProvisionExtension servers = ProvisionExtension.withLocalServers(LocalServer.NGINX);

  private static Path firstHome;

  @Test
  void theServersAreSharedByTheClassAndItsStateDirectoryIsShort(LocalServers local, NginxServer nginx,
      PhpFpmServer fpm, Provision provision, @ProvisionExtension.Home Path home) {
    assertThat(local.stateDir().toString().length()).as("short enough for Unix socket paths")
        .isLessThan(40);
    assertThat(nginx.dir()).as("nginx lives in the class's state directory").startsWith(local.stateDir());
    assertThat(fpm.socket()).as("PHP-FPM is started with nginx, for its PHP sites").exists();
    assertThat(provision.home()).as("the Provision works in the class's home, which nginx includes")
        .isEqualTo(home);
    if (firstHome == null) {
      firstHome = home;
    } else {
      assertThat(home).as("one home for the class").isEqualTo(firstHome);
    }
  }

  @Test
  void aSecondTestSeesTheSameServersAndHome(NginxServer nginx, @ProvisionExtension.Home Path home) {
    if (firstHome == null) {
      firstHome = home;
    } else {
      assertThat(home).as("one home for the class").isEqualTo(firstHome);
    }
    assertThat(nginx.process().isAlive()).as("the class's nginx is still running").isTrue();
  }
}
