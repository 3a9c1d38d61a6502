package net.aegirj.provision.core;

import java.nio.file.Path;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;

/**
 * A child process for {@link HostIndexProcessTest}: saves {@code count} sites {@code <id>-<i>.example.org},
 * each with the alias {@code shared-<i>.example.org}, one save at a time ({@code single}) or as one
 * {@link SaveBatch} ({@code batch}); prints how many were saved. Creates the platform when missing.
 */
final class HostNameWorker {
  private HostNameWorker() {}

  static PropertyChanges site(int i) {
    return PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_x")
        .set("aliases", "shared-" + i + ".example.org").build();
  }

  public static void main(String[] args) {
    Path home = Path.of(args[0]);
    String id = args[1];
    int count = Integer.parseInt(args[2]);
    boolean batch = args[3].equals("batch");
    int saved = 0;
    try (Provision p = Provision.builder().home(home).build()) {
      if (batch) {
        SaveBatch b = p.saveBatch();
        for (int i = 0; i < count; i++) {
          try {
            b.save(id + "-" + i + ".example.org", site(i));
          } catch (InvalidContextException e) {
            // taken before the batch began
          }
        }
        System.out.println("ready");
        System.out.flush();
        try {
          saved = b.commit().size();
        } catch (InvalidContextException e) {
          saved = 0;
        }
      } else {
        for (int i = 0; i < count; i++) {
          try {
            p.save(id + "-" + i + ".example.org", site(i));
            saved++;
          } catch (InvalidContextException e) {
            if (!e.getMessage().contains("a host name belongs to one site")) {
              throw e;
            }
          }
        }
      }
    }
    System.out.println(saved);
  }
}
