package net.aegirj.provision.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Converts contexts to and from their properties in canonical form (see {@link PropertySpec}),
 * keyed by Aegir's property names. This is the one mapping between the typed values and the
 * untyped world of the command line, JSON files and alias files. It is driven by the declarations
 * ({@link ServerKeys}, {@link PlatformKeys}, {@link SiteKeys}): each stored key is bound by name to
 * the value type's accessor and builder method ({@code remote_host} to {@code remoteHost()}), so a
 * new core property is its key plus its accessor.
 */
public final class ContextProperties {
  private ContextProperties() {}

  /**
   * @param context any context
   * @return the properties that were set, in schema order, then the extras in name order
   */
  public static Map<String, Object> toMap(Context context) {
    Map<String, Object> m = ValueBinding.of(context.type()).read(context);
    context.extras().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> m.put(e.getKey(), e.getValue()));
    return Collections.unmodifiableMap(m);
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
    return ValueBinding.of(type).build(name, m, extras);
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
