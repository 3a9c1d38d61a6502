package net.aegirj.provision.spi;

import java.nio.file.Path;
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

  /**
   * The paths on the target's web server whose state this application's steps for {@code task}
   * check (a file, or a directory with its tree), gathered for a whole batch in one go before it
   * runs ({@link Host#prefetch}). The default declares none.
   *
   * @param task the task
   * @param target the platform or site, resolved
   * @return absolute paths
   */
  default List<Path> checkedPaths(Task task, ResolvedContext target) {
    return List.of();
  }
}
