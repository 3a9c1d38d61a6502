package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link LatencyProxy} in front of an echo server on loopback. */
class LatencyProxyTest {
  private ServerSocket echo;
  private Thread echoThread;

  @BeforeEach
  void startEcho() throws IOException {
    echo = new ServerSocket();
    echo.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    echoThread = new Thread(() -> {
      while (true) {
        try {
          Socket s = echo.accept();
          Thread t = new Thread(() -> {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
              in.transferTo(out);
            } catch (IOException e) {
              // the client went away
            }
          });
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    });
    echoThread.setDaemon(true);
    echoThread.start();
  }

  @AfterEach
  void stopEcho() throws IOException {
    echo.close();
  }

  @Test
  void aRoundTripTakesTwiceTheDelayAndBytesPassIntact() throws IOException {
    Duration delay = Duration.ofMillis(40);
    try (LatencyProxy proxy = LatencyProxy.start("127.0.0.2", "127.0.0.1", echo.getLocalPort(), delay);
        Socket s = new Socket(proxy.address(), proxy.port())) {
      assertThat(proxy.address()).as("listens where asked").isEqualTo("127.0.0.2");
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      long t0 = System.nanoTime();
      out.write('x');
      out.flush();
      assertThat(in.read()).as("the byte comes back").isEqualTo('x');
      long rtt = System.nanoTime() - t0;
      assertThat(Duration.ofNanos(rtt)).as("one round trip holds the byte once each way")
          .isGreaterThanOrEqualTo(delay.multipliedBy(2));

      byte[] data = new byte[3 << 20];
      new SecureRandom().nextBytes(data);
      Thread writer = new Thread(() -> {
        try {
          for (int off = 0; off < data.length; off += 7919) {
            out.write(data, off, Math.min(7919, data.length - off));
          }
          s.shutdownOutput();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      writer.start();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      in.transferTo(got);
      assertThat(got.toByteArray()).as("every byte, in order, through both directions").isEqualTo(data);
      assertThat(proxy.acceptedConnections()).as("one connection").isEqualTo(1);
    }
  }

  @Test
  void closingDropsConnectionsAndStopsListening() throws IOException {
    LatencyProxy proxy = LatencyProxy.start("127.0.0.2", "127.0.0.1", echo.getLocalPort(), Duration.ZERO);
    try (Socket s = new Socket(proxy.address(), proxy.port())) {
      s.getOutputStream().write('y');
      assertThat(s.getInputStream().read()).as("forwarded without delay").isEqualTo('y');
      proxy.close();
      assertThat(s.getInputStream().read()).as("the connection ends with the proxy").isEqualTo(-1);
    } catch (IOException e) {
      // a reset is as good as an end of stream
    }
    int accepted = proxy.acceptedConnections();
    try (Socket again = new Socket(proxy.address(), proxy.port())) {
      // Refused is the usual answer. A CI run once found something else answering on the freed
      // port a moment later (the port is free for any process to take): whatever it is, it must
      // not be the proxy forwarding to the echo server.
      again.setSoTimeout(500);
      again.getOutputStream().write('z');
      int echoed;
      try {
        echoed = again.getInputStream().read();
      } catch (SocketTimeoutException silent) {
        echoed = -2;
      }
      assertThat(echoed).as("nothing is forwarded once the proxy is closed").isNotEqualTo('z');
    } catch (IOException refused) {
      // no longer listening
    }
    assertThat(proxy.acceptedConnections()).as("the closed proxy accepts nothing").isEqualTo(accepted);
  }

  @Test
  void refusesWhatIsNotLoopbackOrOutOfRange() {
    assertThatThrownBy(() -> LatencyProxy.start("127.0.0.2", "127.0.0.1", 0, Duration.ZERO)).as("port 0")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LatencyProxy.start("127.0.0.2", "127.0.0.1", 22, Duration.ofMillis(-1)))
        .as("a negative delay").isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LatencyProxy.start("8.8.8.8", "127.0.0.1", 22, Duration.ZERO))
        .as("a public address").isInstanceOf(IllegalArgumentException.class);
  }
}
