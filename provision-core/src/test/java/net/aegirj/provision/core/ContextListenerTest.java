package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.spi.ContextListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContextListenerTest {
  @TempDir Path home;

  @Test
  void aFrontEndSeesEverySaveDeleteAndVerifyWithSecretsRedacted() {
    List<String> events = new ArrayList<>();
    List<Map<String, Object>> props = new ArrayList<>();
    ContextListener l = new ContextListener() {
      @Override
      public void saved(ContextName name, ContextType type, long version, Map<String, Object> properties) {
        events.add("saved " + name + " " + type.id() + " v" + version);
        props.add(properties);
      }

      @Override
      public void deleted(ContextName name) {
        events.add("deleted " + name);
      }

      @Override
      public void verified(ContextName name, TaskReport report, Map<String, Object> properties) {
        events.add("verified " + name);
      }
    };
    try (Provision p = Provision.builder().home(home).contextListener(l).contextListener(new ContextListener() {
      @Override
      public void deleted(ContextName name) {
        throw new IllegalStateException("a broken listener must not break anything");
      }
    }).build()) {
      p.save(Platform.named("platform_a").root("/srv/a"));
      p.save(Site.named("a.example.com").platform("platform_a"));
      p.save("a.example.com", PropertyChanges.builder().set("db_passwd", "Secret123").build());
      p.server("server_master").verify();
      p.delete("a.example.com");
    }
    assertThat(events).as("every change, in order").containsExactly("saved @platform_a platform v1",
        "saved @a.example.com site v1", "saved @a.example.com site v2", "verified @server_master",
        "deleted @a.example.com");
    assertThat(props.get(2)).as("resolved properties, the secret redacted")
        .containsEntry("db_passwd", "****").containsEntry("platform", "@platform_a").containsKey("site_path");
    assertThat(props.toString()).as("the password never reaches a listener").doesNotContain("Secret123");
  }
}
