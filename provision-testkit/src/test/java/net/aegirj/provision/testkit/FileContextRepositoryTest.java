package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.core.FileContextRepository;
import net.aegirj.provision.spi.ContextRepository;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the repository contract against {@link FileContextRepository}, which persists; its index
 * of host names ({@code contexts/.hosts}) can be lost and hold stale claims.
 */
class FileContextRepositoryTest extends ContextRepositoryContract {
  @TempDir
  Path home;

  @Override
  protected ContextRepository newRepository() {
    return new FileContextRepository(home);
  }

  @Override
  protected boolean supportsPersistence() {
    return true;
  }

  @Override
  protected ContextRepository reopen() {
    return new FileContextRepository(home);
  }

  @Override
  protected boolean removeHostIndex() {
    try (Stream<Path> s = Files.walk(home.resolve("contexts/.hosts"))) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return true;
  }

  @Override
  protected boolean leaveStaleClaim(String host, ContextName site) {
    try {
      Files.createSymbolicLink(home.resolve("contexts/.hosts").resolve(host), Path.of(site.value()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return true;
  }
}
