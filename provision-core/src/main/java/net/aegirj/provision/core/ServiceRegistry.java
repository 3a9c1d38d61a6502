package net.aegirj.provision.core;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.api.UnknownServiceTypeException;
import net.aegirj.provision.spi.Application;
import net.aegirj.provision.spi.Service;
import net.aegirj.provision.spi.Service.Placement;
import net.aegirj.provision.spi.ServiceType;

/**
 * The services and service types on the class path, found with {@link ServiceLoader}: the built-in
 * services ({@code http}, {@code db}, {@code dns}) and those plugins add, each with its types by
 * id. Two providers with one id for one service, a type of an unknown service, a service that
 * follows an unknown one, or a declared property that clashes with another are errors when the
 * registry is built, naming the classes.
 */
public final class ServiceRegistry {
  /** The built-in services, each with a {@code <service>_service_type} server property. */
  public static final List<String> SERVICES = List.of("http", "db", "dns");

  /** The most plugin jars a directory may hold. */
  static final int MAX_PLUGIN_JARS = 256;

  private static final List<Service> BUILT_IN = List.of(Service.of("http", Placement.WEB_SERVER, ""),
      Service.of("db", Placement.DB_SERVER, ""), Service.of("dns", Placement.MASTER, ""));

  private final Map<String, Service> services = new LinkedHashMap<>();
  private final Map<String, PropertyKey<String>> pluginServiceKeys = new LinkedHashMap<>();
  private final Map<String, Map<String, ServiceType>> types = new TreeMap<>();
  private final Map<String, PropertySpec> siteProperties = new LinkedHashMap<>();
  private final List<Application> applications = new ArrayList<>();

  private ServiceRegistry(Iterable<Service> plugins, Iterable<ServiceType> providers, Iterable<Application> apps) {
    for (Application a : apps) {
      for (Application b : applications) {
        if (b.id().equals(a.id()) && !b.getClass().equals(a.getClass())) {
          throw new ProvisionException("two applications have the id '" + a.id() + "': "
              + b.getClass().getName() + " and " + a.getClass().getName());
        }
      }
      if (applications.stream().noneMatch(b -> b.getClass().equals(a.getClass()))) {
        applications.add(a);
      }
    }
    BUILT_IN.forEach(s -> services.put(s.name(), s));
    for (Service s : plugins) {
      addService(s);
    }
    for (Service s : services.values()) {
      if (!s.after().isEmpty() && (!services.containsKey(s.after()) || s.after().equals(s.name()))) {
        throw new ProvisionException("service '" + s.name() + "' (" + s.getClass().getName() + ") follows '"
            + s.after() + "', which is not another service; services: " + String.join(", ", services.keySet()));
      }
    }
    for (String s : services.keySet()) {
      types.put(s, new TreeMap<>());
    }
    for (ServiceType t : providers) {
      add(t);
    }
    for (String s : services.keySet()) {
      types.get(s).putIfAbsent(NullServiceType.ID, switch (s) {
        case "http" -> new NullServiceType.Http();
        case "db" -> new NullServiceType.Db();
        case "dns" -> new NullServiceType.Dns();
        default -> NullServiceType.of(s);
      });
    }
  }

  private void addService(Service s) {
    String where = s.getClass().getName();
    if (!Grammar.ID.accepts(s.name())) {
      throw new ProvisionException("service " + where + " has the name '" + s.name() + "', which is not "
          + Grammar.ID.description());
    }
    Service previous = services.get(s.name());
    if (previous != null) {
      if (previous.getClass().equals(s.getClass())) {
        return;
      }
      throw new ProvisionException("two services have the name '" + s.name() + "': "
          + previous.getClass().getName() + " and " + where);
    }
    PropertyKey<String> key = ServerKeys.serviceType(s.name());
    if (Schema.find(ContextType.SERVER, key.name()).isPresent()) {
      throw new ProvisionException("service " + where + " would declare '" + key.name()
          + "', which is already a server property");
    }
    if (s.after().isEmpty()) {
      throw new ProvisionException("service " + where + " ('" + s.name() + "') follows no service, so no task"
          + " would run its steps; name the service it follows (after())");
    }
    services.put(s.name(), s);
    pluginServiceKeys.put(s.name(), key);
  }

