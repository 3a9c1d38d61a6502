package net.aegirj.provision.api;

import java.util.Map;

/**
 * A named context: a {@link Server}, a {@link Platform} or a {@link Site}. A context value holds
 * only the properties that were set; defaults and derived properties (paths computed from
 * {@code aegir_root} or a platform's {@code root}) are worked out when the context is resolved, so
 * they are never stored as independent truth.
 */
public interface Context {
  /** @return the context's name */
  ContextName name();

  /** @return the context's type */
  ContextType type();

  /**
   * Properties declared by the service types selected on a server (for example {@code http_port}),
   * by Aegir name, as text. Empty for platforms and sites unless a service declares site
   * properties.
   *
   * @return the extra properties
   */
  Map<String, String> extras();

  /**
   * The parent server, which Aegir forces to {@code @server_master} for every context.
   *
   * @return {@code @server_master}
   */
  default ContextName server() {
    return ContextName.MASTER;
  }

  /**
   * The properties that were set on this context, by Aegir name, in canonical form (see
   * {@link PropertySpec}), extras included.
   *
   * @return an ordered, unmodifiable map
   */
  default Map<String, Object> properties() {
    return ContextProperties.toMap(this);
  }
}
