package net.aegirj.provision.core.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextInUseException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextNotFoundException;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PlatformRoots;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.spi.ContextListing;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aegir's {@code provision-save} semantics over a {@link ContextRepository}: merge, validate as a
 * whole, check references, write with optimistic versioning (retrying the merge on a concurrent
 * change), and delete with a referrer check. Also resolves defaults and derived properties, through
 * a {@link ContextResolver}.
 */
public final class ContextService {
  private static final Logger LOG = LoggerFactory.getLogger(ContextService.class);
  private static final int MAX_ATTEMPTS = 200;

  private final ContextRepository repository;
  private final Path home;
  private final ServiceRegistry registry;
  private final ContextResolver resolver;

  /**
   * @param repository where contexts live
   * @param home the Provision home, the master's default {@code aegir_root}
   * @param registry the service types, which declare extra server properties
   */
  public ContextService(ContextRepository repository, Path home, ServiceRegistry registry) {
    this.repository = Objects.requireNonNull(repository);
    this.home = Objects.requireNonNull(home);
    this.registry = Objects.requireNonNull(registry);
    this.resolver = new ContextResolver(repository, home, registry, this::master);
  }

  /** @return the service types */
  public ServiceRegistry registry() {
    return registry;
  }

  /** @return the repository */
  public ContextRepository repository() {
    return repository;
  }

  /**
   * Saves text changes (the command line's form).
   *
   * @param name the context
   * @param changes the changes; {@code context_type} among them is required for a new context
   * @return the stored context after the save
   */
  public Versioned save(ContextName name, PropertyChanges changes) {
    Optional<ContextType> givenType = Optional.empty();
    if (changes.changes().containsKey("context_type")) {
      String t = changes.changes().get("context_type").orElseThrow(() ->
          new InvalidContextException(name.toString(), "context_type", "cannot be reset"));
      try {
        givenType = Optional.of(ContextType.fromId(t));
      } catch (InvalidContextException e) {
        throw new InvalidContextException(name.toString(), "context_type", e.reason());
      }
    }
    return merge(name, givenType, type -> {
      Changes c = new Changes();
      for (Map.Entry<String, Optional<String>> e : changes.changes().entrySet()) {
        String key = e.getKey();
        if (key.equals("context_type")) {
          continue;
        }
        Optional<PropertySpec> spec = Schema.find(type, key);
        if (spec.isPresent()) {
          PropertySpec sp = schemaSpec(name, type, key);
          c.schema.put(key, e.getValue().map(raw -> sp.parse(name, raw)));
        } else {
          c.extras.put(key, e.getValue());
        }
      }
      return c;
    });
  }

  /**
   * Saves a typed value: the properties it sets change, the others keep their stored values.
   *
   * @param context the value
   * @return the stored context after the save
   */
  public Versioned save(Context context) {
    return merge(context.name(), Optional.of(context.type()), type -> {
      Changes c = new Changes();
      ContextProperties.toMap(context).forEach((k, v) -> {
        if (context.extras().containsKey(k)) {
          c.extras.put(k, Optional.of((String) v));
        } else {
          schemaSpec(context.name(), type, k);
          c.schema.put(k, Optional.of(v));
        }
      });
      return c;
    });
  }

  /** Changes split into declared context properties (canonical) and extras (text). */
  private static final class Changes {
    final Map<String, Optional<Object>> schema = new LinkedHashMap<>();
    final Map<String, Optional<String>> extras = new LinkedHashMap<>();
  }

  private interface ChangeSource {
    Changes changesFor(ContextType type);
  }

  private PropertySpec schemaSpec(ContextName name, ContextType type, String property) {
    Optional<PropertySpec> spec = Schema.find(type, property);
    if (spec.isEmpty()) {
      throw unknown(name, type, property, List.of());
    }
    if (spec.get().derived()) {
      throw new InvalidContextException(name.toString(), property,
          "is derived (" + spec.get().defaultDescription() + ") and cannot be set");
    }
    return spec.get();
  }

