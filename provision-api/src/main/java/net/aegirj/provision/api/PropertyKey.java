package net.aegirj.provision.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import net.aegirj.provision.spi.ServiceType;

/**
 * A property declared once, with the Java type its resolved value has: the typed handle through
 * which code reads a resolved context ({@code site.get(SiteKeys.SSL_ENABLED)} is an {@code int}).
 * The key carries its {@link PropertySpec} (name, grammar, default, secret, context type), so the
 * declaration that validates a value, lists it in {@code show} and imports it is the same one that
 * reads it.
 *
 * <p>Core declares the common properties ({@link ServerKeys}, {@link PlatformKeys},
 * {@link SiteKeys}); a service type declares its own and returns their specs from
 * {@link ServiceType#serverProperties()} or
 * {@link ServiceType#siteProperties()}.
 *
 * @param <T> the type of the resolved value: {@link String} (strings and references),
 *     {@link Integer}, {@link Boolean}, {@code List<String>} or {@code Map<String, String>}
 */
public final class PropertyKey<T> {
  private final PropertySpec spec;
  private final Class<?> type;

  private PropertyKey(PropertySpec spec, Class<?> type, PropertySpec.Kind... kinds) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.type = type;
    if (!List.of(kinds).contains(spec.kind())) {
      throw new IllegalArgumentException(spec + " cannot be read as " + type.getSimpleName());
    }
    spec.defaultValue().ifPresent(this::cast);
  }

  /**
   * @param spec a string or reference property
   * @return its key
   */
  public static PropertyKey<String> string(PropertySpec spec) {
    return new PropertyKey<>(spec, String.class, PropertySpec.Kind.STRING, PropertySpec.Kind.REFERENCE);
  }

  /**
   * @param spec an integer property
   * @return its key
   */
  public static PropertyKey<Integer> integer(PropertySpec spec) {
    return new PropertyKey<>(spec, Integer.class, PropertySpec.Kind.INTEGER);
  }

  /**
   * @param spec a boolean property
   * @return its key
   */
  public static PropertyKey<Boolean> bool(PropertySpec spec) {
    return new PropertyKey<>(spec, Boolean.class, PropertySpec.Kind.BOOLEAN);
  }

  /**
   * @param spec a list property
   * @return its key
   */
  public static PropertyKey<List<String>> list(PropertySpec spec) {
    return new PropertyKey<>(spec, List.class, PropertySpec.Kind.LIST);
  }

  /**
   * @param spec a map property
   * @return its key
   */
  public static PropertyKey<Map<String, String>> map(PropertySpec spec) {
    return new PropertyKey<>(spec, Map.class, PropertySpec.Kind.MAP);
  }

  /** @return Aegir's property name */
  public String name() {
    return spec.name();
  }

  /** @return the declaration */
  public PropertySpec spec() {
    return spec;
  }

  /** @return the constant default, when the declaration has one */
  public Optional<T> defaultValue() {
    return spec.defaultValue().map(this::cast);
  }

  /**
   * @param canonical a value in canonical form
   * @return the value as this key's type
   * @throws IllegalStateException when it has another type (a bug: resolved values are
   *     canonical)
   */
  @SuppressWarnings("unchecked")
  public T cast(Object canonical) {
    if (canonical instanceof Number n && type == Integer.class && !(canonical instanceof Integer)) {
      return (T) Integer.valueOf(n.intValue());
    }
    if (!type.isInstance(canonical)) {
      throw new IllegalStateException(spec + " holds a " + canonical.getClass().getSimpleName()
          + ", not a " + type.getSimpleName());
    }
    return (T) canonical;
  }

  /**
   * @param value a value of this key
   * @return its text form, as the command line writes it: list entries and map entries
   *     ({@code key=value}) separated by commas
   */
  public String text(T value) {
    return textOf(value);
  }

  /**
   * @param canonical any value in canonical form
   * @return its text form, as {@link #text} writes it
   */
  public static String textOf(Object canonical) {
    if (canonical instanceof List<?> l) {
      return l.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
    if (canonical instanceof Map<?, ?> m) {
      return m.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }
    return String.valueOf(canonical);
  }

  @Override
  public String toString() {
    return spec.toString();
  }
}
