package net.aegirj.provision.core.internal;

import net.aegirj.provision.spi.ContextRepository;

/**
 * A repository that can tell, from one listing of its storage, which context names and host names
 * it does not hold. A batch that asks about many names the repository does not hold (an import into
 * a new home asks about every name it brings, several times) then costs one listing instead of a
 * failed lookup per name and question.
 *
 * <p>The view is a snapshot for checks that are made again when the batch is written: a name stored
 * after the listing is not seen by it. Under the repository's write lock (no other writer can store
 * a name meanwhile) its answers are the repository's own.
 */
public interface ListableRepository {
  /**
   * Lists the repository once.
   *
   * @return a view that answers {@link ContextRepository#load} and {@link ContextRepository#hostOwners}
   *     without reading the storage for the names the listing did not hold, and by asking the
   *     repository for the others; it does not write
   */
  ContextRepository listedView();
}
