package net.aegirj.provision.core.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ProvisionException;

/**
 * Reloads owed across processes. A task records a debt for a service on a server before its first
 * step for that service changes anything: a file {@code <home>/locks/reload-owed/<key>~<random>}
 * that the task holds a file lock on while it runs (a {@link LockedRecords} record). The task pays
 * the debt (removes the file) when it ends with that service reloaded or with its changes rolled
 * back. A task killed in between (after a new vhost was written, before the reload) leaves its debt
 * unlocked: the next task with a step for that service on that server finds it and reloads the
 * service even when it changes nothing itself, so a configuration that was written but never
 * loaded does get loaded.
 */
final class ReloadDebts {
  /** A {@code .new-} file older than this was left by a process killed before it renamed it. */
  static final Duration ABANDONED = LockedRecords.ABANDONED;

  private final LockedRecords records;

  /** @param dir the directory holding the debts, created when the first one is recorded */
  ReloadDebts(Path dir) {
    this.records = new LockedRecords(dir, "a pending reload");
  }

  /** One debt file, locked by this process. */
  static final class Debt implements AutoCloseable {
    private final LockedRecords.Held held;

    private Debt(LockedRecords.Held held) {
      this.held = held;
    }

    /** Removes the file: the reload is no longer owed. */
    void pay() {
      held.remove("the next task reloads once more than needed");
    }

    /** Releases the lock and keeps the file: a later task pays the debt. */
    @Override
    public void close() {
      held.close();
    }
  }

  private static String key(ContextName server, String service) {
    return LockedRecords.key(server.value() + "|" + service);
  }

  /**
   * Records that a reload of {@code service} on {@code server} may be owed from now on.
   *
   * @param server the server
   * @param service the service, e.g. {@code http}
   * @return the debt, locked by this process until it is paid or closed
   */
  Debt owe(ContextName server, String service) {
    try {
      // No fsync: a debt must outlive a killed process, which the page cache does; after a crash
      // of the machine the web server starts from its files anyway.
      return new Debt(records.create(key(server, service), ch -> LockedRecords.write(ch,
          (server + " " + service + "\n").getBytes(StandardCharsets.UTF_8)), false));
    } catch (IOException e) {
      throw new ProvisionException("cannot record a pending reload of " + service + " on " + server + " in "
          + records.directory() + ": " + e.getMessage(), e);
    }
  }

  /**
   * @param server the server
   * @param service the service
   * @return the debts for them that no running task holds: left by killed tasks; now locked by
   *     this process
   */
  List<Debt> orphans(ContextName server, String service) {
    // One pass over the directory: this runs for every task with a step for the service.
    try {
      List<Debt> out = new ArrayList<>();
      records.takeOver(key(server, service)).forEach(h -> out.add(new Debt(h)));
      return out;
    } catch (IOException e) {
      throw new ProvisionException("cannot read the pending reloads in " + records.directory() + ": "
          + e.getMessage(), e);
    }
  }
}
