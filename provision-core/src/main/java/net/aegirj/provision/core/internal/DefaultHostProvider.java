package net.aegirj.provision.core.internal;

import net.aegirj.provision.api.HostException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.core.host.Hosts;
import net.aegirj.provision.core.host.LocalHost;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.HostProvider;

/** Opens the local machine for local servers and an SSH connection for remote ones. */
public final class DefaultHostProvider implements HostProvider {
  @Override
  public Host open(ResolvedContext server) {
    String remoteHost = (String) server.get("remote_host").orElse("localhost");
    String name = server.name() + " (" + remoteHost + ")";
    if (Hosts.isLocal(remoteHost)) {
      return new LocalHost(name);
    }
    throw new HostException(name, "SSH hosts are not available in this build");
  }
}
