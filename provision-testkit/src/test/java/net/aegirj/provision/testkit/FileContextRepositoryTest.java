package net.aegirj.provision.testkit;

import java.nio.file.Path;
import net.aegirj.provision.core.FileContextRepository;
import net.aegirj.provision.spi.ContextRepository;
import org.junit.jupiter.api.io.TempDir;

/** Runs the repository contract against {@link FileContextRepository}, which persists. */
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
}
