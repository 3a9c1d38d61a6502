package net.aegirj.provision.services.http;

import java.util.ServiceLoader;
/**
 * The {@code apache_ssl} http service type: {@code apache} plus HTTPS. The server gets a default
 * HTTPS virtual host answering 404 with the {@code default} certificate; a site with
 * {@code ssl_enabled=1} gets an HTTPS virtual host next to the plain one, with {@code ssl_enabled=2}
 * the plain one redirects to HTTPS. Certificates live in the master's central store
 * {@code <aegir_root>/config/ssl.d/<ssl_key>/} (a self-signed one is made when the named key does
 * not exist) and are copied to each web server's {@code <config_path>/ssl.d/}.
 */
public class ApacheSsl extends Apache {
  /** Creates it (for {@link ServiceLoader}). */
  public ApacheSsl() {}

  @Override
  public String id() {
    return "apache_ssl";
  }

  @Override
  protected boolean ssl() {
    return true;
  }
}
