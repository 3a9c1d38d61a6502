package net.aegirj.provision.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The declaration of one property: its Aegir name, the context type it belongs to, its kind, the
 * grammar of its values, its default, and whether it is derived (computed, never stored), required,
 * or secret. Property values travel in a canonical form: {@link String}, {@link Boolean},
 * {@link Integer}, {@code List<String>} or {@code Map<String, String>}; references are strings of
 * the form {@code @name}.
 */
public final class PropertySpec {
  /** The kinds of property value. */
  public enum Kind {
    /** A single string of a {@link Grammar}, or one of a closed set of values. */
    STRING,
    /** {@code true}/{@code false}; parsed from 1/0, true/false, yes/no, on/off. */
    BOOLEAN,
    /** An integer within a range. */
    INTEGER,
    /** A list of strings; parsed from a comma-separated value. */
    LIST,
    /** A map of strings; parsed from {@code key=value} pairs separated by commas. */
    MAP,
    /** The name of another context of a given type. */
    REFERENCE
  }

  private final String name;
  private final ContextType contextType;
  private final Kind kind;
  private final Grammar grammar;
  private final Grammar keyGrammar;
  private final List<String> allowed;
  private final int min;
  private final int max;
  private final ContextType referenceType;
  private final String defaultDescription;
  private final Object defaultValue;
  private final boolean derived;
  private final boolean required;
  private final boolean secret;
  private final boolean cloned;
  private final String description;

  private PropertySpec(Builder b) {
    this.name = b.name;
    this.contextType = b.contextType;
    this.kind = b.kind;
    this.grammar = b.grammar;
    this.keyGrammar = b.keyGrammar;
    this.allowed = List.copyOf(b.allowed);
    this.min = b.min;
    this.max = b.max;
    this.referenceType = b.referenceType;
    this.defaultDescription = b.defaultDescription;
    this.defaultValue = b.defaultValue;
    this.derived = b.derived;
    this.required = b.required;
    this.secret = b.secret;
    this.cloned = b.cloned;
    this.description = b.description;
  }

  /**
   * Starts the declaration of a property.
   *
   * @param contextType the type the property belongs to
   * @param name Aegir's property name
   * @param kind the kind of value
   * @return a builder
   */
  public static Builder builder(ContextType contextType, String name, Kind kind) {
    return new Builder(contextType, name, kind);
  }

  /** @return Aegir's property name, such as {@code remote_host} */
  public String name() {
    return name;
  }

  /** @return the context type this property belongs to */
  public ContextType contextType() {
    return contextType;
  }

  /** @return the kind of value */
  public Kind kind() {
    return kind;
  }

  /** @return the grammar of the value (of each element for lists, of each value for maps) */
  public Optional<Grammar> grammar() {
    return Optional.ofNullable(grammar);
  }

  /** @return the closed set of values, or an empty list when the grammar decides */
  public List<String> allowed() {
    return allowed;
  }

  /** @return the type a reference must point to, for {@link Kind#REFERENCE} */
  public Optional<ContextType> referenceType() {
    return Optional.ofNullable(referenceType);
  }

  /** @return how the default is found, in words (empty when there is none) */
  public String defaultDescription() {
    return defaultDescription;
  }

  /**
   * @return the default in canonical form, when it is a constant (for service-declared
   *     properties; the defaults of context properties depend on other properties)
   */
  public Optional<Object> defaultValue() {
    return Optional.ofNullable(defaultValue);
  }

  /** @return true when the value is computed from other properties and cannot be set */
  public boolean derived() {
    return derived;
  }

  /** @return true when a context of this type cannot be saved without the property */
  public boolean required() {
    return required;
  }

  /** @return true when the value is a secret, redacted in output unless asked for */
  public boolean secret() {
    return secret;
  }

  /**
   * @return false when the value belongs to one site alone (its names, its database, its
   *     certificate): a clone does not copy it, and gets its own
   */
  public boolean cloned() {
    return cloned && !derived;
  }

  /** @return what the property means */
  public String description() {
    return description;
  }