  private static InvalidContextException unknown(ContextName name, ContextType type, String property,
      List<PropertySpec> declared) {
    String known = Stream.concat(Schema.properties(type).stream(), declared.stream())
        .filter(p -> !p.derived()).map(PropertySpec::name).collect(Collectors.joining(", "));
    String hint = type == ContextType.SERVER
        ? " (service types declare more once selected, e.g. http_port with http_service_type)" : "";
    return new InvalidContextException(name.toString(), property,
        "unknown property for a " + type.id() + "; known properties: context_type, " + known + hint);
  }

  /**
   * The extra properties declared for a context: on a server, those of the service types it
   * selects (and the {@code <service>_service_type} of each plugin service); on a site, those
   * that service types declare for sites.
   *
   * @param props the context's declared properties (canonical)
   * @param extras its extra properties as text
   */
  private List<PropertySpec> declaredExtras(ContextName name, ContextType type, Map<String, Object> props,
      Map<String, String> extras) {
    Map<String, String> ids = new HashMap<>();
    if (type == ContextType.SERVER) {
      for (String service : registry.services()) {
        Optional<PropertyKey<String>> key = registry.serviceTypeKey(service);
        String id = (String) props.get(service + "_service_type");
        if (key.isPresent()) {
          String text = extras.get(key.get().name());
          id = text == null ? null : (String) key.get().spec().parse(name, text);
        }
        registry.require(name, service, id);
        ids.put(service, id);
      }
    }
    return registry.extraProperties(type, ids::get);
  }

  /**
   * @param canonical a property value in canonical form
   * @return the same value in the command line's text form
   */
  public static String text(Object canonical) {
    return PropertyKey.textOf(canonical);
  }

  private Versioned merge(ContextName name, Optional<ContextType> givenType, ChangeSource source) {
    if (name.isMaster()) {
      master(); // exists implicitly: a save of it is always a merge
    }
    for (int attempt = 1; ; attempt++) {
      Optional<Versioned> current = repository.load(name);
      ContextType type;
      if (current.isPresent()) {
        type = current.get().context().type();
        if (givenType.isPresent() && givenType.get() != type) {
          throw new InvalidContextException(name.toString(), "context_type", "is " + type.id()
              + " and cannot be changed to " + givenType.get().id()
              + "; delete the context and create it anew");
        }
      } else {
        type = givenType.orElseThrow(() -> new InvalidContextException(name.toString(), "context_type",
            "is required to create a new context; use server, platform or site"));
      }
      Changes changes = source.changesFor(type);
      Map<String, Object> stored = current.map(v -> ContextProperties.toMap(v.context())).orElse(Map.of());
      Map<String, String> storedExtras = current.map(v -> v.context().extras()).orElse(Map.of());
      Map<String, Object> merged = new LinkedHashMap<>();
      stored.forEach((k, v) -> {
        if (!storedExtras.containsKey(k)) {
          merged.put(k, v);
        }
      });
      changes.schema.forEach((k, v) -> {
        if (v.isPresent()) {
          merged.put(k, v.get());
        } else {
          merged.remove(k);
        }
      });
      Map<String, String> pendingExtras = new LinkedHashMap<>(storedExtras);
      changes.extras.forEach((k, v) -> v.ifPresentOrElse(text -> pendingExtras.put(k, text),
          () -> pendingExtras.remove(k)));
      List<PropertySpec> declared = declaredExtras(name, type, merged, pendingExtras);
      Map<String, PropertySpec> byName = new LinkedHashMap<>();
      declared.forEach(p -> byName.put(p.name(), p));
      Map<String, String> extras = new TreeMap<>();
      storedExtras.forEach((k, v) -> {
        if (byName.containsKey(k)) {
          extras.put(k, v);
        } else {
          LOG.info("{}: dropping '{}', which no selected service type declares", name, k);
        }
      });
      for (Map.Entry<String, Optional<String>> e : changes.extras.entrySet()) {
        PropertySpec spec = byName.get(e.getKey());
        if (spec == null) {
          throw unknown(name, type, e.getKey(), declared);
        }
        if (e.getValue().isPresent()) {
          extras.put(e.getKey(), text(spec.parse(name, e.getValue().get())));
        } else {
          extras.remove(e.getKey());
        }
      }
      merged.putAll(extras);
      Context context = ContextProperties.fromMap(type, name, merged);
      checkWhole(context, current.map(Versioned::context));
      if (current.isPresent() && ContextProperties.toMap(context).equals(stored)) {
        LOG.debug("{}: nothing changed", name);
        return current.get();
      }
      ensureReferencedMaster(context);
      long expected = current.map(Versioned::version).orElse(ContextRepository.NEW);
      try {
        long version = repository.save(context, expected);
        LOG.info("{}: saved version {}", name, version);
        return new Versioned(context, version);
      } catch (ConflictException e) {
        if (attempt >= MAX_ATTEMPTS) {
          throw e;
        }
        backoff(attempt);
      }
    }
  }

