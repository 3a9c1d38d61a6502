package net.aegirj.provision.core.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.core.host.Hosts;
import net.aegirj.provision.core.host.LocalHost;
import net.aegirj.provision.core.host.SshHost;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.HostProvider;

/**
 * Opens the local machine for local servers and an SSH connection for remote ones: key
 * authentication as {@code ssh_user} (default {@code script_user}) on {@code ssh_port}, with
 * {@code ssh_identity} (default: the first of {@code ~/.ssh/id_ed25519}, {@code id_ecdsa},
 * {@code id_rsa}) and host keys checked against {@code ssh_known_hosts}.
 */
public final class DefaultHostProvider implements HostProvider {
  /** How long connecting may take. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(20);

  @Override
  public Host open(ResolvedContext server) {
    String remoteHost = server.get(ServerKeys.REMOTE_HOST);
    String name = server.name() + " (" + remoteHost + ")";
    if (Hosts.isLocal(remoteHost)) {
      // Directories are flushed once each when the batch's hosts are flushed or closed (a
      // task's, when it ends), not after every file.
      return new LocalHost(name, true);
    }
    int port = server.get(ServerKeys.SSH_PORT);
    String user = server.get(ServerKeys.SSH_USER);
    Path identity = server.find(ServerKeys.SSH_IDENTITY).map(Path::of).orElseGet(DefaultHostProvider::defaultIdentity);
    Path knownHosts = Path.of(server.get(ServerKeys.SSH_KNOWN_HOSTS));
    return new SshHost(name, remoteHost, port, user, identity, knownHosts, CONNECT_TIMEOUT);
  }

  static Path defaultIdentity() {
    Path ssh = Path.of(System.getProperty("user.home"), ".ssh");
    for (String n : new String[] {"id_ed25519", "id_ecdsa", "id_rsa"}) {
      if (Files.isReadable(ssh.resolve(n))) {
        return ssh.resolve(n);
      }
    }
    return ssh.resolve("id_ed25519");
  }
}