  /**
   * Parses a value given as text (the command line's {@code --name=value}) into canonical form.
   *
   * @param context the context, for error messages
   * @param raw the text
   * @return the canonical value
   * @throws InvalidContextException when the text is not a valid value
   */
  public Object parse(Object context, String raw) {
    Objects.requireNonNull(raw, "raw");
    switch (kind) {
      case BOOLEAN:
        switch (spaces(raw).toLowerCase(Locale.ROOT)) {
          case "1": case "true": case "yes": case "on":
            return Boolean.TRUE;
          case "0": case "false": case "no": case "off":
            return Boolean.FALSE;
          default:
            throw invalid(context, Text.quote(raw) + " is not a boolean; use 1/0, true/false, yes/no or on/off");
        }
      case INTEGER: {
        String t = spaces(raw);
        for (int i = 0; i < allowed.size(); i++) {
          if (allowed.get(i).equals(t.toLowerCase(Locale.ROOT))) {
            return min + i;
          }
        }
        try {
          return validate(context, Integer.parseInt(t));
        } catch (NumberFormatException e) {
          throw invalid(context, Text.quote(raw) + " is not an integer" + rangeText());
        }
      }
      case LIST: {
        List<String> out = new ArrayList<>();
        for (String part : raw.split(",", -1)) {
          String p = spaces(part);
          if (!p.isEmpty()) {
            out.add(p);
          }
        }
        return validate(context, out);
      }
      case MAP: {
        Map<String, String> out = new LinkedHashMap<>();
        for (String part : raw.split(",", -1)) {
          String p = spaces(part);
          if (p.isEmpty()) {
            continue;
          }
          int eq = p.indexOf('=');
          if (eq <= 0) {
            throw invalid(context, Text.quote(p) + " is not a key=value pair");
          }
          out.put(spaces(p.substring(0, eq)), spaces(p.substring(eq + 1)));
        }
        return validate(context, out);
      }
      case REFERENCE:
      case STRING:
      default:
        return validate(context, raw);
    }
  }

