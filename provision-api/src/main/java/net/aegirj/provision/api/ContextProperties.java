package net.aegirj.provision.api;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Converts contexts to and from their properties in canonical form (see {@link PropertySpec}),
 * keyed by Aegir's property names. This is the one mapping between the typed values and the
 * untyped world of the command line, JSON files and alias files.
 */
public final class ContextProperties {
  private ContextProperties() {}

  /**
   * @param context any context
   * @return the properties that were set, in schema order, then the extras in name order
   */
  public static Map<String, Object> toMap(Context context) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (context instanceof Server s) {
      put(m, "remote_host", s.remoteHost());
      put(m, "aegir_root", s.aegirRoot().map(Path::toString));
      put(m, "script_user", s.scriptUser());
      putList(m, "ip_addresses", s.ipAddresses());
      put(m, "master_url", s.masterUrl());
      put(m, "admin_email", s.adminEmail());
      put(m, "http_service_type", s.httpServiceType());
      put(m, "db_service_type", s.dbServiceType());
      put(m, "dns_service_type", s.dnsServiceType());
      put(m, "ssh_port", s.sshPort());
      put(m, "ssh_user", s.sshUser());
      put(m, "ssh_identity", s.sshIdentity().map(Path::toString));
      put(m, "ssh_known_hosts", s.sshKnownHosts().map(Path::toString));
      put(m, "drush_path", s.drushPath());
    } else if (context instanceof Platform p) {
      put(m, "root", p.root().map(Path::toString));
      put(m, "web_server", p.webServer().map(ContextName::toString));
      put(m, "makefile", p.makefile());
      put(m, "make_working_copy", p.makeWorkingCopy());
      put(m, "repo_path", p.repoPath().map(Path::toString));
      put(m, "locked", p.locked());
      put(m, "drush_path", p.drushPath());
    } else if (context instanceof Site s) {
      put(m, "uri", s.uri());
      put(m, "platform", s.platform().map(ContextName::toString));
      put(m, "db_server", s.dbServer().map(ContextName::toString));
      put(m, "site_enabled", s.siteEnabled());
      put(m, "language", s.language());
      put(m, "client_name", s.clientName());
      put(m, "client_email", s.clientEmail());
      putList(m, "aliases", s.aliases());
      put(m, "redirection", s.redirection());
      put(m, "cron_key", s.cronKey());
      putList(m, "drush_aliases", s.drushAliases());
      put(m, "profile", s.profile());
      put(m, "install_method", s.installMethod().map(InstallMethod::id));
      put(m, "ssl_enabled", s.sslEnabled().map(SslMode::code));
      put(m, "ssl_key", s.sslKey());
      if (!s.ipAddresses().isEmpty()) {
        m.put("ip_addresses", Collections.unmodifiableMap(new LinkedHashMap<>(s.ipAddresses())));
      }
      put(m, "dns_zone", s.dnsZone());
      put(m, "dns_zone_subdomain", s.dnsZoneSubdomain());
      put(m, "installed", s.installed());
      put(m, "db_name", s.dbName());
      put(m, "db_user", s.dbUser());
      put(m, "db_passwd", s.dbPasswd());
    } else {
      throw new IllegalArgumentException("unknown context class " + context.getClass());
    }
    context.extras().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> m.put(e.getKey(), e.getValue()));
    return Collections.unmodifiableMap(m);
  }

  private static void put(Map<String, Object> m, String name, Optional<?> value) {
    value.ifPresent(v -> m.put(name, v));
  }

  private static void putList(Map<String, Object> m, String name, List<String> value) {
    if (!value.isEmpty()) {
      m.put(name, List.copyOf(value));
    }
  }

  /**
   * Builds a context from canonical properties. Names the schema does not declare for the type go
   * to {@link Context#extras()} as text; whether they are allowed there is for the caller to say.
   *
   * @param type the context type
   * @param name the context name
   * @param properties canonical values by Aegir name
   * @return the context
   * @throws InvalidContextException when a value is not valid for its property
   */
  public static Context fromMap(ContextType type, ContextName name, Map<String, ?> properties) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, String> extras = new LinkedHashMap<>();
    for (Map.Entry<String, ?> e : properties.entrySet()) {
      Optional<PropertySpec> spec = Schema.find(type, e.getKey());
      if (spec.isPresent()) {
        m.put(e.getKey(), spec.get().shape(name, e.getValue())); // the build validates it
      } else if (e.getValue() instanceof String s) {
        extras.put(e.getKey(), s);
      } else {
        throw new InvalidContextException(name.toString(), e.getKey(),
            "extra properties take text values, not " + e.getValue().getClass().getSimpleName());
      }
    }
    switch (type) {
      case SERVER: {
        Server.Builder b = Server.builder().name(name);
        str(m, "remote_host").ifPresent(b::remoteHost);
        str(m, "aegir_root").map(Path::of).ifPresent(b::aegirRoot);
        str(m, "script_user").ifPresent(b::scriptUser);
        b.ipAddresses(list(m, "ip_addresses"));
        str(m, "master_url").ifPresent(b::masterUrl);
        str(m, "admin_email").ifPresent(b::adminEmail);
        str(m, "http_service_type").ifPresent(b::httpServiceType);
        str(m, "db_service_type").ifPresent(b::dbServiceType);
        str(m, "dns_service_type").ifPresent(b::dnsServiceType);
        Optional.ofNullable((Integer) m.get("ssh_port")).ifPresent(b::sshPort);
        str(m, "ssh_user").ifPresent(b::sshUser);
        str(m, "ssh_identity").map(Path::of).ifPresent(b::sshIdentity);
        str(m, "ssh_known_hosts").map(Path::of).ifPresent(b::sshKnownHosts);
        str(m, "drush_path").ifPresent(b::drushPath);
        return b.putAllExtras(extras).build();
      }
      case PLATFORM: {
        Platform.Builder b = Platform.builder().name(name);
        str(m, "root").map(Path::of).ifPresent(b::root);
        str(m, "web_server").map(ContextName::of).ifPresent(b::webServer);
        str(m, "makefile").ifPresent(b::makefile);
        Optional.ofNullable((Boolean) m.get("make_working_copy")).ifPresent(b::makeWorkingCopy);
        str(m, "repo_path").map(Path::of).ifPresent(b::repoPath);
        Optional.ofNullable((Boolean) m.get("locked")).ifPresent(b::locked);
        str(m, "drush_path").ifPresent(b::drushPath);
        return b.putAllExtras(extras).build();
      }
      case SITE:
      default: {
        Site.Builder b = Site.builder().name(name);
        str(m, "uri").ifPresent(b::uri);
        str(m, "platform").map(ContextName::of).ifPresent(b::platform);
        str(m, "db_server").map(ContextName::of).ifPresent(b::dbServer);
        Optional.ofNullable((Boolean) m.get("site_enabled")).ifPresent(b::siteEnabled);
        str(m, "language").ifPresent(b::language);
        str(m, "client_name").ifPresent(b::clientName);
        str(m, "client_email").ifPresent(b::clientEmail);
        b.aliases(list(m, "aliases"));
        str(m, "redirection").ifPresent(b::redirection);
        str(m, "cron_key").ifPresent(b::cronKey);
        b.drushAliases(list(m, "drush_aliases"));
        str(m, "profile").ifPresent(b::profile);
        str(m, "install_method").map(InstallMethod::fromId).ifPresent(b::installMethod);
        Optional.ofNullable((Integer) m.get("ssl_enabled")).map(SslMode::fromCode).ifPresent(b::sslEnabled);
        str(m, "ssl_key").ifPresent(b::sslKey);
        @SuppressWarnings("unchecked")
        Map<String, String> ips = (Map<String, String>) m.getOrDefault("ip_addresses", Map.of());
        b.putAllIpAddresses(ips);
        str(m, "dns_zone").ifPresent(b::dnsZone);
        str(m, "dns_zone_subdomain").ifPresent(b::dnsZoneSubdomain);
        Optional.ofNullable((Boolean) m.get("installed")).ifPresent(b::installed);
        str(m, "db_name").ifPresent(b::dbName);
        str(m, "db_user").ifPresent(b::dbUser);
        str(m, "db_passwd").ifPresent(b::dbPasswd);
        return b.putAllExtras(extras).build();
      }
    }
  }

  private static Optional<String> str(Map<String, Object> m, String name) {
    return Optional.ofNullable((String) m.get(name));
  }

  @SuppressWarnings("unchecked")
  private static List<String> list(Map<String, Object> m, String name) {
    return (List<String>) m.getOrDefault(name, List.of());
  }

  /**
   * Validates a context in one pass (see {@link #validate(Context)}) and canonicalises it.
   *
   * @param context a context just built
   * @return the context itself when all its values are canonical, else a canonical copy
   * @throws InvalidContextException naming the first refused property
   */
  static Context checked(Context context) {
    Map<String, Object> props = toMap(context);
    return check(context, props) ? context : fromMap(context.type(), context.name(), props);
  }


  /**
   * Validates every property of a context against its declaration, and every extra against the
   * generic rules for extras (an identifier name that no declared property has, one line of
   * printable ASCII).
   *
   * @param context the context
   * @throws InvalidContextException naming the first refused property
   */
  public static void validate(Context context) {
    check(context, toMap(context));
  }

  /** @return whether every declared value is already in its canonical form */
  private static boolean check(Context context, Map<String, Object> props) {
    boolean canonical = true;
    for (Map.Entry<String, Object> e : props.entrySet()) {
      Optional<PropertySpec> spec = Schema.find(context.type(), e.getKey());
      if (spec.isPresent()) {
        canonical &= spec.get().validate(context.name(), e.getValue()).equals(e.getValue());
      } else {
        if (!Grammar.ID.accepts(e.getKey())) {
          throw new InvalidContextException(context.name().toString(), e.getKey(),
              "a property name must be " + Grammar.ID.description());
        }
        // The service type that declares an extra validates it by its own grammar when it is
        // saved; here every extra is at least one line of printable ASCII.
        Grammar.COMMAND.check(context.name(), e.getKey(), (String) e.getValue());
      }
    }
    for (String name : context.extras().keySet()) {
      if (Schema.find(context.type(), name).isPresent()) {
        throw new InvalidContextException(context.name().toString(), name,
            "is a declared property of a " + context.type().id() + "; set it directly, not as an extra");
      }
    }
    return canonical;
  }

}
