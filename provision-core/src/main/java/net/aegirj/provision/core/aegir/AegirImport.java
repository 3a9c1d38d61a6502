package net.aegirj.provision.core.aegir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.SaveBatch;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.spi.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports the contexts of an Aegir installation from its alias files
 * ({@code ~aegir/.drush/*.alias.drushrc.php}).
 *
 * <p>Every file is parsed first; a file that {@link AliasFile} refuses stops the import before
 * anything is saved. The aliases are then saved as one {@link SaveBatch} (each checked as
 * {@link Provision#save(String, PropertyChanges)} checks it, all written at the end) in dependency
 * order: {@code @server_master}, the other servers, the platforms,
 * the sites. Aegir's property names are ours; what differs:
 *
 * <ul>
 *   <li>derived values that Aegir persists ({@code config_path}, {@code backup_path},
 *       {@code include_path}, {@code clients_path}, Aegir's {@code http_*_path}s, a site's
 *       {@code root} and {@code site_path}, {@code server}, {@code aegir_root} of a server other
 *       than the master, and its {@code script_user} when it is the master's) are skipped
 *       silently;
 *   <li>Aegir's falsy values ({@code ''}, {@code '0'}, 0, {@code FALSE}, {@code NULL}, an empty
 *       array) mean "not set", except for booleans, where 0 and {@code FALSE} mean false;
 *   <li>a service type Provision does not know is skipped with a reason, and so are the properties
 *       that no selected service type declares (such as nginx's probed {@code nginx_has_etag});
 *   <li>a property the library refuses is skipped with the library's message, and the rest of the
 *       context is saved; a context that cannot be saved at all (a site whose platform is
 *       missing, or whose {@code uri} differs from its name, as {@code @hostmaster}'s does) is
 *       skipped with the message;
 *   <li>an alias listed in another alias's {@code drush_aliases} (Aegir's copy, such as
 *       {@code @hm} for {@code @hostmaster}) is skipped;
 *   <li>a context that exists with different properties is a conflict and is left alone, unless
 *       {@code overwrite} is asked for: then it is replaced (properties absent from the file are
 *       reset).
 * </ul>
 */
public final class AegirImport {
  private static final Logger LOG = LoggerFactory.getLogger(AegirImport.class);
  /** The file name suffix of an alias file. */
  public static final String SUFFIX = ".alias.drushrc.php";

  /** Derived values that Aegir persists and that Provision works out: skipped silently. */
  static final Set<String> DERIVED = Set.of("config_path", "backup_path", "include_path", "clients_path",
      "site_path", "http_app_path", "http_pred_path", "http_postd_path", "http_platformd_path",
      "http_vhostd_path", "http_subdird_path", "http_platforms_path", "ssld_path", "http_ssld_path");

  private AegirImport() {}

  /** What happened to one alias. */
  public enum Outcome {
    /** Saved: created, or replaced with {@code overwrite}. */
    IMPORTED,
    /** It existed already with exactly these properties. */
    UNCHANGED,
    /** Not saved; see the reason. */
    SKIPPED,
    /** It exists with different properties and was left alone. */
    CONFLICT
  }

  /**
   * A property of an alias that was not imported.
   *
   * @param property Aegir's property name
   * @param reason why
   */
  public record SkippedProperty(String property, String reason) {}

  /**
   * What happened to one alias of one file.
   *
   * @param file the alias file
   * @param name the context name
   * @param type the context type (empty when the file did not say a valid one)
   * @param outcome what happened
   * @param reason why it was skipped or conflicts (empty otherwise)
   * @param skippedProperties properties that were not imported, with the reason
   */
  public record Entry(Path file, String name, Optional<ContextType> type, Outcome outcome, Optional<String> reason,
      List<SkippedProperty> skippedProperties) {
    /** Checks the invariants. */
    public Entry {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(outcome, "outcome");
      Objects.requireNonNull(reason, "reason");
      skippedProperties = List.copyOf(skippedProperties);
    }
  }

  /**
   * The outcome of an import.
   *
   * @param entries one per alias, in the order they were saved
   */
  public record Report(List<Entry> entries) {
    /** Checks the invariants. */
    public Report {
      entries = List.copyOf(entries);
    }

    /**
     * @param outcome an outcome
     * @return the entries with that outcome
     */
    public List<Entry> with(Outcome outcome) {
      return entries.stream().filter(e -> e.outcome() == outcome).toList();
    }
  }

  /** A parsed alias waiting to be saved. */
  private static final class Pending {
    final Path file;
    final AliasFile.Alias alias;
    final ContextName name;
    ContextType type;
    final List<SkippedProperty> skipped = new ArrayList<>();

    Pending(Path file, AliasFile.Alias alias, ContextName name) {
      this.file = file;
      this.alias = alias;
      this.name = name;
    }
  }

  /** Stands for a listed name that is not a regular file. */
  private static final Object NOT_A_FILE = new Object();

  /**
   * Lists and parses every alias file of a directory, without saving anything.
   *
   * @param dir the directory
   * @return file to its aliases, ordered by file name
   * @throws AliasFileException when the directory is missing or a file is refused
   */
  public static Map<Path, List<AliasFile.Alias>> parseDirectory(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new AliasFileException(dir + ": no such directory");
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      // Sorted by name as strings, each made once (not twice per comparison).
      files = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(SUFFIX)).sorted()
          .map(dir::resolve).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    // Files are checked, read and parsed on every core; the first refused file (by name) is reported.
    List<Object> parsed = (files.size() < 64 ? files.stream() : files.parallelStream()).map(f -> {
      if (!Files.isRegularFile(f)) {
        return NOT_A_FILE;
      }
      try {
        return (Object) AliasFile.parse(f);
      } catch (RuntimeException e) {
        return e;
      }
    }).toList();
    Map<Path, List<AliasFile.Alias>> out = new LinkedHashMap<>();
    for (int i = 0; i < files.size(); i++) {
      if (parsed.get(i) == NOT_A_FILE) {
        continue; // a directory, a socket: not an alias file
      }
      if (parsed.get(i) instanceof RuntimeException e) {
        throw e;
      }
      @SuppressWarnings("unchecked")
      List<AliasFile.Alias> aliases = (List<AliasFile.Alias>) parsed.get(i);
      out.put(files.get(i), aliases);
    }
    return out;
  }

  /**
   * Imports every alias file of a directory.
   *
   * @param provision where to save the contexts
   * @param dir the directory of {@code *.alias.drushrc.php} files
   * @param overwrite replace existing contexts that differ, instead of reporting a conflict
   * @return what happened to each alias
   * @throws AliasFileException when the directory is missing or a file is refused; nothing was
   *     saved then
   */
  public static Report run(Provision provision, Path dir, boolean overwrite) {
    long begun = System.nanoTime();
    Map<Path, List<AliasFile.Alias>> parsed = parseDirectory(dir);
    long afterParse = System.nanoTime();
    List<Entry> done = new ArrayList<>();
    List<Pending> pending = new ArrayList<>();
    for (Map.Entry<Path, List<AliasFile.Alias>> f : parsed.entrySet()) {
      for (AliasFile.Alias a : f.getValue()) {
        ContextName name;
        try {
          name = ContextName.of(a.name());
        } catch (InvalidContextException e) {
          done.add(new Entry(f.getKey(), a.name(), Optional.empty(), Outcome.SKIPPED, Optional.of(e.getMessage()),
              List.of()));
          continue;
        }
        Pending p = new Pending(f.getKey(), a, name);
        Object t = a.properties().get("context_type");
        String typeId = t == null ? "server" : String.valueOf(t);
        try {
          p.type = ContextType.fromId(typeId);
        } catch (InvalidContextException e) {
          done.add(new Entry(f.getKey(), name.toString(), Optional.empty(), Outcome.SKIPPED,
              Optional.of(e.getMessage()), List.of()));
          continue;
        }
        pending.add(p);
      }
    }
    // Aegir's copies for drush_aliases (e.g. @hm of @hostmaster) are not contexts of their own.
    Map<ContextName, ContextName> copies = new LinkedHashMap<>();
    for (Pending p : pending) {
      Object da = p.alias.properties().get("drush_aliases");
      for (String s : strings(da)) {
        if (ContextName.isValid(s) && !ContextName.of(s).equals(p.name)) {
          copies.putIfAbsent(ContextName.of(s), p.name);
        }
      }
    }
    pending.sort(Comparator.comparing((Pending p) -> p.type.ordinal())
        .thenComparing(p -> !p.name.isMaster()).thenComparing(p -> p.name));
    Optional<String> masterUser = Optional.empty();
    for (Pending p : pending) {
      if (p.name.isMaster()) {
        masterUser = nonFalsy(p.alias.properties().get("script_user"));
      }
    }
    if (masterUser.isEmpty()) {
      masterUser = Optional.of(provision.repository().load(ContextName.MASTER)
          .map(v -> v.context() instanceof Server s ? s.scriptUser() : Optional.<String>empty())
          .flatMap(o -> o).orElse(System.getProperty("user.name")));
    }
    // One batch, written at the end with one flush to disk; when another process changed a
    // context meanwhile, the batch is refused whole and the import runs again, one save at a time.
    SaveBatch batch = provision.saveBatch();
    int before = done.size();
    importAll(provision.registry(), pending, copies, overwrite, masterUser.get(), done, new Saver() {
      @Override
      public Optional<Versioned> load(ContextName name) {
        return batch.load(name);
      }

      @Override
      public void save(ContextName name, PropertyChanges changes) {
        batch.save(name.toString(), changes);
      }
    });
    long afterCheck = System.nanoTime();
    try {
      batch.commit();
      LOG.debug("imported {} aliases from {}: parsed in {} ms, merged and checked in {} ms, written in {} ms",
          pending.size(), dir, (afterParse - begun) / 1_000_000, (afterCheck - afterParse) / 1_000_000,
          (System.nanoTime() - afterCheck) / 1_000_000);
    } catch (ConflictException | InvalidContextException e) {
      LOG.info("the import's batch was refused ({}); importing one context at a time", e.getMessage());
      done.subList(before, done.size()).clear();
      importAll(provision.registry(), pending, copies, overwrite, masterUser.get(), done, new Saver() {
        @Override
        public Optional<Versioned> load(ContextName name) {
          return provision.repository().load(name);
        }

        @Override
        public void save(ContextName name, PropertyChanges changes) {
          provision.save(name.toString(), changes);
        }
      });
    }
    return new Report(done);
  }

  /** Where an import loads and saves: a batch, or the repository one save at a time. */
  private interface Saver {
    Optional<Versioned> load(ContextName name);

    void save(ContextName name, PropertyChanges changes);
  }

  private static void importAll(ServiceRegistry registry, List<Pending> pending, Map<ContextName, ContextName> copies, boolean overwrite,
      String masterUser, List<Entry> done, Saver saver) {
    Set<ContextName> seen = new HashSet<>();
    for (Pending p : pending) {
      p.skipped.clear();
      if (copies.containsKey(p.name)) {
        done.add(new Entry(p.file, p.name.toString(), Optional.of(p.type), Outcome.SKIPPED,
            Optional.of("a copy of " + copies.get(p.name) + " (listed in its drush_aliases)"), List.of()));
        continue;
      }
      if (!seen.add(p.name)) {
        done.add(new Entry(p.file, p.name.toString(), Optional.of(p.type), Outcome.SKIPPED,
            Optional.of("defined more than once; the first definition was imported"), List.of()));
        continue;
      }
      done.add(importOne(registry, saver, p, overwrite, masterUser));
    }
  }

  /**
   * A refused value: the property is dropped (and reported skipped) so that the rest of the context
   * can be imported, unless the context cannot be without it.
   *
   * @return the skipped context's entry, or null when the property was dropped and the caller tries again
   */
  private static Entry dropOrSkip(Pending p, Map<String, String> values, InvalidContextException e) {
    String prop = e.property().orElse(null);
    if (prop == null || !values.containsKey(prop) || isEssential(p.type, prop)) {
      return new Entry(p.file, p.name.toString(), Optional.of(p.type), Outcome.SKIPPED, Optional.of(e.getMessage()),
          p.skipped);
    }
    values.remove(prop);
    p.skipped.add(new SkippedProperty(prop, e.getMessage()));
    return null;
  }

  private static Entry importOne(ServiceRegistry registry, Saver saver, Pending p, boolean overwrite,
      String masterUser) {
    Map<String, String> values = map(registry, p, masterUser);
    Optional<Versioned> existing = saver.load(p.name);
    if (existing.isPresent() && p.name.isMaster() && isImplicitMaster(existing.get().context())) {
      existing = Optional.empty();
    }
    // A context that exists is compared with the one the values describe: they are validated,
    // and what the library refuses dropped, first. A new one is validated by its save, which
    // refuses the same values with the same messages (and they are dropped below).
    if (existing.isPresent()) {
      Context target;
      while (true) {
        try {
          target = build(registry, p, values);
          break;
        } catch (InvalidContextException e) {
          Entry skipped = dropOrSkip(p, values, e);
          if (skipped != null) {
            return skipped;
          }
        }
      }
      Map<String, Object> wanted = ContextProperties.toMap(target);
      Context have = existing.get().context();
      if (have.type() == p.type && ContextProperties.toMap(have).equals(wanted)) {
        return new Entry(p.file, p.name.toString(), Optional.of(p.type), Outcome.UNCHANGED, Optional.empty(),
            p.skipped);
      }
      if (!overwrite) {
        String why = have.type() != p.type
            ? p.name + " exists as a " + have.type().id() + ", not a " + p.type.id()
            : p.name + " exists with different properties (" + differences(ContextProperties.toMap(have), wanted)
                + "); use overwrite to replace it";
        return new Entry(p.file, p.name.toString(), Optional.of(p.type), Outcome.CONFLICT, Optional.of(why),
            p.skipped);
      }
      if (have.type() != p.type) {
        return new Entry(p.file, p.name.toString(), Optional.of(p.type), Outcome.SKIPPED,
            Optional.of(p.name + " exists as a " + have.type().id() + " and a type cannot be changed; delete it first"),
            p.skipped);
      }
    }
    while (true) {
      PropertyChanges.Builder b = PropertyChanges.builder().set("context_type", p.type.id());
      values.forEach(b::set);
      if (existing.isPresent()) {
        for (String k : ContextProperties.toMap(existing.get().context()).keySet()) {
          if (!values.containsKey(k)) {
            b.reset(k);
          }
        }
      }
      try {
        saver.save(p.name, b.build());
        return new Entry(p.file, p.name.toString(), Optional.of(p.type), Outcome.IMPORTED, Optional.empty(),
            p.skipped);
      } catch (InvalidContextException e) {
        Entry skipped = dropOrSkip(p, values, e);
        if (skipped != null) {
          return skipped;
        }
      } catch (ProvisionException e) {
        return new Entry(p.file, p.name.toString(), Optional.of(p.type), Outcome.SKIPPED, Optional.of(e.getMessage()),
            p.skipped);
      }
    }
  }

  private static boolean isEssential(ContextType type, String property) {
    // A site's uri is its name in our model; Aegir's @hostmaster has another, and importing it
    // under a different uri would serve the wrong host.
    return (type == ContextType.PLATFORM && property.equals("root"))
        || (type == ContextType.SITE && property.equals("uri"))
        || Schema.find(type, property).map(s -> s.kind() == PropertySpec.Kind.REFERENCE).orElse(false);
  }

  /** The master as created implicitly on first use: nothing but remote_host=localhost. */
  private static boolean isImplicitMaster(Context c) {
    return ContextProperties.toMap(c).equals(Map.of("remote_host", "localhost"));
  }

  private static String differences(Map<String, Object> have, Map<String, Object> wanted) {
    Set<String> keys = new TreeSet<>(have.keySet());
    keys.addAll(wanted.keySet());
    return keys.stream().filter(k -> !Objects.equals(have.get(k), wanted.get(k))).collect(Collectors.joining(", "));
  }

  /** The context the values describe, validated property by property (references are checked on save). */
  private static Context build(ServiceRegistry registry, Pending p, Map<String, String> values) {
    Map<String, Object> canonical = new LinkedHashMap<>();
    Map<String, PropertySpec> declared = declared(registry, p.type, values);
    for (Map.Entry<String, String> e : values.entrySet()) {
      Optional<PropertySpec> spec = Schema.find(p.type, e.getKey());
      if (spec.isPresent()) {
        canonical.put(e.getKey(), spec.get().parse(p.name, e.getValue()));
      } else {
        PropertySpec d = declared.get(e.getKey());
        Object parsed = d.parse(p.name, e.getValue());
        canonical.put(e.getKey(), text(parsed));
      }
    }
    // Built, so validated: every context checks each of its properties when it is built.
    return ContextProperties.fromMap(p.type, p.name, canonical);
  }

  private static Map<String, PropertySpec> declared(ServiceRegistry registry, ContextType type,
      Map<String, ?> values) {
    Map<String, PropertySpec> out = new LinkedHashMap<>();
    registry.extraProperties(type, service -> {
      Object id = values.get(service + "_service_type");
      return id == null ? null : String.valueOf(id);
    }).forEach(s -> out.put(s.name(), s));
    return out;
  }

  /** Maps Aegir's properties to ours, as text for a save; records what is skipped. */
  private static Map<String, String> map(ServiceRegistry registry, Pending p, String masterUser) {
    Map<String, Object> props = p.alias.properties();
    Map<String, String> out = new LinkedHashMap<>();
    // The service types first: they decide which other server properties are declared.
    Map<String, Object> types = new LinkedHashMap<>();
    if (p.type == ContextType.SERVER) {
      for (String service : registry.services()) {
        String key = service + "_service_type";
        Optional<String> id = nonFalsy(props.get(key));
        if (id.isEmpty()) {
          continue;
        }
        if (registry.find(service, id.get()).isEmpty()) {
          p.skipped.add(new SkippedProperty(key, "unknown " + service + " service type " + Text.quote(id.get())
              + "; known: " + String.join(", ", registry.ids(service))));
          continue;
        }
        types.put(key, id.get());
      }
    }
    Map<String, PropertySpec> declared = declared(registry, p.type, types);
    for (Map.Entry<String, Object> e : props.entrySet()) {
      String key = e.getKey();
      Object v = e.getValue();
      if (key.equals("context_type") || key.equals("server") || DERIVED.contains(key)) {
        continue;
      }
      if (p.type == ContextType.SERVER && key.endsWith("_service_type")
          && registry.services().contains(key.substring(0, key.length() - "_service_type".length()))) {
        if (types.containsKey(key)) {
          out.put(key, (String) types.get(key));
        }
        continue;
      }
      if (p.type == ContextType.SITE && key.equals("root")) {
        continue;
      }
      if (p.type == ContextType.SERVER && !p.name.isMaster() && key.equals("aegir_root")) {
        continue; // the master's, not settable on other servers
      }
      if (p.type == ContextType.SERVER && !p.name.isMaster() && key.equals("script_user")
          && masterUser.equals(String.valueOf(v))) {
        continue; // Aegir persists the master's value on every server
      }
      Optional<PropertySpec> spec = Schema.find(p.type, key);
      if (spec.isPresent() && spec.get().derived()) {
        continue;
      }
      if (spec.isEmpty()) {
        spec = Optional.ofNullable(declared.get(key));
      }
      if (spec.isEmpty()) {
        String why = p.type == ContextType.SERVER
            ? "not a server property, and no selected service type declares it"
            : "not a " + p.type.id() + " property of Provision for Java";
        p.skipped.add(new SkippedProperty(key, why));
        continue;
      }
      try {
        text(spec.get(), v).ifPresent(t -> out.put(key, t));
      } catch (IllegalArgumentException ex) {
        p.skipped.add(new SkippedProperty(key, ex.getMessage()));
      }
    }
    return out;
  }

  /**
   * @return the value as text for a save, or empty when Aegir's value means "not set"
   * @throws IllegalArgumentException when the value cannot be given as text
   */
  private static Optional<String> text(PropertySpec spec, Object v) {
    if (spec.kind() == PropertySpec.Kind.BOOLEAN) {
      if (v == null || "".equals(v)) {
        return Optional.empty();
      }
      if (Boolean.FALSE.equals(v) || "0".equals(v) || Integer.valueOf(0).equals(v)) {
        return Optional.of("false");
      }
      if (Boolean.TRUE.equals(v) || "1".equals(v) || Integer.valueOf(1).equals(v)) {
        return Optional.of("true");
      }
      return Optional.of(String.valueOf(v));
    }
    if (isFalsy(v)) {
      return Optional.empty();
    }
    if (spec.kind() == PropertySpec.Kind.MAP) {
      if (!(v instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException("expected an array of server name => IP address");
      }
      List<String> parts = new ArrayList<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String k = String.valueOf(e.getKey());
        String val = scalar(e.getValue());
        if (k.contains(",") || k.contains("=") || val.contains(",")) {
          throw new IllegalArgumentException("an entry holds ',' or '=': " + Text.quote(k + "=" + val));
        }
        parts.add(k + "=" + val);
      }
      return Optional.of(String.join(",", parts));
    }
    if (spec.kind() == PropertySpec.Kind.LIST) {
      List<String> items = new ArrayList<>();
      if (v instanceof List<?> || v instanceof Map<?, ?>) {
        for (Object o : v instanceof Map<?, ?> m ? m.values() : (List<?>) v) {
          if (isFalsy(o)) {
            continue;
          }
          String s = scalar(o);
          if (s.contains(",")) {
            throw new IllegalArgumentException("an entry holds ',': " + Text.quote(s));
          }
          if (!items.contains(s)) {
            items.add(s); // Aegir de-duplicates aliases and drush_aliases
          }
        }
      } else {
        items.add(scalar(v)); // a comma string, as Aegir's save accepts
      }
      return items.isEmpty() ? Optional.empty() : Optional.of(String.join(",", items));
    }
    String s = scalar(v);
    if (s.equals(PropertyChanges.RESET)) {
      return Optional.empty(); // Aegir's literal null: the default
    }
    return Optional.of(s);
  }

  private static String scalar(Object v) {
    if (v instanceof List<?> || v instanceof Map<?, ?>) {
      throw new IllegalArgumentException("expected a single value, not an array");
    }
    if (v instanceof Boolean b) {
      return b ? "1" : "0";
    }
    return String.valueOf(v);
  }

  static boolean isFalsy(Object v) {
    return v == null || "".equals(v) || "0".equals(v) || Boolean.FALSE.equals(v)
        || (v instanceof Number n && n.longValue() == 0)
        || (v instanceof List<?> l && l.isEmpty()) || (v instanceof Map<?, ?> m && m.isEmpty());
  }

  private static Optional<String> nonFalsy(Object v) {
    return isFalsy(v) || v instanceof List<?> || v instanceof Map<?, ?> ? Optional.empty()
        : Optional.of(String.valueOf(v));
  }

  private static List<String> strings(Object v) {
    if (v instanceof List<?> l) {
      return l.stream().filter(o -> o instanceof String).map(o -> (String) o).toList();
    }
    if (v instanceof Map<?, ?> m) {
      return m.values().stream().filter(o -> o instanceof String).map(o -> (String) o).toList();
    }
    if (v instanceof String s && !s.isEmpty()) {
      return List.of(s.split(","));
    }
    return Collections.emptyList();
  }

  static String text(Object canonical) {
    if (canonical instanceof List<?> l) {
      return l.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
    if (canonical instanceof Map<?, ?> m) {
      return m.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }
    return String.valueOf(canonical);
  }
}
