package net.aegirj.provision.spi;

import net.aegirj.provision.api.ResolvedContext;

/**
 * Opens the {@link Host} of a server for one task. The default provider opens the local machine
 * for local servers and an SSH connection for the others; tests plug in fakes.
 */
@FunctionalInterface
public interface HostProvider {
  /**
   * @param server the server, resolved ({@code remote_host}, {@code ssh_*} properties)
   * @return its host; the caller closes it at the end of the task
   */
  Host open(ResolvedContext server);
}
