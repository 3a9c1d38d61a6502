package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Migration;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskOptions;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.api.UnknownServiceTypeException;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Service;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.Step;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin's service, its type's server and site properties, and the place of its steps; typed
 * reads; and migrate and clone as tasks of their own.
 */
class PluginServicesTest {
  @TempDir Path home;

  static final PropertyKey<String> FLAVOUR = PropertyKey.string(
      PropertySpec.builder(ContextType.SITE, "cache_flavour", PropertySpec.Kind.STRING)
          .allowed("plain", "fancy").description("which cache").build());
  static final PropertyKey<Integer> CACHE_PORT = PropertyKey.integer(
      PropertySpec.builder(ContextType.SERVER, "cache_port", PropertySpec.Kind.INTEGER).range(1, 65535)
          .defaultValue(6379).description("cache port").build());

  /** A plugin's type: a file per site on verify, and a step on the server. */
  static class CacheType implements ServiceType {
    @Override
    public String service() {
      return "cache";
    }

    @Override
    public String id() {
      return "memory";
    }

    @Override
    public List<PropertySpec> serverProperties() {
      return List.of(CACHE_PORT.spec());
    }

    @Override
    public List<PropertySpec> siteProperties() {
      return List.of(FLAVOUR.spec());
    }

    @Override
    public List<Step> steps(Task task, ResolvedContext target, ResolvedContext server) {
      return List.of(Step.of("cache: " + task.id() + " " + target.name(), ctx -> {
        Path dir = Path.of(server.get(ServerKeys.CONFIG_PATH)).resolve("cache");
        ctx.host(server.name()).mkdirs(dir, FileMode.of(0755));
        ctx.host(server.name()).write(dir.resolve(target.name().value()), (server.get(CACHE_PORT) + " "
            + target.find(FLAVOUR).orElse("none")).getBytes(), FileMode.of(0644));
      }));
    }
  }

  private Provision provision(List<Service> services) {
    return Provision.builder().home(home)
        .registry(ServiceRegistry.of(services, List.of(new CacheType()), List.of())).build();
  }

  @Test
  void aPluginServiceIsSelectedDeclaresPropertiesAndRunsItsSteps() throws Exception {
    try (Provision p = provision(List.of(Service.of("cache", Service.Placement.WEB_SERVER, "http")))) {
      assertThat(p.registry().services()).as("the built-in services first, then the plugin's")
          .containsExactly("http", "db", "dns", "cache");
      assertThatThrownBy(() -> p.save("server_master", PropertyChanges.builder().set("cache_port", "1").build()))
          .as("a type's property is unknown until the server selects the type")
          .isInstanceOf(InvalidContextException.class).hasMessageContaining("cache_port");
      assertThatThrownBy(() -> p.save("server_master", PropertyChanges.builder()
          .set("cache_service_type", "disk").build()))
          .as("an unknown type of a plugin's service is refused with the known ones")
          .isInstanceOf(UnknownServiceTypeException.class).hasMessageContaining("memory");
      p.save("server_master", PropertyChanges.builder().set("cache_service_type", "memory").build());
      ResolvedContext master = p.resolve("server_master");
      assertThat(master.get(CACHE_PORT)).as("a typed read of the type's default").isEqualTo(6379);
      p.save("server_master", PropertyChanges.builder().set("cache_port", "7000").build());
      assertThat(p.resolve("server_master").get(CACHE_PORT)).as("a typed read of the set value").isEqualTo(7000);

      TaskReport verify = p.server("server_master").verify();
      assertThat(verify.succeeded()).as("verify succeeds: %s", verify.summary()).isTrue();
      assertThat(verify.steps()).extracting(TaskReport.StepReport::name).as("the plugin's step runs last")
          .last().asString().startsWith("cache: verify");
      assertThat(Files.readString(home.resolve("config/server_master/cache/server_master")))
          .as("the step read the typed value").isEqualTo("7000 none");
    }
  }

