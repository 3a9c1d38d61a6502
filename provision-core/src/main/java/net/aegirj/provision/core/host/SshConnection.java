package net.aegirj.provision.core.host;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.HostKey;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchChangedHostKeyException;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.JSchHostKeyException;
import com.jcraft.jsch.JSchUnknownHostKeyException;
import com.jcraft.jsch.Session;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import net.aegirj.provision.api.HostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one SSH session of an {@link SshHost} and its SFTP channel: opened on first use against a
 * fixed {@code known_hosts}, with messages that say how to fix a host key or an authentication
 * failure; once lost, it stays lost until {@link #reconnect()}.
 */
final class SshConnection {
  private static final Logger LOG = LoggerFactory.getLogger(SshHost.class);

  private final String name;
  private final String address;
  private final int port;
  private final String user;
  private final Path identity;
  private final Path knownHosts;
  private final Duration connectTimeout;

  private final Object connLock = new Object();
  private Session session; // guarded by connLock
  private volatile ChannelSftp sftp; // used under the host's SFTP lock
  private boolean lost; // guarded by connLock
  private boolean closed; // guarded by connLock
  private final AtomicInteger connections = new AtomicInteger();

  SshConnection(String name, String address, int port, String user, Path identity, Path knownHosts,
      Duration connectTimeout) {
    this.name = name;
    this.address = address;
    this.port = port;
    this.user = user;
    this.identity = identity;
    this.knownHosts = knownHosts;
    this.connectTimeout = connectTimeout;
  }

  /** @return {@code user@address:port}, for messages */
  String endpoint() {
    return user + "@" + address + ":" + port;
  }

  private String keyscan() {
    return "ssh-keyscan -p " + port + " " + address + " >> " + knownHosts;
  }

  private String hostPattern() {
    return port == 22 ? address : "[" + address + "]:" + port;
  }

  /** @return how long connecting and opening a channel may take, in milliseconds */
  int connectMillis() {
    return (int) connectTimeout.toMillis();
  }

  /** @return the open session, connecting on first use */
  Session session(String op) {
    synchronized (connLock) {
      if (closed) {
        throw new HostException(name, "cannot " + op + ": the connection has been closed");
      }
      if (lost) {
        throw lostException(op, null);
      }
      if (session == null) {
        session = connect(op);
        return session;
      }
      if (!session.isConnected()) {
        markLost();
        throw lostException(op, null);
      }
      return session;
    }
  }

  /** @return the failure of an operation after the connection was lost */
  HostException lostException(String op, Throwable cause) {
    return new HostException(name, "connection lost while trying to " + op + " (SSH to " + endpoint()
        + "); it is not re-established automatically", cause);
  }

  /** Marks the connection lost and drops it: later operations fail until {@link #reconnect()}. */
  void markLost() {
    synchronized (connLock) {
      if (!lost && !closed) {
        LOG.debug("{}: SSH connection to {} lost", name, endpoint());
      }
      lost = true;
      disconnect();
    }
  }

  /**
   * Disconnects the SFTP channel, dropping it, and the session; guarded by connLock.
   *
   * @return whether there was a session
   */
  private boolean disconnect() {
    ChannelSftp c = sftp;
    sftp = null;
    if (c != null) {
      c.disconnect();
    }
    if (session != null) {
      session.disconnect();
      return true;
    }
    return false;
  }

  private Session connect(String op) {
    connections.incrementAndGet();
    if (!Files.isRegularFile(knownHosts)) {
      throw new HostException(name, "cannot " + op + ": known_hosts file " + knownHosts
          + " does not exist; add the server's host key with: " + keyscan());
    }
    if (!Files.isReadable(identity)) {
      throw new HostException(name, "cannot " + op + ": identity file " + identity + " is missing or unreadable");
    }
    JSch jsch = new JSch();
    Session s;
    try {
      jsch.setKnownHosts(knownHosts.toString());
    } catch (JSchException e) {
      throw new HostException(name, "cannot read known_hosts file " + knownHosts + ": " + e.getMessage(), e);
    }
    try {
      jsch.addIdentity(identity.toString());
    } catch (JSchException e) {
      // JSch's message may quote the key: leave it out.
      throw new HostException(name, "cannot use identity file " + identity
          + ": not an unencrypted private key JSch can read (passphrases are not supported)");
    }
    try {
      s = jsch.getSession(user, address, port);
      s.setConfig("StrictHostKeyChecking", "yes");
      s.setConfig("HashKnownHosts", "no");
      s.setConfig("PreferredAuthentications", "publickey");
      s.setServerAliveInterval((int) Math.max(15_000, connectTimeout.toMillis()));
      s.setServerAliveCountMax(4);
      s.setDaemonThread(true);
    } catch (JSchException e) {
      throw new HostException(name, "cannot set up SSH to " + endpoint() + ": " + e.getMessage(), e);
    }
    LOG.debug("{}: connecting to {}", name, endpoint());
    try {
      s.connect(connectMillis());
    } catch (JSchUnknownHostKeyException e) {
      throw new HostException(name, "the host key of " + hostPattern() + fingerprint(jsch, s)
          + " is not in " + knownHosts + "; if it is the server's key, add it with: " + keyscan(), e);
    } catch (JSchChangedHostKeyException e) {
      throw new HostException(name, "the host key of " + hostPattern() + " has CHANGED" + fingerprint(jsch, s)
          + " and does not match " + knownHosts + " (someone may be intercepting the connection); if the"
          + " change is expected, remove the old key with: ssh-keygen -R '" + hostPattern() + "' -f "
          + knownHosts + ", then add the new one with: " + keyscan(), e);
    } catch (JSchHostKeyException e) {
      throw new HostException(name, "the host key of " + hostPattern() + fingerprint(jsch, s)
          + " is rejected by " + knownHosts + ": " + e.getMessage(), e);
    } catch (JSchException e) {
      throw new HostException(name, connectFailure(e), e);
    }
    LOG.debug("{}: connected to {} ({})", name, endpoint(), s.getServerVersion());
    return s;
  }

  private static String fingerprint(JSch jsch, Session s) {
    HostKey k = s.getHostKey();
    if (k == null) {
      return "";
    }
    try {
      return " (" + k.getType() + " " + k.getFingerPrint(jsch) + ")";
    } catch (RuntimeException e) {
      return "";
    }
  }

  private String connectFailure(JSchException e) {
    String m = String.valueOf(e.getMessage());
    if (m.startsWith("Auth fail") || m.startsWith("Auth cancel")) {
      return "authentication as " + user + " at " + address + ":" + port + " failed with the key "
          + identity + " (publickey only): is its public key in " + user + "'s authorized_keys?";
    }
    Throwable c = e.getCause();
    if (c instanceof ConnectException || c instanceof NoRouteToHostException) {
      return "cannot connect to " + address + ":" + port + ": " + c.getMessage();
    }
    if (c instanceof UnknownHostException) {
      return "cannot connect to " + address + ":" + port + ": unknown host";
    }
    if (c instanceof SocketTimeoutException || m.contains("timeout")) {
      return "cannot connect to " + address + ":" + port + ": timed out after " + seconds(connectTimeout);
    }
    return "cannot connect to " + endpoint() + ": " + m;
  }

  /** @return whether a failure means the SSH connection is gone */
  boolean connectionGone(Throwable e) {
    Session s;
    synchronized (connLock) {
      s = session;
    }
    if (s == null) {
      return false;
    }
    if (!s.isConnected()) {
      return true;
    }
    ChannelSftp c = sftp;
    if (c != null && c.isClosed()) {
      return true;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SocketException || t instanceof EOFException) {
        return true;
      }
      String m = t.getMessage();
      if (m != null && (m.contains("session is down") || m.contains("inputstream is closed")
          || m.contains("Pipe closed") || m.contains("channel is not opened")
          || m.contains("channel is broken") || m.contains("is not connected"))) {
        return true;
      }
    }
    return false;
  }

  /** @return the SFTP channel, opening it on first use; call it under the host's SFTP lock */
  ChannelSftp sftp(String op) {
    Session s = session(op);
    ChannelSftp c = sftp;
    if (c != null && c.isConnected() && !c.isClosed()) {
      return c;
    }
    if (c != null) {
      markLost();
      throw lostException(op, null);
    }
    try {
      c = (ChannelSftp) s.openChannel("sftp");
      c.connect(connectMillis());
    } catch (JSchException e) {
      if (connectionGone(e)) {
        markLost();
        throw lostException(op, e);
      }
      throw new HostException(name, "cannot " + op + ": cannot open an SFTP channel: " + e.getMessage(), e);
    }
    sftp = c;
    LOG.debug("{}: SFTP channel open (posix-rename: {})", name, c.getExtension("posix-rename@openssh.com"));
    return c;
  }

  /** @return whether the connection was lost and will be opened again on the next operation */
  boolean reconnect() {
    synchronized (connLock) {
      if (closed || !lost) {
        return false;
      }
      lost = false;
      sftp = null;
      session = null;
      LOG.debug("{}: will reconnect to {}", name, endpoint());
      return true;
    }
  }

  /** Closes the connection for good. */
  void close() {
    synchronized (connLock) {
      if (closed) {
        return;
      }
      closed = true;
      if (disconnect()) {
        LOG.debug("{}: disconnected from {}", name, endpoint());
      }
    }
  }

  /** @return SSH connections opened so far */
  int connections() {
    return connections.get();
  }

  /** @return the duration in seconds, for messages: {@code 5 s}, {@code 0.250 s} */
  static String seconds(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(Locale.ROOT, "%.3f s", ms / 1000.0);
  }
}
