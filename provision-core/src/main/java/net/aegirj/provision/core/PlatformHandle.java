package net.aegirj.provision.core;

import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Platform;

/** A handle on a platform context; tasks on the platform are run from here. */
public final class PlatformHandle extends ContextHandle {
  PlatformHandle(Provision provision, ContextName name) {
    super(provision, name);
  }

  @Override
  public ContextType type() {
    return ContextType.PLATFORM;
  }

  @Override
  public Platform context() {
    return (Platform) super.context();
  }
}
