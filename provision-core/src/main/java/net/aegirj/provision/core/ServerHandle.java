package net.aegirj.provision.core;

import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Server;

/** A handle on a server context; tasks on the server are run from here. */
public final class ServerHandle extends ContextHandle {
  ServerHandle(Provision provision, ContextName name) {
    super(provision, name, ContextType.SERVER);
  }

  @Override
  public Server context() {
    return (Server) super.context();
  }
}
