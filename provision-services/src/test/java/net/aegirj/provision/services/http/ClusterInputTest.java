package net.aegirj.provision.services.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import net.aegirj.provision.api.ContextInUseException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A platform's {@code web_servers} and a pack front's {@code pack_web_servers} come from outside:
 * each value that is not an existing server with an http service, a repeat, or too many, is
 * refused with the context, the property and the reason, before anything is written.
 */
class ClusterInputTest {
  @TempDir Path home;
  Path root;

  private Provision provision() {
    return Provision.builder().home(home).build();
  }

  @BeforeEach
  void contexts() {
    root = Fixtures.phpPlatform(home.resolve("platforms/p"));
    try (Provision p = provision()) {
      for (String web : List.of("server_a", "server_b")) {
        p.save(web, PropertyChanges.builder().set("context_type", "server").set("remote_host", "localhost")
            .set("http_service_type", "nginx").build());
      }
      p.save("server_plain", PropertyChanges.builder().set("context_type", "server").set("remote_host", "localhost")
          .build());
      p.save("platform_other", PropertyChanges.builder().set("context_type", "platform")
          .set("root", home.resolve("platforms/other").toString()).build());
    }
  }

  private void refusedAtVerify(String webServers, String reason) throws IOException {
    List<Path> before = files();
    try (Provision p = provision()) {
      p.save("platform_p", PropertyChanges.builder().set("context_type", "platform").set("root", root.toString())
          .set("web_server", "@server_a").set("web_servers", webServers).build());
      assertThatThrownBy(() -> p.platform("platform_p").verify()).as("web_servers=%s is refused", webServers)
          .isInstanceOf(InvalidContextException.class)
          .hasMessageContaining("@platform_p").hasMessageContaining("web_servers").hasMessageContaining(reason);
    }
    assertThat(files()).as("nothing was written for web_servers=%s", webServers).containsExactlyElementsOf(before);
  }

  /** Every file outside the context repository and the engine's own state. */
  private List<Path> files() throws IOException {
    try (Stream<Path> s = Files.walk(home)) {
      return s.filter(f -> Stream.of("contexts", "locks", "state").noneMatch(d -> f.startsWith(home.resolve(d))))
          .sorted().toList();
    }
  }

  @Test
  void webServersThatAreNotHttpServersAreRefusedBeforeAnythingRuns() throws IOException {
    refusedAtVerify("@server_missing", "@server_missing does not exist");
    refusedAtVerify("@platform_other", "is a platform, not a server");
    refusedAtVerify("@server_plain", "has no http service");
    refusedAtVerify("@server_a", "is the platform's web_server already");
    refusedAtVerify("@server_b,server_b", "is listed twice");
  }

  @Test
  void webServersAreBounded() throws IOException {
    List<String> many = new ArrayList<>();
    for (int i = 0; i <= PlatformKeys.MAX_WEB_SERVERS; i++) {
      many.add("@server_n" + i);
    }
    refusedAtVerify(String.join(",", many), "at most " + PlatformKeys.MAX_WEB_SERVERS);
  }

  @Test
  void hostileWebServersAreRefusedAtSave() {
    try (Provision p = provision()) {
      for (String hostile : List.of("@server_a;rm -rf /", "../server_a", "server_a\nx", "${x}")) {
        assertThatThrownBy(() -> p.save("platform_p", PropertyChanges.builder().set("context_type", "platform")
            .set("root", root.toString()).set("web_servers", hostile).build()))
            .as("%s is no context name", hostile)
            .isInstanceOf(InvalidContextException.class).hasMessageContaining("web_servers");
      }
    }
  }

  @Test
  void aPackFrontChecksItsMembersBeforeWritingItsConfiguration() {
    Path conf = home.resolve("config/server_front/nginx.conf");
    for (String[] bad : new String[][] {{"@server_missing", "does not exist"}, {"@server_plain", "has no http service"},
        {"@server_front", "is this front itself"}, {"@server_a,server_a", "is listed twice"}}) {
      try (Provision p = provision()) {
        p.save("server_front", PropertyChanges.builder().set("context_type", "server").set("remote_host", "localhost")
            .set("http_service_type", "pack").set("pack_web_servers", bad[0]).build());
        assertThatThrownBy(() -> p.server("server_front").verify()).as("pack_web_servers=%s", bad[0])
            .isInstanceOf(TaskFailedException.class).hasMessageContaining("pack_web_servers")
            .hasMessageContaining(bad[1]);
      }
      assertThat(conf).as("no configuration was written for pack_web_servers=%s", bad[0]).doesNotExist();
    }
  }

  @Test
  void aServerThatAFrontBalancesToCannotBeDeleted() {
    try (Provision p = provision()) {
      p.save("server_front", PropertyChanges.builder().set("context_type", "server").set("remote_host", "localhost")
          .set("http_service_type", "pack").set("pack_web_servers", "@server_a,@server_b").build());
      assertThatThrownBy(() -> p.delete("server_b"))
          .as("the front's upstream names it: deleting it would leave the front balancing to a ghost")
          .isInstanceOf(ContextInUseException.class).hasMessageContaining("@server_front");
      p.save("server_front", PropertyChanges.builder().set("pack_web_servers", "@server_a").build());
      p.delete("server_b");
      assertThat(p.repository().load(ContextName.of("server_b"))).as("once the front lets go, it can go").isEmpty();
    }
  }
}
