package net.aegirj.provision.spi;

import java.util.List;
import java.util.ServiceLoader;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Task;

/**
 * The application that platforms hold and sites run (Drupal): its steps for platform and site
 * tasks — code base checks, site directories, settings files. Found with
 * {@link ServiceLoader} from {@code META-INF/services/net.aegirj.provision.spi.Application};
 * the engine runs them after the database steps and before the web server's on install and
 * verify, and in the reverse order on delete.
 */
public interface Application {
  /** @return a stable id, e.g. {@code drupal} */
  String id();

  /**
   * @param task the task
   * @param target the platform or site, resolved
   * @return the steps, in order
   */
  List<Step> steps(Task task, ResolvedContext target);
}
