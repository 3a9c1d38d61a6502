package net.aegirj.provision.example.php;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.Step;

/**
 * The {@code versions} type of the {@code php} service: each site may name the PHP version it
 * runs on ({@code php_version}); the web server's vhost announces it in an {@code X-Php-Version}
 * header, and the site's choice is recorded in {@code <config_path>/php/<uri>.conf}, written by
 * install and verify and removed by delete.
 */
public final class PhpVersions implements ServiceType {
  /** The versions a site may choose. */
  public static final List<String> VERSIONS = List.of("7.4", "8.1", "8.2", "8.3");

  /** The server's version, for sites that name none. */
  public static final PropertyKey<String> PHP_DEFAULT_VERSION = PropertyKey.string(
      PropertySpec.builder(ContextType.SERVER, "php_default_version", PropertySpec.Kind.STRING)
          .allowed(VERSIONS.toArray(new String[0])).defaultValue("8.2")
          .description("PHP version of the sites that name none").build());

  /** The site's version. */
  public static final PropertyKey<String> PHP_VERSION = PropertyKey.string(
      PropertySpec.builder(ContextType.SITE, "php_version", PropertySpec.Kind.STRING)
          .allowed(VERSIONS.toArray(new String[0])).defaultsTo("the web server's php_default_version")
          .description("PHP version the site runs on").build());

  @Override
  public String service() {
    return PhpService.NAME;
  }

  @Override
  public String id() {
    return "versions";
  }

  @Override
  public List<PropertySpec> serverProperties() {
    return List.of(PHP_DEFAULT_VERSION.spec());
  }

  @Override
  public List<PropertySpec> siteProperties() {
    return List.of(PHP_VERSION.spec());
  }

  @Override
  public List<String> templateLines(String point, ResolvedContext site, ResolvedContext server) {
    if (!point.equals("vhost.server")) {
      return List.of();
    }
    String version = version(site, server);
    if (server.get(ServerKeys.HTTP_SERVICE_TYPE).startsWith("apache")) {
      return List.of("<IfModule mod_headers.c>", "  Header always set X-Php-Version \"" + version + "\"",
          "</IfModule>");
    }
    return List.of("add_header X-Php-Version \"" + version + "\" always;");
  }

  @Override
  public List<Step> steps(Task task, ResolvedContext target, ResolvedContext server) {
    if (target.context().type() == ContextType.SERVER) {
      return List.of(Step.of("php: directory on " + server.name(), ctx ->
          ctx.host(server.name()).mkdirs(directory(server), FileMode.of(0755))));
    }
    if (target.context().type() != ContextType.SITE) {
      return List.of();
    }
    Path file = directory(server).resolve(target.get(SiteKeys.URI) + ".conf");
    return switch (task) {
      case INSTALL, VERIFY -> List.of(Step.of("php: record the version of " + target.name(), ctx -> {
        Host host = ctx.host(server.name());
        host.mkdirs(directory(server), FileMode.of(0755));
        byte[] body = ("php_version=" + version(target, server) + "\n").getBytes(StandardCharsets.UTF_8);
        if (host.write(file, body, FileMode.of(0644))) {
          ctx.changed(file.toString());
        }
      }));
      case DELETE -> List.of(Step.of("php: forget " + target.name(), ctx -> {
        if (ctx.host(server.name()).remove(file)) {
          ctx.changed(file.toString());
        }
      }));
      default -> List.of();
    };
  }

  private static String version(ResolvedContext site, ResolvedContext server) {
    return site.find(PHP_VERSION).orElseGet(() -> server.get(PHP_DEFAULT_VERSION));
  }

  private static Path directory(ResolvedContext server) {
    return Path.of(server.get(ServerKeys.CONFIG_PATH)).resolve("php");
  }
}