  @Test
  void aDeclaredSitePropertyIsSavedShownValidatedAndReset() {
    try (Provision p = provision(List.of(Service.of("cache", Service.Placement.WEB_SERVER, "http")))) {
      p.save("platform_p", PropertyChanges.builder().set("context_type", "platform").set("root", "/srv/p").build());
      p.save("a.example.com", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_p")
          .set("cache_flavour", "fancy").build());
      assertThat(p.resolve("a.example.com").find(FLAVOUR)).as("stored and read typed").contains("fancy");
      assertThat(p.resolve("a.example.com").get(SiteKeys.SSL_ENABLED)).as("a core key's default, typed")
          .isEqualTo(0);
      assertThatThrownBy(() -> p.save("a.example.com", PropertyChanges.builder().set("cache_flavour", "x\ny").build()))
          .as("validated by its declaration").isInstanceOf(InvalidContextException.class)
          .hasMessageContaining("cache_flavour");
      assertThat(p.resolve("a.example.com").find(FLAVOUR)).as("nothing changed").contains("fancy");
      assertThatThrownBy(() -> p.save("a.example.com", PropertyChanges.builder().set("cache_flavor", "plain").build()))
          .as("a misspelt name is unknown, and the message lists the declared one")
          .isInstanceOf(InvalidContextException.class).hasMessageContaining("cache_flavour");
      p.save("a.example.com", PropertyChanges.builder().set(FLAVOUR, "plain")
          .set(SiteKeys.ALIASES, List.of("b.example.com", "c.example.com")).set(SiteKeys.SSL_ENABLED, 1).build());
      ResolvedContext typed = p.resolve("a.example.com");
      assertThat(typed.find(FLAVOUR)).as("a typed write of a plugin's property").contains("plain");
      assertThat(typed.get(SiteKeys.ALIASES)).as("a typed write of a list")
          .containsExactly("b.example.com", "c.example.com");
      assertThat(typed.get(SiteKeys.SSL_ENABLED)).as("a typed write of an integer").isEqualTo(1);
      p.save("a.example.com", PropertyChanges.builder().reset(FLAVOUR).build());
      assertThat(p.resolve("a.example.com").find(FLAVOUR)).as("reset").isEmpty();
      assertThatThrownBy(() -> p.resolve("a.example.com").get(SiteKeys.DB_NAME))
          .as("a required read of a property without a value names it")
          .isInstanceOf(InvalidContextException.class).hasMessageContaining("db_name");
    }
  }

  @Test
  void badPluginsAreRefusedWhenTheRegistryIsBuilt() {
    assertThatThrownBy(() -> ServiceRegistry.of(List.of(Service.of("cache", Service.Placement.WEB_SERVER, "nosuch")),
        List.of(), List.of())).as("a service must follow a known one")
        .isInstanceOf(ProvisionException.class).hasMessageContaining("nosuch");
    assertThatThrownBy(() -> ServiceRegistry.of(List.of(Service.of("cache", Service.Placement.WEB_SERVER, "")),
        List.of(), List.of())).as("a plugin's service that follows none would never run in a task")
        .isInstanceOf(ProvisionException.class).hasMessageContaining("follows no service");
    assertThatThrownBy(() -> ServiceRegistry.of(List.of(), List.of(new CacheType()), List.of()))
        .as("a type of a service nobody added").isInstanceOf(ProvisionException.class)
        .hasMessageContaining("'cache', which does not exist");
    ServiceType clash = new CacheType() {
      @Override
      public String id() {
        return "clash";
      }

      @Override
      public List<PropertySpec> siteProperties() {
        return List.of(SiteKeys.LANGUAGE.spec());
      }
    };
    assertThatThrownBy(() -> ServiceRegistry.of(List.of(Service.of("cache", Service.Placement.WEB_SERVER, "http")),
        List.of(clash), List.of())).as("a site property that core declares already")
        .isInstanceOf(ProvisionException.class).hasMessageContaining("language");
  }

  @Test
  void migrateAndCloneAreTasksWithCheckedOptions() {
    try (Provision p = provision(List.of(Service.of("cache", Service.Placement.WEB_SERVER, "http")))) {
      p.save("platform_p", PropertyChanges.builder().set("context_type", "platform").set("root", "/srv/p").build());
      p.save("a.example.com", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_p")
          .build());
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.MIGRATE, Map.of("platfrom", "@platform_p")))
          .as("an unknown option is named with the known ones").isInstanceOf(InvalidContextException.class)
          .hasMessageContaining("platfrom").hasMessageContaining(TaskOptions.PLATFORM);
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.CLONE, Map.of()))
          .as("a clone needs a name").isInstanceOf(InvalidContextException.class).hasMessageContaining("new_uri");
      assertThatThrownBy(() -> p.site("a.example.com").migrate(Migration.toPlatform("platform_p")))
          .as("a site that is not installed has nothing to migrate").isInstanceOf(InvalidContextException.class)
          .hasMessageContaining("nothing to migrate");
      assertThatThrownBy(() -> p.site("a.example.com").plan(Task.CLONE))
          .as("a plan of the whole is refused in plain words").isInstanceOf(InvalidContextException.class)
          .hasMessageContaining("cannot be planned");
      assertThat(Migration.fromOptions(Migration.toPlatform("p2").dbServer("db").newName("b.example.com").options()))
          .as("options round-trip").isEqualTo(Migration.toPlatform("@p2").dbServer("@db").newName("b.example.com"));
    }
  }
}