  private void add(ServiceType t) {
    String where = t.getClass().getName();
    Map<String, ServiceType> byId = types.get(t.service());
    if (byId == null) {
      throw new ProvisionException("service type " + where + " is for service '" + t.service()
          + "', which does not exist; services: " + String.join(", ", services.keySet()));
    }
    if (!Grammar.ID.accepts(t.id())) {
      throw new ProvisionException("service type " + where + " has id '" + t.id() + "', which is not "
          + Grammar.ID.description());
    }
    ServiceType previous = byId.get(t.id());
    if (previous != null && !previous.getClass().equals(t.getClass())) {
      throw new ProvisionException("two " + t.service() + " service types have the id '" + t.id()
          + "': " + previous.getClass().getName() + " and " + where + "; remove one from the class path");
    }
    for (PropertySpec p : t.serverProperties()) {
      if (p.contextType() != ContextType.SERVER || Schema.find(ContextType.SERVER, p.name()).isPresent()
          || p.name().endsWith("_service_type")) {
        throw new ProvisionException("service type " + where + " declares '" + p.name()
            + "', which is not a new server property");
      }
    }
    for (PropertySpec p : t.siteProperties()) {
      PropertySpec other = siteProperties.get(p.name());
      if (p.contextType() != ContextType.SITE || p.derived() || p.required()
          || Schema.find(ContextType.SITE, p.name()).isPresent() || (other != null && other != p)) {
        throw new ProvisionException("service type " + where + " declares '" + p.name()
            + "', which is not a new, optional, stored site property");
      }
    }
    t.siteProperties().forEach(p -> siteProperties.put(p.name(), p));
    byId.put(t.id(), t);
  }

  /**
   * Finds the providers visible to a class loader.
   *
   * @param loader the class loader to search
   * @return the registry
   * @throws ProvisionException when providers clash or cannot be loaded
   */
  public static ServiceRegistry load(ClassLoader loader) {
    List<Service> services = new ArrayList<>();
    List<ServiceType> found = new ArrayList<>();
    List<Application> apps = new ArrayList<>();
    try {
      for (Service s : ServiceLoader.load(Service.class, loader)) {
        services.add(s);
      }
      for (ServiceType t : ServiceLoader.load(ServiceType.class, loader)) {
        found.add(t);
      }
      for (Application a : ServiceLoader.load(Application.class, loader)) {
        apps.add(a);
      }
    } catch (ServiceConfigurationError e) {
      throw new ProvisionException("cannot load a service type: " + e.getMessage(), e);
    }
    return new ServiceRegistry(services, found, apps);
  }

  /**
   * Finds the providers visible to this library's class loader and those of the plugin jars in a
   * directory (each {@code *.jar} in it, in name order). Plugins are code: the directory and
   * every jar must belong to the current user or root and be writable by nobody else, else they
   * are refused before anything is loaded.
   *
   * @param dir the plugin directory; when it does not exist, only the built-in providers are used
   * @return the registry
   * @throws ProvisionException when the directory or a jar is unsafe, cannot be read, or its
   *     providers clash
   */
  public static ServiceRegistry loadWithPlugins(Path dir) {
    if (!Files.isDirectory(dir)) {
      return load();
    }
    List<URL> jars = new ArrayList<>();
    try {
      checkPrivate(dir);
      try (Stream<Path> s = Files.list(dir)) {
        for (Path jar : s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList()) {
          if (jars.size() >= MAX_PLUGIN_JARS) {
            throw new ProvisionException("plugin directory " + Text.quote(dir.toString()) + " holds more than "
                + MAX_PLUGIN_JARS + " jars");
          }
          checkPrivate(jar);
          jars.add(jar.toUri().toURL());
        }
      }
    } catch (IOException e) {
      throw new ProvisionException("cannot read the plugin directory " + Text.quote(dir.toString()) + ": " + e, e);
    }
    if (jars.isEmpty()) {
      return load();
    }
    // The loader stays open for the life of the process: the plugins' classes are used until it ends.
    URLClassLoader loader = new URLClassLoader("provision-plugins", jars.toArray(new URL[0]),
        ServiceRegistry.class.getClassLoader());
    return load(loader);
  }

  private static void checkPrivate(Path p) throws IOException {
    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    Set<PosixFilePermission> perms = a.permissions();
    String owner = a.owner().getName();
    if (a.isSymbolicLink() || perms.contains(PosixFilePermission.GROUP_WRITE)
        || perms.contains(PosixFilePermission.OTHERS_WRITE)
        || !(owner.equals("root") || owner.equals(System.getProperty("user.name")))) {
      throw new ProvisionException("refusing plugin " + (a.isDirectory() ? "directory " : "jar ")
          + Text.quote(p.toString()) + ": plugins are code, so it must be a plain file or directory of root or "
          + System.getProperty("user.name") + " that nobody else can write (it is "
          + (a.isSymbolicLink() ? "a symbolic link" : "owned by " + owner + ", mode "
          + PosixFilePermissions.toString(perms)) + ")");
    }
  }

  /** @return the providers visible to this library's class loader */
  public static ServiceRegistry load() {
    return load(ServiceRegistry.class.getClassLoader());
  }

  /**
   * @param providers explicit providers (the null types are added when missing)
   * @return a registry of exactly these
   */
  public static ServiceRegistry of(List<ServiceType> providers) {
    return new ServiceRegistry(List.of(), providers, List.of());
  }

