package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on a loopback port that forwards every connection to a target and holds each chunk
 * it reads for a set delay before passing it on, in each direction: a network with that one-way
 * latency, for measuring how many round trips a protocol costs (the kernel's {@code netem} is not
 * available in the test environment). Bytes keep their order in each direction; a half-close is
 * passed on after the bytes before it. Bandwidth is not limited.
 *
 * <pre>{@code
 * try (LatencyProxy proxy = LatencyProxy.start("127.0.0.2", sshd.address(), sshd.port(), Duration.ofMillis(5))) {
 *   SshHost host = sshd.newHost("@server_far", proxy);   // 10 ms round trips
 * }
 * }</pre>
 *
 * <p>Each connection uses four daemon threads (a reader and a delayed writer per direction).
 */
public final class LatencyProxy implements AutoCloseable {
  private static final int CHUNK = 64 * 1024;
  private static final AtomicInteger IDS = new AtomicInteger();

  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final long delayNanos;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private final int id = IDS.incrementAndGet();
  private volatile boolean closed;

  private LatencyProxy(ServerSocket listener, InetSocketAddress target, Duration delay) {
    this.listener = listener;
    this.target = target;
    this.delayNanos = delay.toNanos();
  }

  /**
   * Starts a proxy listening on a free port of a loopback address.
   *
   * @param listenAddress the loopback address to listen on, such as {@code 127.0.0.2} (an
   *     address other than {@code 127.0.0.1} keeps Provision from taking the server for the local
   *     machine)
   * @param targetAddress where to forward to
   * @param targetPort the target's port
   * @param delay how long each chunk is held, in each direction (zero forwards at once)
   * @return the running proxy; close it to stop it and drop its connections
   */
  public static LatencyProxy start(String listenAddress, String targetAddress, int targetPort, Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative() || delay.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException("delay out of range (0 to 1 minute): " + delay);
    }
    if (targetPort < 1 || targetPort > 65535) {
      throw new IllegalArgumentException("port out of range: " + targetPort);
    }
    try {
      InetAddress listen = InetAddress.getByName(Objects.requireNonNull(listenAddress, "listenAddress"));
      if (!listen.isLoopbackAddress()) {
        throw new IllegalArgumentException("not a loopback address: " + listenAddress);
      }
      ServerSocket s = new ServerSocket();
      s.bind(new InetSocketAddress(listen, 0), 50);
      LatencyProxy proxy = new LatencyProxy(s, new InetSocketAddress(
          InetAddress.getByName(Objects.requireNonNull(targetAddress, "targetAddress")), targetPort), delay);
      proxy.thread("accept", proxy::acceptLoop).start();
      return proxy;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a latency proxy on " + listenAddress, e);
    }
  }

  /** @return the address the proxy listens on */
  public String address() {
    return listener.getInetAddress().getHostAddress();
  }

  /** @return the port the proxy listens on */
  public int port() {
    return listener.getLocalPort();
  }

  /** @return how long each chunk is held in each direction */
  public Duration delay() {
    return Duration.ofNanos(delayNanos);
  }

  /** @return how many connections the proxy accepted so far */
  public int acceptedConnections() {
    return accepted.get();
  }

  private Thread thread(String what, Runnable body) {
    Thread t = new Thread(body, "latency-proxy-" + id + "-" + what);
    t.setDaemon(true);
    return t;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      Socket server = new Socket();
      try {
        server.connect(target, 10_000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(server);
        continue;
      }
      for (Socket s : new Socket[] {client, server}) {
        sockets.add(s);
        try {
          s.setTcpNoDelay(true);
        } catch (SocketException e) {
          // keep going: only latency suffers
        }
      }
      if (closed) {
        closeQuietly(client);
        closeQuietly(server);
        return;
      }
      Pair pair = new Pair(client, server);
      pair.pump("up", client, server);
      pair.pump("down", server, client);
    }
  }

  /** A chunk and when it may leave; an empty chunk stands for the end of the stream. */
  private record Chunk(byte[] bytes, long due) {}

  /** One proxied connection: both sockets close once both directions ended or one failed. */
  private final class Pair {
    private final Socket client;
    private final Socket server;
    private final AtomicInteger open = new AtomicInteger(2);

    Pair(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    void pump(String direction, Socket from, Socket to) {
      BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
      thread(direction + "-read", () -> read(from, queue)).start();
      thread(direction + "-write", () -> write(queue, to)).start();
    }

    private void read(Socket from, BlockingQueue<Chunk> queue) {
      byte[] buf = new byte[CHUNK];
      try {
        // not closed here: closing a socket's stream closes the socket, and the other direction
        InputStream in = from.getInputStream();
        int n;
        while ((n = in.read(buf)) > 0) {
          queue.add(new Chunk(Arrays.copyOf(buf, n), System.nanoTime() + delayNanos));
        }
      } catch (IOException e) {
        // the socket was closed or reset: end this direction
      }
      queue.add(new Chunk(new byte[0], System.nanoTime() + delayNanos));
    }

    private void write(BlockingQueue<Chunk> queue, Socket to) {
      try {
        OutputStream out = to.getOutputStream();
        while (true) {
          Chunk c = queue.take();
          long wait = c.due() - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          if (c.bytes().length == 0) {
            to.shutdownOutput();
            break;
          }
          out.write(c.bytes());
          out.flush();
        }
      } catch (IOException e) {
        end();
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        end();
        return;
      }
      if (open.decrementAndGet() == 0) {
        end();
      }
    }

    private void end() {
      closeQuietly(client);
      closeQuietly(server);
      sockets.remove(client);
      sockets.remove(server);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** Stops listening and drops every proxied connection. */
  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    sockets.clear();
  }

  @Override
  public String toString() {
    return "latency proxy " + address() + ":" + port() + " -> " + target.getHostString() + ":" + target.getPort()
        + " (" + delay().toMillis() + " ms each way)";
  }
}
