package net.aegirj.provision.services;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PhpFpmServer;
import net.aegirj.provision.testkit.ProvisionExtension;
import net.aegirj.provision.testkit.ProvisionExtension.LocalServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The testkit's {@link ProvisionExtension} with real servers, as a user's test uses it; its tagged
 * part is the README's "Testing your code" example, word for word.
 */
class ProvisionExtensionIT {
  // tag::example[]
  @RegisterExtension
  static ProvisionExtension servers =
      ProvisionExtension.withLocalServers(LocalServer.NGINX, LocalServer.MARIADB);

  @Test
  void aSiteAnswersWithItsOwnDatabase(Provision provision, NginxServer nginx, PhpFpmServer fpm,
      MariaDbServer db, @ProvisionExtension.Home Path home) {
    provision.save("server_master", nginx.masterContext(fpm));
    provision.save("server_db", db.serverContext());
    Path root = Fixtures.phpPlatform(home.resolve("platforms/fixture"));
    provision.save("platform_fixture", PropertyChanges.builder().set("context_type", "platform")
        .set("root", root.toString()).build());
    provision.save("example.com", PropertyChanges.builder().set("context_type", "site")
        .set("platform", "@platform_fixture").set("db_server", "@server_db")
        .set("install_method", "manual").build());
    provision.server("server_master").verify();
    provision.platform("platform_fixture").verify();
    TaskReport install = provision.site("example.com").run(Task.INSTALL);

    Http.Response page = Http.getUntil(nginx.port(), "example.com", "/",
        r -> r.status() == 200, Duration.ofSeconds(10));
    assertThat(page.body()).as("the site answers from its own database").contains("db=examplecom");
    // end::example[]
    assertThat(install.succeeded()).as("install succeeded: %s", install.summary()).isTrue();
    assertThat(db.sql("SHOW DATABASES")).as("its database is on the class's MariaDB").contains("examplecom");
    // tag::example[]
  }
  // end::example[]

  @Test
  void theReadmeQuotesTheExampleWordForWord() throws Exception {
    List<String> lines = Files.readAllLines(
        Path.of("src/test/java/net/aegirj/provision/services/ProvisionExtensionIT.java"));
    List<String> snippet = new ArrayList<>();
    boolean in = false;
    for (String line : lines) {
      if (line.trim().equals("// tag::" + "example[]")) {
        in = true;
      } else if (line.trim().equals("// end::" + "example[]")) {
        in = false;
      } else if (in) {
        snippet.add(line.length() >= 2 ? line.substring(2) : line.strip());
      }
    }
    String readme = Files.readString(Path.of("../README.md"));
    assertThat(readme).as("the README's testing example is the compiled one in this test")
        .contains(String.join("\n", snippet) + "\n");
  }
}