  private static void backoff(int attempt) {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextInt(1, 2 + Math.min(attempt, 20)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConflictException("interrupted while retrying a save");
    }
  }

  /**
   * Required properties and references, checked before anything is written. The host names are
   * checked against every other site only when they change: a save that leaves them as they were
   * (an install recording credentials) reads no other site.
   */
  private void checkWhole(Context context, Optional<Context> previous) {
    String n = context.name().toString();
    if (context instanceof Platform p && p.root().isEmpty()) {
      throw new InvalidContextException(n, "root", "is required for a platform");
    }
    if (context instanceof Platform p) {
      PlatformRoots.check(n, p.root().orElseThrow());
    }
    if (context instanceof Site s && s.platform().isEmpty()) {
      throw new InvalidContextException(n, "platform", "is required for a site");
    }
    if (context instanceof Site s && !(previous.orElse(null) instanceof Site before
        && hostNames(before).equals(hostNames(s)) && before.redirection().equals(s.redirection()))) {
      checkHostNames(s);
    }
    Map<String, Object> props = ContextProperties.toMap(context);
    for (PropertySpec spec : Schema.properties(context.type())) {
      if (spec.kind() != PropertySpec.Kind.REFERENCE || !props.containsKey(spec.name())) {
        continue;
      }
      ContextName target = ContextName.of((String) props.get(spec.name()));
      ContextType wanted = spec.referenceType().orElseThrow();
      if (target.equals(context.name())) {
        throw new InvalidContextException(n, spec.name(), "a context cannot reference itself");
      }
      Optional<Versioned> t = repository.load(target);
      if (t.isEmpty()) {
        if (target.isMaster() && wanted == ContextType.SERVER) {
          continue; // created implicitly on first use
        }
        throw new InvalidContextException(n, spec.name(), target + " does not exist; create it first with 'provision save "
            + target + " --context_type=" + wanted.id() + "'");
      }
      ContextType actual = t.get().context().type();
      if (actual != wanted) {
        throw new InvalidContextException(n, spec.name(), target + " is a " + actual.id() + ", not a " + wanted.id());
      }
      if (t.get().context() instanceof Platform p && p.locked().orElse(false)
          && !isAlreadyOn(context.name(), target)) {
        throw new InvalidContextException(n, spec.name(), target + " is locked and takes no new sites; unlock it"
            + " first ('provision save " + target + " --locked=0')");
      }
    }
  }

  private static Set<String> hostNames(Site s) {
    return ContextRepository.hostNames(s);
  }

