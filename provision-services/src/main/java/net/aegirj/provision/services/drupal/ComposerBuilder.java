package net.aegirj.provision.services.drupal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ServiceLoader;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.PlatformBuilder;
import net.aegirj.provision.spi.StepContext;

/**
 * Builds a platform from a Composer project: the platform's {@code makefile} is the absolute path
 * of a {@code composer.json}; it (and its {@code composer.lock}, when there is one) is copied into
 * the new root and {@code composer install --no-interaction --no-progress --no-dev} runs there
 * (Aegir's default composer command). Composer must be on the host's {@code PATH}; when it is not,
 * the build fails saying so, and nothing is left behind.
 */
public class ComposerBuilder implements PlatformBuilder {
  /** The command that installs a Composer project, as Aegir runs it. */
  static final String INSTALL = "composer install --no-interaction --no-progress --no-dev";

  /** Creates it (for {@link ServiceLoader}). */
  public ComposerBuilder() {}

  @Override
  public String id() {
    return "composer";
  }

  @Override
  public boolean accepts(String makefile) {
    return makefile.startsWith("/") && makefile.endsWith("/composer.json");
  }

  @Override
  public void build(StepContext ctx, ResolvedContext platform, Path root) {
    Host h = ctx.host(ContextName.MASTER);
    Path json = Path.of(platform.get(PlatformKeys.MAKEFILE));
    byte[] composerJson = h.read(json).orElseThrow(() -> new ProvisionException(platform.name()
        + ": makefile " + json + " does not exist"));
    CommandResult which = h.run(Command.of("sh", "-c", "command -v composer"));
    if (!which.succeeded() && !ctx.planOnly()) {
      throw new ProvisionException(platform.name() + ": building " + root + " from " + json
          + " needs Composer, which is not on the PATH of " + h.name()
          + "; install it (Debian package composer) or build the root yourself");
    }
    h.mkdirs(root, FileMode.of(0755));
    h.write(root.resolve("composer.json"), composerJson, FileMode.of(0644));
    h.read(json.resolveSibling("composer.lock"))
        .ifPresent(lock -> h.write(root.resolve("composer.lock"), lock, FileMode.of(0644)));
    ctx.onRollback("remove " + root, () -> h.remove(root));
    // The root is passed as $1, never spliced into the shell string.
    h.run(Command.of("sh", "-c", "cd \"$1\" && " + INSTALL, "sh", root.toString()).withTimeout(Duration.ofMinutes(30))
        .withDisplay(INSTALL + " (in " + root + ")")
        .withStdin(new byte[0])).orThrow();
  }
}
