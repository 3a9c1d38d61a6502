package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java example of the README, compiled and run; the README quotes the tagged part. */
class ReadmeExampleTest {
  @TempDir Path home;

  @Test
  void theReadmeQuotesThisExampleWordForWord() throws java.io.IOException {
    Path source = Path.of("src/test/java/net/aegirj/provision/core/ReadmeExampleTest.java");
    java.util.List<String> lines = java.nio.file.Files.readAllLines(source);
    StringBuilder snippet = new StringBuilder();
    boolean in = false;
    for (String line : lines) {
      if (line.trim().equals("// tag::" + "example[]")) {
        in = true;
      } else if (line.trim().equals("// end::" + "example[]")) {
        in = false;
      } else if (in) {
        snippet.append(line.length() >= 4 ? line.substring(4) : line.strip()).append('\n');
      }
    }
    String readme = java.nio.file.Files.readString(Path.of("../README.md"));
    assertThat(readme).as("the README's Java example is the compiled one in this test")
        .contains(snippet.toString());
  }

  @Test
  void readmeExample() {
    // tag::example[]
    try (Provision provision = Provision.builder().home(home).build()) {
      provision.save(Server.named("server_master").remoteHost("localhost"));
      provision.save(Platform.named("platform_d10").root("/var/aegir/platforms/d10"));
      provision.save(Site.named("example.com").platform("platform_d10")
          .addAliases("www.example.com").profile("standard"));

      // Only the properties given change: this keeps the platform and the alias.
      provision.save(Site.named("example.com").language("de"));

      ResolvedContext site = provision.resolve("example.com");
      System.out.println(site.get("site_path").orElseThrow()); // derived: <root>/sites/<uri>
      // end::example[]
      assertThat(site.get("site_path")).as("site_path is derived from the platform root")
          .contains("/var/aegir/platforms/d10/sites/example.com");
      assertThat(site.get("aliases")).as("the merge kept the alias")
          .contains(java.util.List.of("www.example.com"));
      assertThat(provision.list(ContextType.SITE)).as("one site").hasSize(1);
      // tag::example[]
    }
    // end::example[]
  }
}