  /**
   * A host name is served by one site only, and a redirection goes to one of the site's own names
   * (else the web server would serve a name Drupal's trusted hosts refuse). The names are looked
   * up in the repository's index ({@link ContextRepository#hostOwners}), not in every site; the
   * repository checks them again, atomically, when it writes.
   */
  private void checkHostNames(Site site) {
    String n = site.name().toString();
    Set<String> mine = hostNames(site);
    if (site.redirection().isPresent()) {
      String target = site.redirection().get();
      if (!mine.contains(target)) {
        throw new InvalidContextException(n, "redirection", "'" + target + "' is neither the uri nor one of the"
            + " aliases; add it to aliases first");
      }
    }
    for (String h : mine) {
      // A damaged context does not block the save of another site: only one stored under a name
      // the site would serve (a site's file is named after its uri) may be serving it already.
      if (!ContextName.isValid(h) || ContextName.of(h).equals(site.name())) {
        continue;
      }
      try {
        repository.load(ContextName.of(h));
      } catch (ProvisionException e) {
        throw new InvalidContextException(n, h.equals(site.effectiveUri()) ? "uri" : "aliases", "'" + h
            + "' may be served by " + ContextName.of(h) + ", whose context cannot be read (" + e.getMessage()
            + "); repair or remove that file first");
      }
    }
    for (Map.Entry<String, ContextName> e : repository.hostOwners(mine).entrySet()) {
      if (!e.getValue().equals(site.name())) {
        throw ContextRepository.hostNameTaken(site, e.getKey(), e.getValue());
      }
    }
  }

  /** True when the context is stored already and references the target (so it is not new there). */
  private boolean isAlreadyOn(ContextName name, ContextName target) {
    return repository.load(name).map(v -> ContextProperties.toMap(v.context()).containsValue(target.toString()))
        .orElse(false);
  }

  private void ensureReferencedMaster(Context context) {
    if (context.name().isMaster()) {
      return;
    }
    master();
  }

  /**
   * Returns {@code @server_master}, creating it with {@code remote_host=localhost} on first use.
   *
   * @return the stored master server
   */
  public Versioned master() {
    Optional<Versioned> m = repository.load(ContextName.MASTER);
    if (m.isPresent()) {
      return m.get();
    }
    Server master = Server.builder().name(ContextName.MASTER).remoteHost("localhost").build();
    try {
      long v = repository.save(master, ContextRepository.NEW);
      LOG.info("created {} with remote_host=localhost", ContextName.MASTER);
      return new Versioned(master, v);
    } catch (ConflictException e) {
      return repository.load(ContextName.MASTER).orElseThrow(() -> e);
    }
  }

  /**
   * @param name a context
   * @return the stored context; {@code @server_master} is created on first use
   * @throws ContextNotFoundException when there is no such context
   */
  public Versioned load(ContextName name) {
    if (name.isMaster()) {
      return master();
    }
    return repository.load(name).orElseThrow(() -> new ContextNotFoundException(name, ""));
  }

  /**
   * Deletes a context that no other context references.
   *
   * @param name the context
   * @throws ContextInUseException naming the referrers
   */
  public void delete(ContextName name) {
    delete(name, c -> { });
  }

  /**
   * Deletes a context that no other context references, once {@code check} accepts the version
   * that is deleted (it sees each version loaded, so a concurrent change is checked again).
   *
   * @param name the context
   * @param check throws to refuse the deletion of the context as stored
   * @throws ContextInUseException naming the referrers
   */
  public void delete(ContextName name, Consumer<Context> check) {
    for (int attempt = 1; ; attempt++) {
      Versioned v = repository.load(name).orElseThrow(() -> new ContextNotFoundException(name, ""));
      check.accept(v.context());
      List<ContextName> referrers = referrers(name);
      if (!referrers.isEmpty()) {
        throw new ContextInUseException(name, referrers);
      }
      try {
        repository.delete(name, v.version());
        LOG.info("{}: deleted", name);
        return;
      } catch (ConflictException e) {
        if (attempt >= MAX_ATTEMPTS) {
          throw e;
        }
        backoff(attempt);
      }
    }
  }

