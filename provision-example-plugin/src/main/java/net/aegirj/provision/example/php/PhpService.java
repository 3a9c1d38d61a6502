package net.aegirj.provision.example.php;

import net.aegirj.provision.spi.Service;

/**
 * The {@code php} service: a server selects its type with {@code php_service_type=versions}; its
 * steps run on a site's web server, after the {@code http} service's.
 */
public final class PhpService implements Service {
  /** The service's name. */
  public static final String NAME = "php";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Placement placement() {
    return Placement.WEB_SERVER;
  }

  @Override
  public String after() {
    return "http";
  }
}
