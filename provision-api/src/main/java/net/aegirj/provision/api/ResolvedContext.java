package net.aegirj.provision.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A context with every property worked out: the ones that were set, the defaults of the others,
 * and the derived paths. This is what {@code provision show} prints.
 *
 * @param context the stored context
 * @param version its stored version
 * @param properties every property in display order
 */
public record ResolvedContext(Context context, long version, List<Property> properties) {
  /** Where a resolved value comes from. */
  public enum Source {
    /** Set on this context and stored. */
    SET,
    /** Not set: the declared default. */
    DEFAULT,
    /** Computed from other properties; never stored. */
    DERIVED
  }

  /**
   * One resolved property.
   *
   * @param name Aegir's property name
   * @param value the canonical value (see {@link PropertySpec}); absent when there is none
   * @param source where the value comes from
   * @param secret true when the value must be redacted in output
   */
  public record Property(String name, Optional<Object> value, Source source, boolean secret) {
    /** Checks the invariants. */
    public Property {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      Objects.requireNonNull(source, "source");
    }

    @Override
    public String toString() {
      return name + "=" + (secret && value.isPresent() ? "****" : value.map(String::valueOf).orElse(""))
          + (source == Source.SET ? "" : " (" + source.name().toLowerCase(Locale.ROOT) + ")");
    }
  }

  /** Checks the invariants. */
  public ResolvedContext {
    Objects.requireNonNull(context, "context");
    properties = List.copyOf(properties);
  }

  /** @return the context's name */
  public ContextName name() {
    return context.name();
  }

  /**
   * @param name a property name
   * @return the resolved property, if the context has it
   */
  public Optional<Property> property(String name) {
    return properties.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /**
   * @param name a property name
   * @return its resolved value, if there is one
   */
  public Optional<Object> get(String name) {
    return property(name).flatMap(Property::value);
  }

  /**
   * Reads a property through its typed key.
   *
   * @param key the property's key
   * @param <T> the value's type
   * @return the resolved value, else the key's constant default, if either exists
   */
  public <T> Optional<T> find(PropertyKey<T> key) {
    Optional<Object> value = get(key.name());
    return value.isPresent() ? value.map(key::cast) : key.defaultValue();
  }

  /**
   * Reads a property that must have a value through its typed key.
   *
   * @param key the property's key
   * @param <T> the value's type
   * @return the resolved value, else the key's constant default
   * @throws InvalidContextException when the context has neither (a property that is set only by
   *     a task, such as {@code db_name} before install)
   */
  public <T> T get(PropertyKey<T> key) {
    return find(key).orElseThrow(() -> new InvalidContextException(context.name().toString(), key.name(),
        "has no value"));
  }

  /**
   * @param showSecrets whether secret values are shown or replaced by {@code ****}
   * @return property name to value, in display order; properties without a value are left out
   */
  public Map<String, Object> values(boolean showSecrets) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Property p : properties) {
      p.value().ifPresent(v -> out.put(p.name(), p.secret() && !showSecrets ? "****" : v));
    }
    return out;
  }

  @Override
  public String toString() {
    return context.name() + " v" + version + " " + properties;
  }
}
