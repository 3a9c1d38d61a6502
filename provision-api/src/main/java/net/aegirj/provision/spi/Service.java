package net.aegirj.provision.spi;

import java.util.Objects;
import net.aegirj.provision.api.Grammar;

/**
 * A service that servers offer through a selected {@link ServiceType}: {@code http}, {@code db} and
 * {@code dns} come with Provision; a plugin adds its own (a cache, a search server, a PHP version
 * switch) by listing an implementation in
 * {@code META-INF/services/net.aegirj.provision.spi.Service}, together with at least one
 * {@link ServiceType} for it. A server then selects a type with
 * {@code <name>_service_type=<id>}, and the service's steps join every site task that runs the
 * service it follows ({@link #after()}), on the server of the site it names ({@link #placement()}).
 */
public interface Service {
  /** Which of a site's servers runs a service's steps for that site. */
  enum Placement {
    /** The web server of the site's platform. */
    WEB_SERVER,
    /** The site's db server. */
    DB_SERVER,
    /** {@code @server_master}. */
    MASTER
  }

  /** @return the name, such as {@code http}; the server property is {@code <name>_service_type} */
  String name();

  /** @return which of a site's servers runs this service's steps for it; the web server by default */
  default Placement placement() {
    return Placement.WEB_SERVER;
  }

  /**
   * @return the service whose steps this one's follow in each task (default {@code http}: the
   *     site's files and vhost are in place); a task that does not run that service does not run
   *     this one
   */
  default String after() {
    return "http";
  }

  /**
   * Declares a service in code (for the built-in ones and for tests).
   *
   * @param name the name
   * @param placement which of a site's servers runs it
   * @param after the service it follows, or empty for none (a built-in service's place is fixed)
   * @return the service
   */
  static Service of(String name, Placement placement, String after) {
    if (!Grammar.ID.accepts(name)) {
      throw new IllegalArgumentException("service name '" + name + "' is not " + Grammar.ID.description());
    }
    Objects.requireNonNull(placement, "placement");
    Objects.requireNonNull(after, "after");
    return new Service() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Placement placement() {
        return placement;
      }

      @Override
      public String after() {
        return after;
      }

      @Override
      public String toString() {
        return "Service[" + name + "]";
      }
    };
  }
}
