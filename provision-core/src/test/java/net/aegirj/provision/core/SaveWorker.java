package net.aegirj.provision.core;

import java.nio.file.Path;
import net.aegirj.provision.api.PropertyChanges;

/**
 * A child process for the multi-process tests: saves one property of {@code @server_master}
 * {@code count} times (forever when count is 0), each time with a new value.
 */
final class SaveWorker {
  private SaveWorker() {}

  public static void main(String[] args) {
    Path home = Path.of(args[0]);
    String property = args[1];
    int count = Integer.parseInt(args[2]);
    try (Provision p = Provision.builder().home(home).build()) {
      for (int i = 1; count == 0 || i <= count; i++) {
        String value = switch (property) {
          case "master_url" -> "http://front.example.com/run" + i;
          case "admin_email" -> "admin" + i + "@example.com";
          default -> throw new IllegalArgumentException(property);
        };
        p.save("server_master", PropertyChanges.builder().set(property, value).build());
        if (count == 0 && i % 50 == 0) {
          System.out.println(i);
          System.out.flush();
        }
      }
    }
  }
}
