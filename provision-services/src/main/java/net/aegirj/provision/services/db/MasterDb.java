package net.aegirj.provision.services.db;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;

/**
 * A parsed {@code master_db}: {@code mysql://user:password@host[:port]} with the user and the
 * password percent-encoded.
 *
 * @param user the decoded user
 * @param password the decoded password (a secret: never logged)
 * @param host the host
 * @param port the port, when the URL names one
 */
public record MasterDb(String user, String password, String host, Optional<Integer> port) {
  /** Checks the invariants. */
  public MasterDb {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(port, "port");
  }

  /**
   * @param server the server, for messages
   * @param url the {@code master_db} value
   * @return the parsed URL
   * @throws InvalidContextException when it is not a valid URL
   */
  public static MasterDb parse(Object server, String url) {
    if (!Grammar.DB_URL.accepts(url)) {
      throw new InvalidContextException(String.valueOf(server), "master_db", "the value (not shown: a secret) is not "
          + Grammar.DB_URL.description());
    }
    String rest = url.substring("mysql://".length());
    int at = rest.lastIndexOf('@');
    String creds = rest.substring(0, at);
    String hostPort = rest.substring(at + 1);
    int colon = creds.indexOf(':');
    String user = decode(server, creds.substring(0, colon));
    String password = decode(server, creds.substring(colon + 1));
    Optional<Integer> port = Optional.empty();
    int pc = hostPort.lastIndexOf(':');
    String host = hostPort;
    if (pc > 0 && hostPort.substring(pc + 1).matches("[0-9]{1,5}") && hostPort.indexOf(':') == pc) {
      host = hostPort.substring(0, pc);
      port = Optional.of(Integer.parseInt(hostPort.substring(pc + 1)));
    }
    return new MasterDb(user, password, host, port);
  }

  private static String decode(Object server, String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw new InvalidContextException(String.valueOf(server), "master_db", "has a broken %-escape");
        }
        try {
          out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
        } catch (NumberFormatException e) {
          throw new InvalidContextException(String.valueOf(server), "master_db", "has a broken %-escape");
        }
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "mysql://" + user + ":****@" + host + port.map(p -> ":" + p).orElse("");
  }
}
