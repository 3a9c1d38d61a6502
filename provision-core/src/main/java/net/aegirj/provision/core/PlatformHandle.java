package net.aegirj.provision.core;

import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;

/** A handle on a platform context; tasks on the platform are run from here. */
public final class PlatformHandle extends ContextHandle {
  PlatformHandle(Provision provision, ContextName name) {
    super(provision, name, ContextType.PLATFORM);
  }

  /**
   * Deletes the platform's configuration on its web server, then the context; refused while
   * sites use the platform, naming them.
   *
   * @return the report
   */
  public TaskReport delete() {
    return provision().runDelete(name());
  }

  /**
   * Locks the platform: it takes no new sites (and no migrations into it) until unlocked.
   *
   * @return this handle
   */
  public PlatformHandle lock() {
    provision().save(name().toString(), PropertyChanges.builder().set(PlatformKeys.LOCKED, true).build());
    return this;
  }

  /**
   * Unlocks the platform.
   *
   * @return this handle
   */
  public PlatformHandle unlock() {
    provision().save(name().toString(), PropertyChanges.builder().reset(PlatformKeys.LOCKED).build());
    return this;
  }

  @Override
  public Platform context() {
    return (Platform) super.context();
  }
}
