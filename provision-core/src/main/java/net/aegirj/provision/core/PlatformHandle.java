package net.aegirj.provision.core;

import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;

/** A handle on a platform context; tasks on the platform are run from here. */
public final class PlatformHandle extends ContextHandle {
  PlatformHandle(Provision provision, ContextName name) {
    super(provision, name);
  }

  @Override
  public ContextType type() {
    return ContextType.PLATFORM;
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

  @Override
  public Platform context() {
    return (Platform) super.context();
  }
}
