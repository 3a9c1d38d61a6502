package net.aegirj.provision.spi;

import java.util.Objects;
import net.aegirj.provision.api.Context;

/**
 * A stored context with its version. Versions start at 1 and grow by one with every write; a
 * repository never hands out the same version twice for one name while the context exists.
 *
 * @param context the stored context
 * @param version its version, at least 1
 */
public record Versioned(Context context, long version) {
  /** Checks the invariants. */
  public Versioned {
    Objects.requireNonNull(context, "context");
    if (version < 1) {
      throw new IllegalArgumentException("version must be at least 1, was " + version);
    }
  }
}
