package net.aegirj.provision.services.http;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.StepContext;

/**
 * The {@code nginx} http service type: {@code <config_path>/nginx.conf} (included in the system's
 * {@code http {}} block through {@code <aegir_root>/config/nginx.conf}), the shared Drupal rules in
 * {@code <config_path>/nginx_vhost_common.conf}, and one file per site in {@code vhost.d}.
 */
public class Nginx extends HttpServiceType {
  /** Reloads nginx: {@code nginx -s reload} by default. */
  public static final PropertyKey<String> HTTP_RESTART_CMD = restartCommand("nginx -s reload");
  /** Tests nginx's configuration: {@code nginx -t -q} by default. */
  public static final PropertyKey<String> HTTP_TEST_CMD = testCommand("nginx -t -q");
  /** Operator templates overriding ours: {@code <dir>/nginx/<name>.conf}. */
  public static final PropertyKey<String> HTTP_TEMPLATE_DIR = templateDir("nginx");

  /** Creates it (for {@link ServiceLoader}). */
  public Nginx() {
    super(HTTP_RESTART_CMD, HTTP_TEST_CMD, HTTP_TEMPLATE_DIR);
  }

  @Override
  public String id() {
    return "nginx";
  }

  @Override
  protected String app() {
    return "nginx";
  }

  @Override
  protected boolean ssl() {
    return false;
  }

  @Override
  protected byte[] generationFile(String generation) {
    return ("set $provision_generation \"" + generation + "\";\n").getBytes(StandardCharsets.UTF_8);
  }

  @Override
  protected String generationReference() {
    return "$provision_generation";
  }

  @Override
  String reloadAdvice(List<ReloadCheck.Port> ports) {
    return "nginx keeps serving its old configuration when it cannot apply a new one, and its error log says why"
        + " (e.g. 'bind() to …:" + ports.get(0).port() + " failed (98: Address already in use)'): free the port"
        + " or choose another " + (ports.size() > 1 ? "http_port or http_ssl_port" : "http_port");
  }

  @Override
  protected boolean extraServerFiles(StepContext ctx, ResolvedContext server, Map<String, Object> model) {
    Path common = Path.of((String) model.get("common_include"));
    return ctx.host(server.name()).write(common, render(ctx, server, "common", model), FileMode.of(CONFIG_FILE));
  }
}
