package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Free TCP ports on the loopback interface, for servers started by tests. A port is found by
 * binding port 0 on {@code 127.0.0.1} and letting the kernel choose; the socket is closed before
 * the port is returned, so another process could in principle take it before the server binds it
 * (the kernel hands out ephemeral ports round-robin, which makes that rare).
 */
public final class Ports {
  private Ports() {}

  /** @return a TCP port on {@code 127.0.0.1} that nothing listens on right now */
  public static int free() {
    return free(1).get(0);
  }

  /**
   * @param count how many ports, at least 1
   * @return that many distinct TCP ports on {@code 127.0.0.1} that nothing listens on right now
   *     (all are held open together while they are chosen, so they differ)
   */
  public static List<Integer> free(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1, not " + count);
    }
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket();
        sockets.add(socket);
        // no SO_REUSEADDR: a port in TIME_WAIT from an earlier test is not offered again
        socket.setReuseAddress(false);
        socket.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 1);
        ports.add(socket.getLocalPort());
      }
      return List.copyOf(ports);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free TCP port on 127.0.0.1", e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // nothing was accepted on it
        }
      }
    }
  }
}
