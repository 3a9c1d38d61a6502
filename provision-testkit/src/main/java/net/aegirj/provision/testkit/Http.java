package net.aegirj.provision.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A minimal HTTP/1.0 client for tests of virtual hosts on {@code 127.0.0.1}: it writes the request
 * by hand on a plain socket, so any {@code Host} header can be sent (unlike
 * {@link java.net.http.HttpClient}, which restricts it), and reads the response until the server
 * closes the connection (HTTP/1.0 responses are never chunked).
 *
 * <pre>{@code
 * Http.Response r = Http.getUntil(nginx.port(), "a.test", "/", x -> x.status() == 200, Duration.ofSeconds(30));
 * }</pre>
 */
public final class Http {
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  private static final int READ_TIMEOUT_MS = 30_000;
  private static final Duration RETRY = Duration.ofMillis(100);

  private Http() {}

  /**
   * An HTTP response.
   *
   * @param status the status code
   * @param headers the header fields, by case-insensitive name, in the order received
   * @param body the body, decoded as UTF-8
   */
  public record Response(int status, Map<String, List<String>> headers, String body) {
    /**
     * Copies the headers into an unmodifiable case-insensitive map.
     *
     * @param status the status code
     * @param headers the header fields
     * @param body the body
     */
    public Response {
      TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      headers.forEach((k, v) -> copy.put(k, List.copyOf(v)));
      headers = Collections.unmodifiableMap(copy);
      Objects.requireNonNull(body, "body");
    }

    /**
     * @param name a header name, in any case
     * @return its first value, if present
     */
    public Optional<String> header(String name) {
      List<String> values = headers.get(name);
      return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    @Override
    public String toString() {
      return "HTTP " + status + " " + headers + "\n" + body;
    }
  }

  /**
   * Sends {@code GET <path> HTTP/1.0} with {@code Host: <host>} to {@code 127.0.0.1:<port>}.
   *
   * @param port the TCP port
   * @param host the {@code Host} header's value
   * @param path the request target, starting with {@code /}
   * @return the response
   * @throws UncheckedIOException when the connection fails or the response is not HTTP
   */
  public static Response get(int port, String host, String path) {
    if (!path.startsWith("/") || host.chars().anyMatch(c -> c < 0x21 || c == 0x7f)
        || path.chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
      throw new IllegalArgumentException("bad host or path: " + host + " " + path);
    }
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port),
          CONNECT_TIMEOUT_MS);
      socket.setSoTimeout(READ_TIMEOUT_MS);
      String request = "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: provision-testkit\r\n"
          + "Connection: close\r\n\r\n";
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      try (InputStream in = socket.getInputStream()) {
        in.transferTo(buffer);
      }
      return parse(buffer.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("GET http://" + host + path + " on 127.0.0.1:" + port + " failed: "
          + e.getMessage(), e);
    }
  }

  /**
   * Repeats {@link #get} until a response satisfies {@code done}, for servers that apply a new
   * configuration asynchronously (after a reload): connection failures and other responses are
   * retried every 100 ms until the timeout.
   *
   * @param port the TCP port
   * @param host the {@code Host} header's value
   * @param path the request target
   * @param done what the awaited response looks like
   * @param timeout how long to try
   * @return the first response that satisfies {@code done}
   * @throws IllegalStateException on timeout, with the last response or error
   */
  public static Response getUntil(int port, String host, String path, Predicate<Response> done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "nothing";
    while (true) {
      try {
        Response r = get(port, host, path);
        if (done.test(r)) {
          return r;
        }
        last = r.toString();
      } catch (UncheckedIOException e) {
        last = e.getMessage();
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("GET http://" + host + path + " on 127.0.0.1:" + port
            + " did not give the expected response within " + timeout.toMillis() + " ms; last: " + last);
      }
      try {
        Thread.sleep(RETRY.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  private static Response parse(byte[] bytes) throws IOException {
    int end = indexOf(bytes, new byte[] {'\r', '\n', '\r', '\n'});
    int bodyStart = end + 4;
    if (end < 0) {
      end = indexOf(bytes, new byte[] {'\n', '\n'});
      bodyStart = end + 2;
    }
    if (end < 0) {
      throw new IOException("no complete HTTP response header in " + bytes.length + " bytes: "
          + new String(bytes, StandardCharsets.ISO_8859_1));
    }
    String head = new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
    String[] lines = head.split("\r?\n");
    String[] statusLine = lines[0].split(" ", 3);
    if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
      throw new IOException("not an HTTP status line: " + lines[0]);
    }
    int status;
    try {
      status = Integer.parseInt(statusLine[1]);
    } catch (NumberFormatException e) {
      throw new IOException("not an HTTP status line: " + lines[0], e);
    }
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.computeIfAbsent(lines[i].substring(0, colon).trim(), k -> new ArrayList<>())
            .add(lines[i].substring(colon + 1).trim());
      }
    }
    String body = new String(bytes, bodyStart, bytes.length - bodyStart, StandardCharsets.UTF_8);
    return new Response(status, headers, body);
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
