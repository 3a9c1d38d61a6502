package net.aegirj.provision.core;

import java.nio.file.Path;
import java.util.List;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.PropertyChanges;

/**
 * A child process for {@link MultiProcessSaveTest}'s overlapping saves: process {@code i} of
 * eight saves its own property ({@link #property(int)}) {@code count} times, round-robin over its
 * own set of the four servers ({@link #contexts(int)}), each time with a value that names the
 * save. A save that still meets a conflict after Provision's own retries is tried again, so
 * every one of the {@code count} saves lands exactly once. Prints the number of those extra
 * tries when done.
 */
final class OverlapSaveWorker {
  static final List<String> SERVERS = List.of("server_a", "server_b", "server_c", "server_d");

  private OverlapSaveWorker() {}

  /** @return the servers process {@code i} saves: two to four of them, overlapping the others' */
  static List<String> contexts(int i) {
    return switch (i % 3) {
      case 0 -> List.of(SERVERS.get(i % 4), SERVERS.get((i + 1) % 4));
      case 1 -> List.of(SERVERS.get(i % 4), SERVERS.get((i + 1) % 4), SERVERS.get((i + 2) % 4));
      default -> SERVERS;
    };
  }

  /** @return the property process {@code i} saves: each process its own */
  static String property(int i) {
    return List.of("master_url", "admin_email", "ssh_identity", "ssh_known_hosts", "ssh_port", "ssh_user",
        "remote_host", "ip_addresses").get(i);
  }

  /** @return the value of save {@code n} (1-based) of process {@code i} */
  static String value(int i, int n) {
    return switch (i) {
      case 0 -> "http://front.example.com/run" + n;
      case 1 -> "admin" + n + "@example.com";
      case 2 -> "/keys/id" + n;
      case 3 -> "/keys/known" + n;
      case 4 -> Integer.toString(1000 + n);
      case 5 -> "user" + n;
      case 6 -> "h" + n + ".example.com";
      case 7 -> "10.0." + (n / 256) + "." + (n % 256);
      default -> throw new IllegalArgumentException("process " + i);
    };
  }

  public static void main(String[] args) {
    Path home = Path.of(args[0]);
    int i = Integer.parseInt(args[1]);
    int count = Integer.parseInt(args[2]);
    List<String> mine = contexts(i);
    int extraTries = 0;
    try (Provision p = Provision.builder().home(home).build()) {
      for (int n = 1; n <= count; n++) {
        PropertyChanges change = PropertyChanges.builder().set(property(i), value(i, n)).build();
        String context = mine.get((n - 1) % mine.size());
        while (true) {
          try {
            p.save(context, change);
            break;
          } catch (ConflictException e) {
            extraTries++;
          }
        }
      }
    }
    System.out.println(extraTries);
  }
}
