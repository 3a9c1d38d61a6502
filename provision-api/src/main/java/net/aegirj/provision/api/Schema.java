package net.aegirj.provision.api;

import static net.aegirj.provision.api.ContextType.PLATFORM;
import static net.aegirj.provision.api.ContextType.SERVER;
import static net.aegirj.provision.api.ContextType.SITE;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The properties that each context type declares, with Aegir's names (see the reference, section
 * 3), looked up by name; the declarations themselves are the keys of {@link ServerKeys},
 * {@link PlatformKeys} and {@link SiteKeys}. Service types declare more properties of their own;
 * those live in a context's {@code extras}.
 */
public final class Schema {
  private static final Map<ContextType, List<PropertyKey<?>>> KEYS = new EnumMap<>(ContextType.class);
  private static final Map<ContextType, List<PropertySpec>> SPECS = new EnumMap<>(ContextType.class);

  static {
    KEYS.put(SERVER, ServerKeys.ALL);
    KEYS.put(PLATFORM, PlatformKeys.ALL);
    KEYS.put(SITE, SiteKeys.ALL);
    KEYS.forEach((type, keys) -> SPECS.put(type, specs(keys)));
  }

  private static List<PropertySpec> specs(List<PropertyKey<?>> keys) {
    return keys.stream().map(PropertyKey::spec).toList();
  }

  private Schema() {}

  /**
   * @param type a context type
   * @return the keys of its declared properties, in display order
   */
  static List<PropertyKey<?>> keys(ContextType type) {
    return KEYS.get(type);
  }

  /**
   * @param type a context type
   * @return its declared properties, in display order (stored ones first, then derived ones)
   */
  public static List<PropertySpec> properties(ContextType type) {
    return SPECS.get(type);
  }

  /**
   * @param type a context type
   * @param name a property name
   * @return the declaration, if the type declares the property
   */
  public static Optional<PropertySpec> find(ContextType type, String name) {
    for (PropertySpec p : SPECS.get(type)) {
      if (p.name().equals(name)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
