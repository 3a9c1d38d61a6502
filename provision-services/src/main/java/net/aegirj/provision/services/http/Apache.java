package net.aegirj.provision.services.http;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.ServiceLoader;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.StepContext;

/**
 * The {@code apache} http service type: {@code <config_path>/apache.conf} (included by the
 * system's configuration through {@code <aegir_root>/config/apache.conf}; the system owns the
 * {@code Listen} directives), one {@code <Directory>} file per platform in {@code platform.d}, and
 * one virtual host per site in {@code vhost.d}, with PHP through PHP-FPM ({@code proxy_fcgi}).
 */
public class Apache extends HttpServiceType {
  /** Reloads Apache: {@code apache2ctl graceful} by default. */
  public static final PropertyKey<String> HTTP_RESTART_CMD = restartCommand("apache2ctl graceful");
  /** Tests Apache's configuration: {@code apache2ctl -t} by default. */
  public static final PropertyKey<String> HTTP_TEST_CMD = testCommand("apache2ctl -t");
  /** Operator templates overriding ours: {@code <dir>/apache/<name>.conf}. */
  public static final PropertyKey<String> HTTP_TEMPLATE_DIR = templateDir("apache");

  /** Creates it (for {@link ServiceLoader}). */
  public Apache() {
    super(HTTP_RESTART_CMD, HTTP_TEST_CMD, HTTP_TEMPLATE_DIR);
  }

  @Override
  public String id() {
    return "apache";
  }

  @Override
  protected String app() {
    return "apache";
  }

  @Override
  protected boolean ssl() {
    return false;
  }

  @Override
  protected byte[] generationFile(String generation) {
    return ("Define PROVISION_GENERATION " + generation + "\n").getBytes(StandardCharsets.UTF_8);
  }

  @Override
  protected String generationReference() {
    return "${PROVISION_GENERATION}";
  }

  @Override
  String displayName() {
    return "Apache";
  }

  @Override
  String reloadAdvice(List<ReloadCheck.Port> ports) {
    return "Apache answers only on ports the system's configuration has a Listen directive for (ports.conf), and"
        + " its error log says why a graceful restart did not apply: add 'Listen " + ports.get(0).port()
        + "' there, free the port, or choose another " + (ports.size() > 1 ? "http_port or http_ssl_port" : "http_port");
  }

  @Override
  protected void platformFiles(StepContext ctx, ResolvedContext platform, ResolvedContext server) {
    var model = serverModel(server);
    model.put("platform", platform.name().toString());
    model.put("root", Grammar.PATH.check(platform.name(), "root", platform.get(PlatformKeys.ROOT)));
    if (ctx.host(server.name()).write(platformPath(server, platform.name()),
        render(ctx, server, "platform", model), FileMode.of(CONFIG_FILE))) {
      ctx.reload(server.name(), "http");
    }
  }
}
