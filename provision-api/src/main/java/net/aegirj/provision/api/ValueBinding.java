package net.aegirj.provision.api;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Binds the stored properties that a context type declares ({@link ServerKeys}, {@link PlatformKeys},
 * {@link SiteKeys}) to its value type by name, the way Immutables binds an accessor to its builder
 * method: the key {@code remote_host} is read by the accessor {@code remoteHost()} and set by the
 * builder method {@code remoteHost(…)} that Immutables generates from that accessor. Adding a core
 * property is therefore its key plus its abstract accessor; the binding refuses, when it is first
 * used, a stored key without an accessor and an accessor without a key.
 *
 * <p>An accessor returns {@code Optional<J>}, {@code List<String>} or {@code Map<String, String>};
 * {@code J} is the canonical type itself ({@link String}, {@link Integer}, {@link Boolean}) or one
 * of the Java types in {@link #CODECS}, which say how it maps to its canonical form.
 */
final class ValueBinding {
  /** How a Java type of an accessor maps to the canonical form of its property, and back. */
  private record Codec(Class<?> javaType, Function<Object, Object> canonical, Function<Object, Object> value) {
    static <J, C> Codec of(Class<J> javaType, Class<C> canonicalType, Function<J, C> canonical,
        Function<C, J> value) {
      return new Codec(javaType, o -> canonical.apply(javaType.cast(o)), o -> value.apply(canonicalType.cast(o)));
    }

    static Codec identity(Class<?> type) {
      return new Codec(type, Function.identity(), Function.identity());
    }
  }

  private static final List<Codec> CODECS = List.of(
      Codec.identity(String.class), Codec.identity(Integer.class), Codec.identity(Boolean.class),
      Codec.of(Path.class, String.class, Path::toString, Path::of),
      Codec.of(ContextName.class, String.class, ContextName::toString, ContextName::of),
      Codec.of(SslMode.class, Integer.class, SslMode::code, SslMode::fromCode),
      Codec.of(InstallMethod.class, String.class, InstallMethod::id, InstallMethod::fromId));

  /** The shapes of an accessor, as Immutables builds them. */
  private enum Shape { OPTIONAL, LIST, MAP }

  /** One stored property: its key, its accessor, its builder method and its codec. */
  private record Property(PropertyKey<?> key, Method accessor, Method setter, Shape shape, Codec codec) {
    void read(Context context, Map<String, Object> out) {
      Object v = invoke(accessor, context);
      switch (shape) {
        case OPTIONAL -> ((Optional<?>) v).ifPresent(x -> out.put(key.name(), codec.canonical().apply(x)));
        case LIST -> {
          if (!((List<?>) v).isEmpty()) {
            out.put(key.name(), List.copyOf((List<?>) v));
          }
        }
        case MAP -> {
          if (!((Map<?, ?>) v).isEmpty()) {
            out.put(key.name(), Collections.unmodifiableMap(new LinkedHashMap<>((Map<?, ?>) v)));
          }
        }
        default -> throw new IllegalStateException(shape.toString());
      }
    }

    void write(Object builder, Object canonical) {
      invoke(setter, builder, shape == Shape.OPTIONAL ? codec.value().apply(canonical) : canonical);
    }
  }

  private static final Map<ContextType, ValueBinding> BINDINGS = new EnumMap<>(ContextType.class);

  static {
    BINDINGS.put(ContextType.SERVER, new ValueBinding(Server.class, Schema.keys(ContextType.SERVER)));
    BINDINGS.put(ContextType.PLATFORM, new ValueBinding(Platform.class, Schema.keys(ContextType.PLATFORM)));
    BINDINGS.put(ContextType.SITE, new ValueBinding(Site.class, Schema.keys(ContextType.SITE)));
  }

  private final Method builder;
  private final Method name;
  private final Method extras;
  private final Method build;
  private final List<Property> properties = new ArrayList<>();

  private ValueBinding(Class<? extends Context> value, List<PropertyKey<?>> keys) {
    try {
      builder = value.getMethod("builder");
      Class<?> b = builder.getReturnType();
      name = b.getMethod("name", ContextName.class);
      extras = b.getMethod("putAllExtras", Map.class);
      build = b.getMethod("build");
      Set<String> accessors = new TreeSet<>();
      for (Method m : value.getMethods()) {
        if (Modifier.isAbstract(m.getModifiers()) && m.getParameterCount() == 0
            && !Set.of("name", "type", "extras").contains(m.getName())) {
          accessors.add(m.getName());
        }
      }
      for (PropertyKey<?> key : keys) {
        if (key.spec().derived()) {
          continue;
        }
        String camel = camel(key.name());
        if (!accessors.remove(camel)) {
          throw new IllegalStateException(key + " is stored but " + value.getSimpleName()
              + " has no abstract accessor " + camel + "()");
        }
        properties.add(property(key, value.getMethod(camel), b));
      }
      if (!accessors.isEmpty()) {
        throw new IllegalStateException(value.getSimpleName() + " has accessors " + accessors
            + " that no key of its context type declares");
      }
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException("the value type " + value.getSimpleName()
          + " does not have the shape Immutables generates: " + e.getMessage(), e);
    }
  }

  private static Property property(PropertyKey<?> key, Method accessor, Class<?> builder)
      throws NoSuchMethodException {
    Type t = accessor.getGenericReturnType();
    Class<?> raw = accessor.getReturnType();
    if (raw == Optional.class && t instanceof ParameterizedType p && p.getActualTypeArguments()[0] instanceof Class<?> j) {
      Codec codec = CODECS.stream().filter(c -> c.javaType() == j).findFirst()
          .orElseThrow(() -> new IllegalStateException(accessor + ": no codec for " + j.getSimpleName()));
      return new Property(key, accessor, setter(builder, accessor.getName(), j), Shape.OPTIONAL, codec);
    }
    if (raw == List.class) {
      return new Property(key, accessor, builder.getMethod(accessor.getName(), Iterable.class), Shape.LIST, null);
    }
    if (raw == Map.class) {
      return new Property(key, accessor, builder.getMethod(accessor.getName(), Map.class), Shape.MAP, null);
    }
    throw new IllegalStateException(accessor + " returns " + t + "; a property is an Optional, a List or a Map");
  }

  /** @return the builder method that takes a {@code j}, or its primitive (Immutables unboxes some) */
  private static Method setter(Class<?> builder, String name, Class<?> j) throws NoSuchMethodException {
    try {
      return builder.getMethod(name, j);
    } catch (NoSuchMethodException e) {
      Class<?> primitive = j == Integer.class ? int.class : j == Boolean.class ? boolean.class : null;
      if (primitive == null) {
        throw e;
      }
      return builder.getMethod(name, primitive);
    }
  }

  /** @return {@code remote_host} as {@code remoteHost} */
  private static String camel(String name) {
    StringBuilder out = new StringBuilder();
    boolean upper = false;
    for (char c : name.toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        out.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return out.toString();
  }

  /**
   * @param type a context type
   * @return the binding of its value type
   */
  static ValueBinding of(ContextType type) {
    return BINDINGS.get(type);
  }

  /**
   * @param context a context of this binding's type
   * @return its set properties in canonical form, in declaration order (without extras)
   */
  Map<String, Object> read(Context context) {
    Map<String, Object> out = new LinkedHashMap<>();
    properties.forEach(p -> p.read(context, out));
    return out;
  }

  /**
   * @param name the context name
   * @param canonical shaped values of declared properties, by name
   * @param extraProperties the extras
   * @return the built (and so validated) context
   */
  Context build(ContextName name, Map<String, Object> canonical, Map<String, String> extraProperties) {
    Object b = invoke(builder, null);
    invoke(this.name, b, name);
    for (Property p : properties) {
      Object v = canonical.get(p.key().name());
      if (v != null) {
        p.write(b, v);
      }
    }
    invoke(extras, b, extraProperties);
    return (Context) invoke(build, b);
  }

  private static Object invoke(Method m, Object target, Object... args) {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(m + " failed", e.getCause());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(m + " is not accessible", e);
    }
  }
}
