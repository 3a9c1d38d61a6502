package net.aegirj.provision.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.spi.Service;
import net.aegirj.provision.spi.Service.Placement;
import org.junit.jupiter.api.Test;

class StepOrderTest {
  private static final List<Service> BUILT_IN = List.of(Service.of("http", Placement.WEB_SERVER, ""),
      Service.of("db", Placement.DB_SERVER, ""), Service.of("dns", Placement.MASTER, ""));

  private static List<Service> with(Service... plugins) {
    return Stream.concat(BUILT_IN.stream(), Stream.of(plugins)).toList();
  }

  @Test
  void theBuiltInOrderIsAegirs() {
    assertThat(StepOrder.parts(ContextType.SITE, Task.INSTALL, BUILT_IN)).as("install: database first")
        .containsExactly("db", StepOrder.APPLICATIONS, "http", "dns");
    assertThat(StepOrder.parts(ContextType.SITE, Task.DELETE, BUILT_IN)).as("delete: database first, dns last")
        .containsExactly("db", "http", StepOrder.APPLICATIONS, "dns");
    assertThat(StepOrder.tasks(ContextType.PLATFORM)).as("a platform's tasks")
        .containsExactly(Task.VERIFY, Task.DELETE);
  }

  @Test
  void pluginsFollowTheirServiceInLoadOrderAndChains() {
    List<Service> services = with(Service.of("php", Placement.WEB_SERVER, "http"),
        Service.of("cache", Placement.WEB_SERVER, "http"), Service.of("warm", Placement.WEB_SERVER, "cache"),
        Service.of("backup_db", Placement.DB_SERVER, "db"));
    assertThat(StepOrder.parts(ContextType.SITE, Task.VERIFY, services))
        .as("each plugin right after the one it follows, in load order")
        .containsExactly("db", "backup_db", StepOrder.APPLICATIONS, "http", "php", "cache", "warm", "dns");
    assertThat(StepOrder.parts(ContextType.SITE, Task.BACKUP_DELETE, services))
        .as("a task without the followed service runs no plugin").containsExactly(StepOrder.APPLICATIONS);
    assertThat(StepOrder.parts(ContextType.PLATFORM, Task.VERIFY, services))
        .as("a platform has no db server: a plugin placed there is left out")
        .containsExactly(StepOrder.APPLICATIONS, "http", "php", "cache", "warm");
  }
}
