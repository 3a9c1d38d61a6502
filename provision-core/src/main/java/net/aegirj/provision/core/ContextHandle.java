package net.aegirj.provision.core;

import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.ResolvedContext;

/**
 * A handle on one named context, returned by {@link Provision}'s verbs. It holds only the name:
 * every call reads the current stored state.
 */
public abstract class ContextHandle {
  private final Provision provision;
  private final ContextName name;

  ContextHandle(Provision provision, ContextName name) {
    this.provision = provision;
    this.name = name;
  }

  /** @return the context's name */
  public final ContextName name() {
    return name;
  }

  /** @return the context's type */
  public abstract ContextType type();

  /** @return the stored context, as it is now */
  public Context context() {
    return provision.contexts().load(name).context();
  }

  /** @return the stored version, as it is now */
  public final long version() {
    return provision.contexts().load(name).version();
  }

  /** @return every property: set, default and derived */
  public final ResolvedContext resolve() {
    return provision.contexts().resolve(name);
  }

  /** @return the {@link Provision} this handle belongs to */
  protected final Provision provision() {
    return provision;
  }

  @Override
  public String toString() {
    return type().id() + " " + name;
  }
}
