package net.aegirj.provision.core.host;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;

/** Aegir's rule for telling the local machine from a remote server. */
public final class Hosts {
  private static final Set<String> LOCAL = Set.of("localhost", "127.0.0.1", "127.0.1.1", "::1");

  private Hosts() {}

  /**
   * A server is local when its {@code remote_host} is {@code localhost}, {@code 127.0.0.1},
   * {@code 127.0.1.1} or {@code ::1}, or equals this machine's host name or its canonical name.
   * Unlike Aegir, other names are not resolved through DNS: a lookup that hangs must not stall a
   * task, and an explicit address says what is meant. Any other loopback address (such as
   * {@code 127.0.0.2}) counts as remote, which lets tests run a "remote" sshd on this machine.
   *
   * @param remoteHost the server's {@code remote_host}
   * @return true when commands for that server run here directly
   */
  public static boolean isLocal(String remoteHost) {
    String h = remoteHost.toLowerCase(Locale.ROOT);
    if (LOCAL.contains(h)) {
      return true;
    }
    try {
      InetAddress self = InetAddress.getLocalHost();
      return h.equals(self.getHostName().toLowerCase(Locale.ROOT))
          || h.equals(self.getCanonicalHostName().toLowerCase(Locale.ROOT));
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
