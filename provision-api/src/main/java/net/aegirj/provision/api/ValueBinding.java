package net.aegirj.provision.api;

import java.lang.invoke.CallSite;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
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
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

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
 *
 * <p>The methods are found by reflection once, and called through functions made for them by
 * {@link LambdaMetafactory} (plain calls, as if written by hand), not through
 * {@link Method#invoke}, which checks access and boxes its arguments on every call: every context
 * built, read, validated or stored goes through here.
 */
final class ValueBinding {
  /** Finds the methods' handles (declared before the bindings, which use it when they are made). */
  private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();

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
  private record Property(PropertyKey<?> key, Function<Object, Object> accessor,
      BiFunction<Object, Object, Object> setter, Shape shape, Codec codec) {
    void read(Context context, Map<String, Object> out) {
      Object v = accessor.apply(context);
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
      setter.apply(builder, shape == Shape.OPTIONAL ? codec.value().apply(canonical) : canonical);
    }
  }

  private static final Map<ContextType, ValueBinding> BINDINGS = new EnumMap<>(ContextType.class);

  static {
    BINDINGS.put(ContextType.SERVER, new ValueBinding(Server.class, Schema.keys(ContextType.SERVER)));
    BINDINGS.put(ContextType.PLATFORM, new ValueBinding(Platform.class, Schema.keys(ContextType.PLATFORM)));
    BINDINGS.put(ContextType.SITE, new ValueBinding(Site.class, Schema.keys(ContextType.SITE)));
  }

  private final Supplier<Object> builder;
  private final BiFunction<Object, Object, Object> name;
  private final BiFunction<Object, Object, Object> extras;
  private final Function<Object, Object> build;
  private final List<Property> properties = new ArrayList<>();

  private ValueBinding(Class<? extends Context> value, List<PropertyKey<?>> keys) {
    try {
      Method builderMethod = value.getMethod("builder");
      builder = supplier(builderMethod);
      Class<?> b = builderMethod.getReturnType();
      name = biFunction(b.getMethod("name", ContextName.class));
      extras = biFunction(b.getMethod("putAllExtras", Map.class));
      build = function(b.getMethod("build"));
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
      return new Property(key, function(accessor), biFunction(setter(builder, accessor.getName(), j)),
          Shape.OPTIONAL, codec);
    }
    if (raw == List.class) {
      return new Property(key, function(accessor), biFunction(builder.getMethod(accessor.getName(), Iterable.class)),
          Shape.LIST, null);
    }
    if (raw == Map.class) {
      return new Property(key, function(accessor), biFunction(builder.getMethod(accessor.getName(), Map.class)),
          Shape.MAP, null);
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
    Object b = builder.get();
    this.name.apply(b, name);
    for (Property p : properties) {
      Object v = canonical.get(p.key().name());
      if (v != null) {
        p.write(b, v);
      }
    }
    extras.apply(b, extraProperties);
    return (Context) build.apply(b);
  }

  /** @return a static method without parameters as a function */
  @SuppressWarnings("unchecked")
  private static Supplier<Object> supplier(Method m) {
    return (Supplier<Object>) lambda(m, Supplier.class, "get", MethodType.methodType(Object.class));
  }

  /** @return an instance method without parameters as a function of the instance */
  @SuppressWarnings("unchecked")
  private static Function<Object, Object> function(Method m) {
    return (Function<Object, Object>) lambda(m, Function.class, "apply",
        MethodType.methodType(Object.class, Object.class));
  }

  /** @return an instance method of one parameter as a function of the instance and the argument */
  @SuppressWarnings("unchecked")
  private static BiFunction<Object, Object, Object> biFunction(Method m) {
    return (BiFunction<Object, Object, Object>) lambda(m, BiFunction.class, "apply",
        MethodType.methodType(Object.class, Object.class, Object.class));
  }

  /**
   * @return an object of the functional interface whose method calls {@code m} (a primitive
   *     parameter takes its wrapper, unboxed)
   */
  private static Object lambda(Method m, Class<?> iface, String method, MethodType erased) {
    try {
      MethodHandle target = LOOKUP.unreflect(m);
      MethodType instantiated = target.type().wrap();
      CallSite site = LambdaMetafactory.metafactory(LOOKUP, method, MethodType.methodType(iface), erased, target,
          instantiated);
      return site.getTarget().invoke();
    } catch (Throwable e) {
      throw new IllegalStateException("cannot bind " + m + ": " + e, e);
    }
  }
}
