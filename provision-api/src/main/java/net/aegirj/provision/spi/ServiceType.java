package net.aegirj.provision.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Task;

/**
 * An implementation of a {@link Service} ({@code http}, {@code db}, {@code dns}, or one a plugin
 * adds) that a server selects with {@code <service>_service_type=<id>}. Providers are found with
 * {@link ServiceLoader} from {@code META-INF/services/net.aegirj.provision.spi.ServiceType};
 * a jar on the class path adds a type with no change to Provision. Ids are unique per service.
 */
public interface ServiceType {
  /** @return the service, e.g. {@code http} */
  String service();

  /** @return the stable id, e.g. {@code nginx}; {@code null} for the no-op type */
  String id();

  /**
   * The server properties this type declares; they become valid on a server that selects it, and
   * are validated by their declarations.
   *
   * @return the declarations (context type {@link ContextType#SERVER})
   */
  default List<PropertySpec> serverProperties() {
    return List.of();
  }

  /**
   * The site properties this type declares (a plugin's {@code php_version}, say): they are valid
   * on every site, stored with its other properties, listed by {@code show}, validated by their
   * declarations and read by this type's steps and {@link #templateLines template lines}.
   *
   * @return the declarations (context type {@link ContextType#SITE})
   */
  default List<PropertySpec> siteProperties() {
    return List.of();
  }

  /**
   * Lines this type adds at a named extension point of a file another service generates for a
   * site on this type's server. The http types offer {@code vhost.server} (inside each of the
   * site's {@code server}/{@code VirtualHost} blocks that serve it, before its locations); the
   * Drupal support offers {@code settings.extra} (in {@code settings.php}, after Provision's
   * settings, asked of the types on the site's web server);
   * values that reach a line must be checked against the target's grammar first.
   *
   * @param point the extension point's name
   * @param site the site, resolved (its properties include every declared site property)
   * @param server the server the file is for, resolved
   * @return the lines, without line ends; empty when the type adds nothing there
   */
  default List<String> templateLines(String point, ResolvedContext site, ResolvedContext server) {
    return List.of();
  }

  /**
   * The steps this type contributes to a task.
   *
   * @param task the task
   * @param target the context the task runs on
   * @param server the server this type runs on, resolved (its properties include this type's)
   * @return the steps, in order
   */
  default List<Step> steps(Task task, ResolvedContext target, ResolvedContext server) {
    return List.of();
  }

  /**
   * The paths on {@code server} whose state this type's steps for {@code task} on {@code target}
   * check (a file, or a directory with its tree): before a batch runs, the engine gathers them
   * for all its tasks in one go ({@link Host#prefetch}), so that a remote server is not asked
   * about each one by one. The default declares none.
   *
   * @param task the task
   * @param target the site or platform, resolved
   * @param server the server this type is selected on, resolved
   * @return absolute paths
   */
  default List<Path> checkedPaths(Task task, ResolvedContext target, ResolvedContext server) {
    return List.of();
  }

  /**
   * The command that checks this service's configuration before a reload (e.g. {@code nginx -t}).
   * When it fails, the task fails and its changes are rolled back, so a broken configuration
   * never reaches a reload.
   *
   * @param server the server, resolved
   * @return the command, or empty when there is nothing to check
   */
  default Optional<Command> configTestCommand(ResolvedContext server) {
    return Optional.empty();
  }

  /**
   * The command that reloads this service after its configuration changed.
   *
   * @param server the server, resolved
   * @return the command, or empty when there is nothing to reload
   */
  default Optional<Command> reloadCommand(ResolvedContext server) {
    return Optional.empty();
  }

  /**
   * Runs just before every {@link #reloadCommand reload command} of this service (after a task's
   * steps, after a rollback, in a group): a type whose {@link #checkReload check} must tell the
   * new configuration from the old even when only an included file changed writes a fresh token
   * here for the check to look for. It must be cheap and change nothing a verify compares. The
   * default does nothing.
   *
   * @param server the server, resolved
   * @param host the server's host
   */
  default void beforeReload(ResolvedContext server, Host host) {
  }

  /**
   * Asks the service, after its {@link #reloadCommand reload command} returned, whether it now
   * serves the configuration on disk: a reload can be accepted by the command and still be
   * rejected by the service (nginx keeps its old configuration when it cannot bind a new port).
   * Reloads are often applied asynchronously, so a check waits, within its own bound, for the
   * service to catch up. The task engine calls it after every reload; when it reports a problem,
   * the task fails, its files are restored, and the service is reloaded and checked again, so
   * that it serves the configuration that worked.
   *
   * <p>Run what needs the service's machine through {@code host}: a remote server is asked from
   * its own machine. The default checks nothing.
   *
   * @param server the server, resolved
   * @param host the server's host
   * @return empty when the service serves the configuration on disk; else what it does not serve
   *     (naming the server, the ports or addresses concerned and the likely cause)
   */
  default Optional<String> checkReload(ResolvedContext server, Host host) {
    return Optional.empty();
  }

  /**
   * Settles what a killed task meant to create with this type ({@link StepContext#intent(Intent)}):
   * keeps what the saved context owns ({@link LeftIntent#saved()}) or another owner claims
   * ({@link LeftIntent#claimedByAnother(String)}), removes the rest if it exists. Runs at the
   * start of the next task on that context (before its steps), or in a verify of the intent's
   * server when the context no longer exists, with {@code ctx} being that task's context; it
   * must be idempotent (an earlier settling may have been killed too). Warnings go to
   * {@link StepContext#warn(String)}.
   *
   * @param left what was left
   * @param ctx the settling task's context (its hosts and resources)
   * @return true when settled (the record is removed), false to keep it for a later task; the
   *     default keeps it, so a type that records intents must settle them
   * @throws RuntimeException when settling failed; the record is kept and the task goes on
   */
  default boolean settle(LeftIntent left, StepContext ctx) {
    return false;
  }
}
