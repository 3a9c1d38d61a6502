package net.aegirj.provision.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Property changes by Aegir name, given as text, as {@code provision save @name --prop=value}
 * gives them. A value of {@code null} (the word) resets the property to its default, as in Aegir;
 * list properties take comma-separated values; {@code context_type} may be among the changes and
 * is required when the context is new.
 */
public final class PropertyChanges {
  /** The literal that resets a property to its default. */
  public static final String RESET = "null";

  private final Map<String, Optional<String>> changes;

  private PropertyChanges(Map<String, Optional<String>> changes) {
    this.changes = Collections.unmodifiableMap(new LinkedHashMap<>(changes));
  }

  /** @return a builder */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * @param values property name to text value ({@code "null"} resets)
   * @return the changes, in the map's order
   */
  public static PropertyChanges of(Map<String, String> values) {
    Builder b = builder();
    values.forEach(b::set);
    return b.build();
  }

  /**
   * @return property name to the new text value, or empty for a reset to the default, in the
   *     order given
   */
  public Map<String, Optional<String>> changes() {
    return changes;
  }

  /** @return true when nothing is to change */
  public boolean isEmpty() {
    return changes.isEmpty();
  }

  @Override
  public String toString() {
    // Values may be secrets: show only which properties change.
    return "PropertyChanges" + changes.keySet();
  }

  /** Collects {@link PropertyChanges}; a later change of the same property wins. */
  public static final class Builder {
    private final Map<String, Optional<String>> changes = new LinkedHashMap<>();

    private Builder() {}

    /**
     * @param name the property
     * @param value its new value as text; {@code "null"} resets it to its default
     * @return this
     */
    public Builder set(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, () -> "value of " + name + " (use reset to clear a property)");
      changes.remove(name);
      changes.put(name, RESET.equals(value) ? Optional.empty() : Optional.of(value));
      return this;
    }

    /**
     * Sets a property through its typed key; the value is written in its text form (lists and
     * maps comma-separated, as on the command line).
     *
     * @param key the property
     * @param value its new value
     * @param <T> the value's type
     * @return this
     */
    public <T> Builder set(PropertyKey<T> key, T value) {
      Objects.requireNonNull(value, () -> "value of " + key.name() + " (use reset to clear a property)");
      return set(key.name(), key.text(value));
    }

    /**
     * @param key the property to reset to its default
     * @return this
     */
    public Builder reset(PropertyKey<?> key) {
      return reset(key.name());
    }

    /**
     * @param name the property to reset to its default
     * @return this
     */
    public Builder reset(String name) {
      Objects.requireNonNull(name, "name");
      changes.remove(name);
      changes.put(name, Optional.empty());
      return this;
    }

    /** @return the changes */
    public PropertyChanges build() {
      return new PropertyChanges(changes);
    }
  }
}
