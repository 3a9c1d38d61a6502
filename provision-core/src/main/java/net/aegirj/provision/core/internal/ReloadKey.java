package net.aegirj.provision.core.internal;

import net.aegirj.provision.api.ContextName;

/** A service on a server that a task's changes oblige to reload once, at the task's end. */
record ReloadKey(ContextName server, String service) {
  @Override
  public String toString() {
    return server + ": " + service;
  }
}
