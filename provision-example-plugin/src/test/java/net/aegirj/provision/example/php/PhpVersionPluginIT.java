package net.aegirj.provision.example.php;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PhpFpmServer;
import net.aegirj.provision.testkit.ProvisionExtension;
import net.aegirj.provision.testkit.ProvisionExtension.LocalServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The example plugin, from its own jar and found by {@link java.util.ServiceLoader} alone (this
 * test names none of its classes), in a {@link Provision} with the built-in services and a real
 * nginx: a site saved with the plugin's {@code php_version} is served with the vhost lines the
 * plugin adds, and the plugin's step runs in install, verify and delete.
 */
class PhpVersionPluginIT {
  @RegisterExtension
  static ProvisionExtension servers = ProvisionExtension.withLocalServers(LocalServer.NGINX);

  @Test
  void aSiteWithThePluginsPropertyIsServedWithIt(Provision provision, NginxServer nginx, PhpFpmServer fpm,
      @ProvisionExtension.Home Path home) throws Exception {
    assertThat(ServiceRegistry.load().services()).as("ServiceLoader finds the plugin's service").contains("php");
    provision.save("server_master", nginx.masterContext(fpm));
    provision.save("server_master", PropertyChanges.builder().set("php_service_type", "versions").build());
    Path root = Fixtures.phpPlatform(home.resolve("platforms/fixture"));
    provision.save("platform_fixture", PropertyChanges.builder().set("context_type", "platform")
        .set("root", root.toString()).build());
    provision.save("example.com", PropertyChanges.builder().set("context_type", "site")
        .set("platform", "@platform_fixture").set("install_method", "manual").set("php_version", "8.1").build());
    provision.server("server_master").verify();
    provision.platform("platform_fixture").verify();
    TaskReport install = provision.site("example.com").run(Task.INSTALL);
    assertThat(install.succeeded()).as("install succeeded: %s", install.summary()).isTrue();
    assertThat(install.steps()).as("the plugin's step ran in install")
        .anySatisfy(s -> assertThat(s.name()).startsWith("php: record the version of"));

    Http.Response page = Http.getUntil(nginx.port(), "example.com", "/",
        r -> r.status() == 200, Duration.ofSeconds(10));
    assertThat(page.header("X-Php-Version")).as("the vhost carries the plugin's line with the site's value")
        .contains("8.1");
    ResolvedContext server = provision.resolve("server_master");
    Path record = Path.of(String.valueOf(server.get("config_path").orElseThrow())).resolve("php/example.com.conf");
    assertThat(Files.readString(record)).as("the plugin's step recorded the version").isEqualTo("php_version=8.1\n");
    assertThat(provision.resolve("example.com").get("php_version")).as("show lists the plugin's property")
        .contains("8.1");

    provision.save("example.com", PropertyChanges.builder().reset("php_version").build());
    TaskReport verify = provision.site("example.com").run(Task.VERIFY);
    assertThat(verify.succeeded()).as("verify succeeded: %s", verify.summary()).isTrue();
    Http.Response after = Http.getUntil(nginx.port(), "example.com", "/",
        r -> r.header("X-Php-Version").filter("8.2"::equals).isPresent(), Duration.ofSeconds(10));
    assertThat(after.header("X-Php-Version")).as("without its own, the site gets the server's default")
        .contains("8.2");

    TaskReport delete = provision.site("example.com").run(Task.DELETE);
    assertThat(delete.succeeded()).as("delete succeeded: %s", delete.summary()).isTrue();
    assertThat(record).as("delete ran the plugin's step").doesNotExist();
  }

  @Test
  void aValueThePluginRefusesChangesNothing(Provision provision) {
    provision.save("platform_p", PropertyChanges.builder().set("context_type", "platform")
        .set("root", "/var/aegir/platforms/p").build());
    provision.save("refused.example.com", PropertyChanges.builder().set("context_type", "site")
        .set("platform", "@platform_p").set("php_version", "8.3").build());
    assertThatThrownBy(() -> provision.save("refused.example.com",
        PropertyChanges.builder().set("php_version", "5.6;reboot").build()))
        .as("the plugin's declaration validates the value")
        .isInstanceOf(InvalidContextException.class).hasMessageContaining("php_version");
    assertThat(provision.resolve("refused.example.com").get("php_version")).as("the stored value is kept")
        .contains("8.3");
  }
}
