package net.aegirj.provision.core;

import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Site;

/** A handle on a site context; tasks on the site are run from here. */
public final class SiteHandle extends ContextHandle {
  SiteHandle(Provision provision, ContextName name) {
    super(provision, name);
  }

  @Override
  public ContextType type() {
    return ContextType.SITE;
  }

  @Override
  public Site context() {
    return (Site) super.context();
  }
}