  /**
   * @param name a context
   * @return the contexts that reference it, including those that use {@code @server_master} by
   *     default (every other context, for the master)
   */
  public List<ContextName> referrers(ContextName name) {
    ContextType type = repository.load(name).map(v -> v.context().type()).orElse(null);
    if (!name.isMaster() && type == ContextType.SITE) {
      return List.of(); // no property references a site: no other context needs reading
    }
    TreeSet<ContextName> out = new TreeSet<>(repository.referrers(name));
    if (name.isMaster()) {
      for (Versioned v : repository.list()) {
        if (!v.context().name().isMaster()) {
          out.add(v.context().name());
        }
      }
    }
    if (type == ContextType.SERVER || name.isMaster()) {
      out.addAll(listReferrers(name));
    }
    return new ArrayList<>(out);
  }

  /**
   * The platforms and servers that name a server in a list of context names: a platform's
   * {@code web_servers}, a pack front's {@code pack_web_servers} (any list property whose entries
   * have the grammar of context names, declared by the type or by a selected service type). The
   * repositories index single references only; platforms and servers are few, so they are read.
   */
  private List<ContextName> listReferrers(ContextName server) {
    List<ContextName> out = new ArrayList<>();
    for (ContextType t : List.of(ContextType.PLATFORM, ContextType.SERVER)) {
      for (Versioned v : repository.list(t)) {
        Context c = v.context();
        if (c.name().equals(server)) {
          continue;
        }
        Map<String, Object> values = new HashMap<>(ContextProperties.toMap(c));
        List<PropertySpec> specs = new ArrayList<>(Schema.properties(t));
        if (c instanceof Server s) {
          values.putAll(s.extras());
          specs.addAll(registry.extraProperties(t, service -> registry.selectedId(s, service)));
        }
        for (PropertySpec spec : specs) {
          if (spec.kind() == PropertySpec.Kind.LIST && spec.grammar().orElse(null) == Grammar.CONTEXT_NAME
              && namesIn(values.get(spec.name())).contains(server)) {
            out.add(c.name());
            break;
          }
        }
      }
    }
    return out;
  }

  /** The context names in a stored list value (a list, or the comma-separated text of an extra). */
  private static Set<ContextName> namesIn(Object value) {
    List<?> raw = value instanceof List<?> l ? l
        : value instanceof String text ? List.of(text.split(",", -1)) : List.of();
    Set<ContextName> out = new HashSet<>();
    for (Object o : raw) {
      String n = String.valueOf(o).strip();
      if (ContextName.isValid(n)) {
        out.add(ContextName.of(n));
      }
    }
    return out;
  }

  /**
   * @param type a type, or null for all
   * @return the stored contexts, ordered by name
   */
  public List<Versioned> list(ContextType type) {
    return type == null ? repository.list() : repository.list(type);
  }

  /**
   * @param type a type, or null for all
   * @return the stored contexts that can be read, ordered by name, and those that cannot (all of
   *     them, whatever the type: the type of a damaged context is not known)
   */
  public ContextListing listReadable(ContextType type) {
    ContextListing all = repository.listReadable();
    if (type == null) {
      return all;
    }
    return new ContextListing(all.contexts().stream().filter(v -> v.context().type() == type).toList(),
        all.unreadable());
  }

  /**
   * Works out every property of a context: set, default or derived.
   *
   * @param name a context
   * @return the resolved context
   */
  public ResolvedContext resolve(ContextName name) {
    return resolver.resolve(load(name));
  }

  /**
   * @param stored a stored context, as listed
   * @return it, resolved
   */
  public ResolvedContext resolve(Versioned stored) {
    return resolver.resolve(stored);
  }

  /**
   * @param server a server
   * @return its effective {@code aegir_root}: the master's own (default: the home), for others the
   *     master's
   */
  public Path aegirRoot(Server server) {
    return resolver.aegirRoot(server);
  }

  /**
   * @param server a server
   * @return its effective {@code script_user}
   */
  public String scriptUser(Server server) {
    return resolver.scriptUser(server);
  }

  @Override
  public String toString() {
    return "ContextService[" + repository + ", home=" + Text.quote(home.toString()) + "]";
  }
}
