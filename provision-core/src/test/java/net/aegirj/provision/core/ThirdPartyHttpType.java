package net.aegirj.provision.core;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.Step;

/**
 * A service type that is not ours, found through this test class path's
 * META-INF/services file: it declares {@code http_port} and writes one config file on server
 * verify.
 */
public final class ThirdPartyHttpType implements ServiceType {
  /** Creates it (for ServiceLoader). */
  public ThirdPartyHttpType() {}

  @Override
  public String service() {
    return "http";
  }

  @Override
  public String id() {
    return "thirdparty";
  }

  @Override
  public List<PropertySpec> serverProperties() {
    return List.of(PropertySpec.builder(ContextType.SERVER, "http_port", PropertySpec.Kind.INTEGER)
        .range(1, 65535).defaultValue(80).description("port of the web server").build());
  }

  @Override
  public List<Step> steps(Task task, ResolvedContext target, ResolvedContext server) {
    Path dir = Path.of((String) server.get("config_path").orElseThrow()).resolve("thirdparty");
    return List.of(
        Step.of("http: thirdparty directory", ctx -> ctx.host(server.name()).mkdirs(dir, FileMode.of(0711))),
        Step.of("http: thirdparty config", ctx -> {
          String conf = "listen " + server.get("http_port").orElseThrow() + ";\n";
          ctx.host(server.name()).write(dir.resolve("server.conf"), conf.getBytes(StandardCharsets.UTF_8),
              FileMode.of(0644));
          ctx.reload(server.name(), "http");
        }));
  }

  @Override
  public Optional<Command> reloadCommand(ResolvedContext server) {
    return Optional.of(Command.of("true"));
  }
}
