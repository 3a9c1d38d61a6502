package net.aegirj.provision.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.UnknownServiceTypeException;
import net.aegirj.provision.spi.Application;
import net.aegirj.provision.spi.ServiceType;

/**
 * The service types on the class path, found with {@link ServiceLoader}, by service and id. Two
 * providers with one id for one service, a provider of an unknown service, or a declared property
 * that clashes with a context property are errors when the registry is built, naming the classes.
 */
public final class ServiceRegistry {
  /** The services a server can select types for, each with a {@code <service>_service_type}. */
  public static final List<String> SERVICES = List.of("http", "db", "dns");

  private final Map<String, Map<String, ServiceType>> types = new TreeMap<>();
  private final List<Application> applications = new ArrayList<>();

  private ServiceRegistry(Iterable<ServiceType> providers, Iterable<Application> apps) {
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
    for (String s : SERVICES) {
      types.put(s, new TreeMap<>());
    }
    for (ServiceType t : providers) {
      add(t);
    }
    for (String s : SERVICES) {
      types.get(s).putIfAbsent(NullServiceType.ID, switch (s) {
        case "http" -> new NullServiceType.Http();
        case "db" -> new NullServiceType.Db();
        default -> new NullServiceType.Dns();
      });
    }
  }

  private void add(ServiceType t) {
    String where = t.getClass().getName();
    Map<String, ServiceType> byId = types.get(t.service());
    if (byId == null) {
      throw new ProvisionException("service type " + where + " is for service '" + t.service()
          + "', which does not exist; services: " + String.join(", ", SERVICES));
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
      if (p.contextType() != ContextType.SERVER || Schema.find(ContextType.SERVER, p.name()).isPresent()) {
        throw new ProvisionException("service type " + where + " declares '" + p.name()
            + "', which is not a new server property");
      }
    }
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
    List<ServiceType> found = new ArrayList<>();
    List<Application> apps = new ArrayList<>();
    try {
      for (ServiceType t : ServiceLoader.load(ServiceType.class, loader)) {
        found.add(t);
      }
      for (Application a : ServiceLoader.load(Application.class, loader)) {
        apps.add(a);
      }
    } catch (ServiceConfigurationError e) {
      throw new ProvisionException("cannot load a service type: " + e.getMessage(), e);
    }
    return new ServiceRegistry(found, apps);
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
    return new ServiceRegistry(providers, List.of());
  }

  /**
   * @param providers explicit service types (the null types are added when missing)
   * @param apps explicit applications
   * @return a registry of exactly these
   */
  public static ServiceRegistry of(List<ServiceType> providers, List<Application> apps) {
    return new ServiceRegistry(providers, apps);
  }

  /** @return the applications found (Drupal support), in load order */
  public List<Application> applications() {
    return List.copyOf(applications);
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
   * @return the types it selects, by service in the order http, db, dns (null types where it
   *     selects none)
   * @throws UnknownServiceTypeException when it names an unknown type
   */
  public Map<String, ServiceType> selected(Server server) {
    Map<String, ServiceType> out = new LinkedHashMap<>();
    out.put("http", require(server.name(), "http", server.httpServiceType().orElse(null)));
    out.put("db", require(server.name(), "db", server.dbServiceType().orElse(null)));
    out.put("dns", require(server.name(), "dns", server.dnsServiceType().orElse(null)));
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

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("ServiceRegistry[");
    types.forEach((s, m) -> b.append(s).append('=').append(m.keySet()).append(' '));
    return b.append(']').toString();
  }
}
