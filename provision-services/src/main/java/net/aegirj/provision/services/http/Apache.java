package net.aegirj.provision.services.http;

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
  /** Creates it (for {@link java.util.ServiceLoader}). */
  public Apache() {}

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
  protected String defaultRestartCommand() {
    return "apache2ctl graceful";
  }

  @Override
  protected String defaultTestCommand() {
    return "apache2ctl -t";
  }

  @Override
  protected void platformFiles(StepContext ctx, ResolvedContext platform, ResolvedContext server) {
    var model = serverModel(server);
    model.put("platform", platform.name().toString());
    model.put("root", net.aegirj.provision.api.Grammar.PATH.check(platform.name(), "root", str(platform, "root")));
    if (ctx.host(server.name()).write(platformPath(server, platform.name()),
        render(ctx, server, "platform", model), FileMode.of(CONFIG_FILE))) {
      ctx.reload(server.name(), "http");
    }
  }
}
