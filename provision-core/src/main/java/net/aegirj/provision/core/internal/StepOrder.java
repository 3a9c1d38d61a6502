package net.aegirj.provision.core.internal;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.spi.Service;

/**
 * The order of every task's steps, declared in one table: for each context type and task, the
 * parts that contribute steps, in the order they run. A part is a service ({@code db},
 * {@code http}, {@code dns}: the steps of the type that the site's server for that service
 * selects), {@link #APPLICATIONS} (Drupal support) or {@link #SET_ENABLED} (the core step that
 * records {@code site_enabled}). A plugin's service joins each task that runs the service it
 * follows, right after it (after the plugins already there). A server's verify runs the core's
 * steps, then those of every service in the registry's order.
 */
final class StepOrder {
  /** The applications' steps (Drupal: site directories, settings, archives). */
  static final String APPLICATIONS = "applications";
  /** The core step of enable and disable that records {@code site_enabled}. */
  static final String SET_ENABLED = "set_enabled";

  private static final Map<ContextType, Map<Task, List<String>>> ORDER = new EnumMap<>(ContextType.class);

  static {
    Map<Task, List<String>> platform = new LinkedHashMap<>();
    platform.put(Task.VERIFY, List.of(APPLICATIONS, "http"));
    platform.put(Task.DELETE, List.of("http", APPLICATIONS));
    Map<Task, List<String>> site = new LinkedHashMap<>();
    site.put(Task.VERIFY, List.of("db", APPLICATIONS, "http", "dns"));
    site.put(Task.INSTALL, List.of("db", APPLICATIONS, "http", "dns"));
    // The database first: the step most likely to fail (a server down, wrong credentials) runs
    // before anything that cannot be undone on disk.
    site.put(Task.DELETE, List.of("db", "http", APPLICATIONS, "dns"));
    // Inside the task (and its lock), undone with the rest if a later step fails.
    site.put(Task.ENABLE, List.of(SET_ENABLED, APPLICATIONS, "http"));
    site.put(Task.DISABLE, List.of(SET_ENABLED, APPLICATIONS, "http"));
    site.put(Task.BACKUP, List.of("db", APPLICATIONS));
    site.put(Task.BACKUP_DELETE, List.of(APPLICATIONS));
    site.put(Task.LOGIN_RESET, List.of(APPLICATIONS));
    site.put(Task.RESTORE, List.of(APPLICATIONS, "http", "dns"));
    site.put(Task.DEPLOY, List.of(APPLICATIONS, "http", "dns"));
    site.put(Task.IMPORT_SITE, List.of(APPLICATIONS));
    site.put(Task.CRON, List.of(APPLICATIONS));
    // The read-only checks a migrate or clone runs before it changes anything.
    site.put(Task.MIGRATE, List.of(APPLICATIONS));
    ORDER.put(ContextType.SERVER, Map.of(Task.VERIFY, List.of()));
    ORDER.put(ContextType.PLATFORM, platform);
    ORDER.put(ContextType.SITE, site);
  }

  private StepOrder() {}

  /**
   * @param type a context type
   * @return the tasks it runs, in display order
   */
  static List<Task> tasks(ContextType type) {
    return List.copyOf(ORDER.get(type).keySet());
  }

  /**
   * @param type a context type (not a server: a server's verify runs every service)
   * @param task one of its {@link #tasks tasks}
   * @param services every service of the registry, the built-in ones first
   * @return the parts, in order, with the plugins' services after the ones they follow (a plugin
   *     service placed on the db server is left out of a platform's tasks)
   */
  static List<String> parts(ContextType type, Task task, List<Service> services) {
    List<String> out = new ArrayList<>(ORDER.get(type).get(task));
    boolean added = true;
    List<Service> pending = new ArrayList<>();
    for (Service s : services) {
      if (!s.after().isEmpty() && !(type == ContextType.PLATFORM && s.placement() == Service.Placement.DB_SERVER)) {
        pending.add(s);
      }
    }
    // A plugin may follow another plugin: insert until nothing more finds its place.
    while (added) {
      added = false;
      for (Service s : List.copyOf(pending)) {
        int at = out.indexOf(s.after());
        if (at >= 0) {
          int end = at + 1;
          while (end < out.size() && followers(services, s.after()).contains(out.get(end))) {
            end++;
          }
          out.add(end, s.name());
          pending.remove(s);
          added = true;
        }
      }
    }
    return out;
  }

  private static List<String> followers(List<Service> services, String after) {
    List<String> out = new ArrayList<>();
    for (Service s : services) {
      if (s.after().equals(after)) {
        out.add(s.name());
      }
    }
    return out;
  }
}
