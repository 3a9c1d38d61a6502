package net.aegirj.provision.spi;

import java.util.List;
import java.util.Objects;
import net.aegirj.provision.api.ContextName;

/**
 * Something a step is about to create outside the home (a database, a database user, a directory
 * or a file on a server), recorded durably with {@link StepContext#intent(Intent)} before the step
 * acts. When the task ends (succeeded, or rolled back completely) the record is cleared; when its
 * process is killed first, the next task on the same context hands the record to the service type
 * that made it ({@link ServiceType#settle(LeftIntent, StepContext)}), which keeps what the saved
 * context owns and removes the rest.
 *
 * <p>An intent is written to a file under the home: it never holds a secret (no password).
 *
 * @param service the service whose type on {@code server} settles it, e.g. {@code db}
 * @param server the server it is created on
 * @param kind what it is, e.g. {@code database} or {@code db user}
 * @param name its name, e.g. {@code examplecom}
 * @param details more that the settling type needs (e.g. the hosts of a user's accounts); never a
 *     secret
 */
public record Intent(String service, ContextName server, String kind, String name, List<String> details) {
  /** Checks the fields and copies the details. */
  public Intent {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    details = List.copyOf(details);
  }

  /**
   * @param service the service, e.g. {@code db}
   * @param server the server
   * @param kind what it is
   * @param name its name
   * @return an intent without details
   */
  public static Intent of(String service, ContextName server, String kind, String name) {
    return new Intent(service, server, kind, name, List.of());
  }

  @Override
  public String toString() {
    return kind + " " + name + (details.isEmpty() ? "" : " " + details) + " on " + server;
  }
}
