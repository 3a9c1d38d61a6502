package net.aegirj.provision.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The three kinds of named context, with Aegir's {@code context_type} ids. */
public enum ContextType {
  /** A machine that provides services (http, db, dns). */
  SERVER,
  /** A Drupal code base on disk, published by a web server. */
  PLATFORM,
  /** A Drupal site on a platform, with its database on a db server. */
  SITE;

  /** @return Aegir's id: {@code server}, {@code platform} or {@code site} */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses Aegir's {@code context_type} value.
   *
   * @param id {@code server}, {@code platform} or {@code site}
   * @return the type
   * @throws InvalidContextException for any other value, listing the valid ones
   */
  public static ContextType fromId(String id) {
    for (ContextType t : values()) {
      if (t.id().equals(id)) {
        return t;
      }
    }
    throw new InvalidContextException(null, "context_type",
        Text.quote(id) + " is not a context type; use one of "
            + Arrays.stream(values()).map(ContextType::id).collect(Collectors.joining(", ")));
  }
}
