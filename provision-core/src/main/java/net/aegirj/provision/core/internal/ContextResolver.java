package net.aegirj.provision.core.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ResolvedContext.Property;
import net.aegirj.provision.api.ResolvedContext.Source;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.Versioned;

/**
 * Works out every property of a stored context for {@link ContextService#resolve}: set, default
 * (the schema's, a service type's, the master's) or derived. It reads the repository and never
 * writes it; the master, which exists implicitly, comes from the service.
 */
final class ContextResolver {
  private final ContextRepository repository;
  private final Path home;
  private final ServiceRegistry registry;
  private final Supplier<Versioned> master;

  /**
   * @param repository where contexts live
   * @param home the Provision home, the master's default {@code aegir_root}
   * @param registry the service types, which declare extra properties
   * @param master the stored master server, created on first use
   */
  ContextResolver(ContextRepository repository, Path home, ServiceRegistry registry, Supplier<Versioned> master) {
    this.repository = repository;
    this.home = home;
    this.registry = registry;
    this.master = master;
  }

  /**
   * Works out every property of a context: set, default or derived.
   *
   * @param v a stored context
   * @return the resolved context
   */
  ResolvedContext resolve(Versioned v) {
    Context c = v.context();
    Map<String, Object> set = ContextProperties.toMap(c);
    Map<String, Object> defaults = defaults(c);
    List<Property> out = new ArrayList<>();
    out.add(new Property("context_type", Optional.of(c.type().id()), Source.SET, false));
    out.add(new Property("server", Optional.of(ContextName.MASTER.toString()), Source.DERIVED, false));
    for (PropertySpec spec : Schema.properties(c.type())) {
      Object value = set.get(spec.name());
      Source source = Source.SET;
      if (value == null) {
        value = defaults.get(spec.name());
        source = spec.derived() ? Source.DERIVED : Source.DEFAULT;
      }
      out.add(new Property(spec.name(), Optional.ofNullable(value), source, spec.secret()));
    }
    List<PropertySpec> declared = resolvableExtras(c);
    for (PropertySpec spec : declared) {
      String value = c.extras().get(spec.name());
      Object canonical = value == null ? spec.defaultValue().orElse(null) : spec.parse(c.name(), value);
      out.add(new Property(spec.name(), Optional.ofNullable(canonical),
          value == null ? Source.DEFAULT : Source.SET, spec.secret()));
    }
    for (Map.Entry<String, String> e : new TreeMap<>(c.extras()).entrySet()) {
      if (declared.stream().noneMatch(p -> p.name().equals(e.getKey()))) {
        out.add(new Property(e.getKey(), Optional.of(e.getValue()), Source.SET, true));
      }
    }
    return new ResolvedContext(c, v.version(), out);
  }

  /** The declared extras of a stored context, leniently: an unknown type declares nothing. */
  private List<PropertySpec> resolvableExtras(Context c) {
    return registry.extraProperties(c.type(),
        service -> c instanceof Server server ? registry.selectedId(server, service) : null);
  }

  private Map<String, Object> defaults(Context c) {
    Map<String, Object> d = new LinkedHashMap<>();
    for (PropertySpec spec : Schema.properties(c.type())) {
      spec.defaultValue().ifPresent(v -> d.put(spec.name(), v));
    }
    if (c instanceof Server s) {
      Path root = aegirRoot(s);
      String remoteHost = s.remoteHost().orElse(ServerKeys.REMOTE_HOST.defaultValue().orElseThrow());
      String user = scriptUser(s);
      d.put("aegir_root", root.toString());
      d.put("script_user", user);
      d.put("admin_email", "admin@" + remoteHost);
      d.put("ssh_user", user);
      d.put("ssh_known_hosts", Path.of(System.getProperty("user.home"), ".ssh", "known_hosts").toString());
      d.put("backup_path", s.backupPath(root).toString());
      d.put("config_path", s.configPath(root).toString());
      d.put("include_path", s.includePath(root).toString());
      d.put("clients_path", s.clientsPath(root).toString());
    } else if (c instanceof Site s) {
      d.put("uri", s.effectiveUri());
      ContextName dbServer = s.dbServer().orElse(ContextName.MASTER);
      Optional<Context> db = dbServer.isMaster() ? Optional.of(master.get().context())
          : repository.load(dbServer).map(Versioned::context);
      if (db.isPresent() && db.get() instanceof Server server) {
        String type = server.dbServiceType().orElse("null");
        d.put("db_type", type.equals("NONE") ? "null" : type);
        d.put("db_host", server.remoteHost().orElse(ServerKeys.REMOTE_HOST.defaultValue().orElseThrow()));
        dbPort(server, type).ifPresent(port -> d.put("db_port", port));
      }
      s.platform().flatMap(repository::load).map(Versioned::context)
          .filter(p -> p instanceof Platform).map(p -> (Platform) p)
          .flatMap(Platform::root).ifPresent(root -> {
            d.put("root", root.toString());
            d.put("site_path", root.resolve("sites").resolve(s.effectiveUri()).toString());
          });
    }
    return d;
  }

  /**
   * The port of a db server, as its db type declares it: the value set on the server, else the
   * type's default; empty when the type declares no {@code db_port} or the stored text is not one.
   */
  private Optional<Integer> dbPort(Server server, String type) {
    for (PropertySpec spec : registry.declared("db", type)) {
      if (spec.name().equals(SiteKeys.DB_PORT.name())) {
        String text = server.extras().get(spec.name());
        try {
          return Optional.ofNullable(text == null ? spec.defaultValue().orElse(null) : spec.parse(server.name(), text))
              .map(SiteKeys.DB_PORT::cast);
        } catch (InvalidContextException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /**
   * @param server a server
   * @return its effective {@code aegir_root}: the master's own (default: the home), for others the
   *     master's
   */
  Path aegirRoot(Server server) {
    if (server.name().isMaster()) {
      return server.aegirRoot().orElse(home);
    }
    Server m = (Server) master.get().context();
    return m.aegirRoot().orElse(home);
  }

  /**
   * @param server a server
   * @return its effective {@code script_user}
   */
  String scriptUser(Server server) {
    if (server.scriptUser().isPresent()) {
      return server.scriptUser().get();
    }
    if (!server.name().isMaster()) {
      Server m = (Server) master.get().context();
      if (m.scriptUser().isPresent()) {
        return m.scriptUser().get();
      }
    }
    return System.getProperty("user.name");
  }
}