  /**
   * Validates a value in canonical form and returns it normalised (lists de-duplicated, references
   * written as {@code @name}).
   *
   * @param context the context, for error messages
   * @param value a canonical value
   * @return the normalised value
   * @throws InvalidContextException when the value is not valid for this property
   */
  public Object validate(Object context, Object value) {
    if (derived) {
      throw invalid(context, "is derived (" + defaultDescription + ") and cannot be set");
    }
    switch (kind) {
      case BOOLEAN:
        if (value instanceof Boolean) {
          return value;
        }
        throw invalid(context, "must be a boolean, not " + describe(value));
      case INTEGER:
        if (value instanceof Integer i) {
          if (i < min || i > max) {
            throw invalid(context, i + " is out of range" + rangeText());
          }
          return i;
        }
        throw invalid(context, "must be an integer, not " + describe(value));
      case LIST: {
        if (!(value instanceof List<?> list)) {
          throw invalid(context, "must be a list, not " + describe(value));
        }
        return entries(context, list, true);
      }
      case MAP: {
        if (!(value instanceof Map<?, ?> map)) {
          throw invalid(context, "must be a map, not " + describe(value));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
          if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof String v)) {
            throw invalid(context, "map entries must be strings");
          }
          if (keyGrammar != null && !keyGrammar.accepts(k)) {
            throw invalid(context, "key " + Text.quote(k) + " is not " + keyGrammar.description());
          }
          String key = keyGrammar == Grammar.CONTEXT_NAME ? ContextName.of(k).value() : k;
          out.put(key, checkString(context, v));
        }
        return Collections.unmodifiableMap(out);
      }
      case REFERENCE: {
        if (!(value instanceof String s)) {
          throw invalid(context, "must be a context name, not " + describe(value));
        }
        if (!ContextName.isValid(s)) {
          throw invalid(context, Text.quote(s) + " is not a valid context name");
        }
        return ContextName.of(s).toString();
      }
      case STRING:
      default: {
        if (!(value instanceof String s)) {
          throw invalid(context, "must be a string, not " + describe(value));
        }
        return checkString(context, s);
      }
    }
  }

  /**
   * The part of {@link #validate} that the building of a context needs before it can check the
   * value: the Java type, a derived property refused, list entries de-duplicated; the whole of
   * it for values the builder converts (a choice among {@code allowed} values, a path). The value's
   * grammar is left to the context's own check, which validates every property of every context
   * built (so a value read from a file is checked once, not twice).
   *
   * @param context the context, for messages
   * @param value a candidate value
   * @return the value in the form the builder takes
   * @throws InvalidContextException when the value has the wrong type
   */
  Object shape(Object context, Object value) {
    // Values the builder converts (enumerations, paths) are checked before the conversion can
    // see them; the others reach the builder as the text they are.
    if (derived || (kind != Kind.STRING && kind != Kind.LIST) || !allowed.isEmpty() || grammar == Grammar.PATH) {
      return validate(context, value);
    }
    if (kind == Kind.STRING) {
      if (!(value instanceof String)) {
        throw invalid(context, "must be a string, not " + describe(value));
      }
      return value;
    }
    if (!(value instanceof List<?> list)) {
      throw invalid(context, "must be a list, not " + describe(value));
    }
    return entries(context, list, false);
  }

  /** @return the entries of a list value, strings, each once, checked by the grammar when asked */
  private List<String> entries(Object context, List<?> list, boolean check) {
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (Object o : list) {
      if (!(o instanceof String s)) {
        throw invalid(context, "list entries must be strings, not " + describe(o));
      }
      out.add(check ? checkString(context, s) : s);
    }
    return List.copyOf(out);
  }

  /**
   * Strips blanks around a list item or a number; unlike {@link String#trim()} it leaves control
   * characters in place, so that the grammar refuses them instead of their silently vanishing.
   */
  private static String spaces(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && s.charAt(b) == ' ') {
      b++;
    }
    while (e > b && s.charAt(e - 1) == ' ') {
      e--;
    }
    return s.substring(b, e);
  }

  private String checkString(Object context, String s) {
    if (!allowed.isEmpty() && kind == Kind.STRING) {
      if (!allowed.contains(s)) {
        throw invalid(context, Text.quote(s) + " is not one of " + String.join(", ", allowed));
      }
      return s;
    }
    if (grammar != null && !grammar.accepts(s)) {
      // A secret is never echoed, not even a refused one.
      throw invalid(context, (secret ? "the value (not shown: a secret)" : Text.quote(s)) + " is not "
          + grammar.description());
    }
    return s;
  }

  private String rangeText() {
    String r = " (" + min + " to " + max;
    if (!allowed.isEmpty()) {
      r += ", or one of " + String.join(", ", allowed);
    }
    return r + ")";
  }

  private static String describe(Object value) {
    return value == null ? "null" : value.getClass().getSimpleName();
  }

  private InvalidContextException invalid(Object context, String reason) {
    return new InvalidContextException(context == null ? null : context.toString(), name, reason);
  }

  @Override
  public String toString() {
    return contextType.id() + "." + name + " (" + kind.name().toLowerCase(Locale.ROOT) + ")";
  }

  /** Builds a {@link PropertySpec}. */
  public static final class Builder {
    private final String name;
    private final ContextType contextType;
    private final Kind kind;
    private Grammar grammar;
    private Grammar keyGrammar;
    private List<String> allowed = List.of();
    private int min = Integer.MIN_VALUE;
    private int max = Integer.MAX_VALUE;
    private ContextType referenceType;
    private String defaultDescription = "";
    private Object defaultValue;
    private boolean derived;
    private boolean required;
    private boolean secret;
    private boolean cloned = true;
    private String description = "";

    private Builder(ContextType contextType, String name, Kind kind) {
      if (!Grammar.ID.accepts(name)) {
        throw new IllegalArgumentException("property name " + Text.quote(name) + " is not " + Grammar.ID.description());
      }
      this.contextType = Objects.requireNonNull(contextType);
      this.name = name;
      this.kind = Objects.requireNonNull(kind);
    }

    /** @param g the grammar of values (list elements, map values) @return this */
    public Builder grammar(Grammar g) {
      this.grammar = g;
      return this;
    }

    /** @param g the grammar of map keys @return this */
    public Builder keyGrammar(Grammar g) {
      this.keyGrammar = g;
      return this;
    }

    /**
     * @param values the closed set of values (for integers: names of {@code min}, {@code min+1} …)
     * @return this
     */
    public Builder allowed(String... values) {
      this.allowed = List.of(values);
      return this;
    }

    /** @param lo lowest integer @param hi highest integer @return this */
    public Builder range(int lo, int hi) {
      this.min = lo;
      this.max = hi;
      return this;
    }

    /** @param type the type a reference points to @return this */
    public Builder references(ContextType type) {
      this.referenceType = type;
      return this;
    }

    /** @param text how the default is found @return this */
    public Builder defaultsTo(String text) {
      this.defaultDescription = text;
      return this;
    }

    /**
     * @param value a constant default in canonical form; also describes the default when no
     *     description was given
     * @return this
     */
    public Builder defaultValue(Object value) {
      this.defaultValue = value;
      if (defaultDescription.isEmpty()) {
        defaultDescription = String.valueOf(value);
      }
      return this;
    }

    /** @return this, marked derived */
    public Builder derived() {
      this.derived = true;
      return this;
    }

    /** @return this, marked required */
    public Builder required() {
      this.required = true;
      return this;
    }

    /** @return this, marked secret */
    public Builder secret() {
      this.secret = true;
      return this;
    }

    /** @return this, marked as belonging to one site alone: a clone does not copy it */
    public Builder notCloned() {
      this.cloned = false;
      return this;
    }

    /** @param text what the property means @return this */
    public Builder description(String text) {
      this.description = text;
      return this;
    }

    /** @return the declaration */
    public PropertySpec build() {
      return new PropertySpec(this);
    }
  }
}