  /**
   * @param providers explicit service types (the null types are added when missing)
   * @param apps explicit applications
   * @return a registry of exactly these
   */
  public static ServiceRegistry of(List<ServiceType> providers, List<Application> apps) {
    return new ServiceRegistry(List.of(), providers, apps);
  }

  /**
   * @param services services added to the built-in ones
   * @param providers explicit service types (the null types are added when missing)
   * @param apps explicit applications
   * @return a registry of exactly these
   */
  public static ServiceRegistry of(List<Service> services, List<ServiceType> providers, List<Application> apps) {
    return new ServiceRegistry(services, providers, apps);
  }

  /** @return the applications found (Drupal support), in load order */
  public List<Application> applications() {
    return List.copyOf(applications);
  }

  /** @return the names of every service, the built-in ones first, then the plugins' in load order */
  public List<String> services() {
    return List.copyOf(services.keySet());
  }

  /** @return every service, the built-in ones first */
  public List<Service> serviceList() {
    return List.copyOf(services.values());
  }

  /**
   * @param name a service's name
   * @return the service
   * @throws IllegalArgumentException when there is no such service
   */
  public Service service(String name) {
    Service s = services.get(name);
    if (s == null) {
      throw new IllegalArgumentException("no service '" + name + "'; services: " + String.join(", ", services.keySet()));
    }
    return s;
  }

  /**
   * @param service a service added by a plugin
   * @return the declaration of its {@code <service>_service_type} server property (empty for the
   *     built-in services, whose properties are part of {@link ServerKeys})
   */
  public Optional<PropertyKey<String>> serviceTypeKey(String service) {
    return Optional.ofNullable(pluginServiceKeys.get(service));
  }

  /** @return the site properties that service types declare, in load order */
  public List<PropertySpec> siteProperties() {
    return List.copyOf(siteProperties.values());
  }

  /**
   * @param service a service
   * @return the ids available for it, sorted
   */
  public List<String> ids(String service) {
    return List.copyOf(types.getOrDefault(service, Map.of()).keySet());
  }

  /**
   * @param service a service
   * @param id a type id; null, empty, {@code null} or {@code NONE} mean the null type
   * @return the type, if known
   */
  public Optional<ServiceType> find(String service, String id) {
    return Optional.ofNullable(types.getOrDefault(service, Map.of()).get(normalise(id)));
  }

  private static String normalise(String id) {
    return id == null || id.isEmpty() || id.equals("NONE") ? NullServiceType.ID : id;
  }

  /**
   * @param server the server, for the message
   * @param service a service
   * @param id a type id
   * @return the type
   * @throws UnknownServiceTypeException listing the ids available
   */
  public ServiceType require(Object server, String service, String id) {
    return find(service, id).orElseThrow(() ->
        new UnknownServiceTypeException(server.toString(), service, id, ids(service)));
  }

  /**
   * @param server a server
   * @param service a service
   * @return the id of the type the server selects for it, as stored (null when none is selected)
   */
  public String selectedId(Server server, String service) {
    return switch (service) {
      case "http" -> server.httpServiceType().orElse(null);
      case "db" -> server.dbServiceType().orElse(null);
      case "dns" -> server.dnsServiceType().orElse(null);
      default -> server.extras().get(service + "_service_type");
    };
  }

  /**
   * @param server a server
   * @return the types it selects, by service in the order of {@link #services()} (null types where
   *     it selects none)
   * @throws UnknownServiceTypeException when it names an unknown type
   */
  public Map<String, ServiceType> selected(Server server) {
    Map<String, ServiceType> out = new LinkedHashMap<>();
    for (String service : services.keySet()) {
      out.put(service, require(server.name(), service, selectedId(server, service)));
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * @param service a service
   * @param id a type id (null, {@code null}, {@code NONE} for none)
   * @return the server properties the type declares (none for an unknown id)
   */
  public List<PropertySpec> declared(String service, String id) {
    return find(service, id).map(ServiceType::serverProperties).orElse(List.of());
  }

  /**
   * The properties that service types declare for a context beyond its type's own: on a site,
   * every type's {@link ServiceType#siteProperties() site properties}; on a server, each plugin
   * service's {@code <service>_service_type} and the server properties of the type selected for
   * each service (none for an unknown id).
   *
   * @param type the context's type
   * @param selectedId the id selected for a service (null when none)
   * @return the declarations
   */
  public List<PropertySpec> extraProperties(ContextType type, Function<String, String> selectedId) {
    if (type == ContextType.SITE) {
      return siteProperties();
    }
    List<PropertySpec> out = new ArrayList<>();
    if (type == ContextType.SERVER) {
      for (String service : services.keySet()) {
        serviceTypeKey(service).ifPresent(k -> out.add(k.spec()));
        out.addAll(declared(service, selectedId.apply(service)));
      }
    }
    return out;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("ServiceRegistry[");
    types.forEach((s, m) -> b.append(s).append('=').append(m.keySet()).append(' '));
    return b.append(']').toString();
  }
}
