package net.aegirj.provision.spi;

import java.nio.file.Path;
import java.util.ServiceLoader;
import net.aegirj.provision.api.ResolvedContext;

/**
 * Builds a platform's missing {@code root} from its {@code makefile} (Aegir's drush make). Found
 * with {@link ServiceLoader} from
 * {@code META-INF/services/net.aegirj.provision.spi.PlatformBuilder}; the first builder that
 * accepts the makefile builds the root.
 */
public interface PlatformBuilder {
  /** @return a stable id, e.g. {@code composer} */
  String id();

  /**
   * @param makefile the platform's {@code makefile} value
   * @return true when this builder knows how to build from it
   */
  boolean accepts(String makefile);

  /**
   * Builds the code base at {@code root}, which does not exist yet. Changes go through the
   * context's hosts, so a failed build is rolled back.
   *
   * @param context the step's context
   * @param platform the platform, resolved
   * @param root where the code base goes
   * @throws Exception when the build fails; the message says what to fix
   */
  void build(StepContext context, ResolvedContext platform, Path root) throws Exception;
}
