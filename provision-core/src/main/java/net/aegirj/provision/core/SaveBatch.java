package net.aegirj.provision.core;

import java.util.List;
import java.util.Optional;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.core.internal.BufferedRepository;
import net.aegirj.provision.core.internal.ContextService;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.Versioned;

/**
 * Many saves written as one batch ({@link Provision#saveBatch()}), as an import makes them: each
 * {@link #save} is merged and validated at once, exactly as {@link Provision#save(String,
 * PropertyChanges)} does (references, host names, against what is stored and what the batch saved
 * before), and fails at once; nothing is written until {@link #commit()}, which writes the batch
 * with one {@link ContextRepository#saveAll} (for the file repository: one lock, one flush of the
 * files, one of the directory). A batch is for one thread.
 */
public final class SaveBatch {
  private final Provision provision;
  private final BufferedRepository buffer;
  private final ContextService contexts;

  SaveBatch(Provision provision, ContextService stored) {
    this.provision = provision;
    this.buffer = new BufferedRepository(stored.repository());
    this.contexts = new ContextService(buffer, provision.home(), stored.registry());
  }

  /**
   * Merges and validates a change, as {@link Provision#save(String, PropertyChanges)} does, into
   * the batch.
   *
   * @param name the context name, with or without {@code @}
   * @param changes the changes
   * @return the context as the batch holds it
   * @throws InvalidContextException when the result would be invalid; the batch is unchanged
   */
  public Versioned save(String name, PropertyChanges changes) {
    return contexts.save(ContextName.of(name), changes);
  }

  /**
   * @param name a context name
   * @return the context as the batch holds it, or as stored
   */
  public Optional<Versioned> load(ContextName name) {
    return buffer.load(name);
  }

  /** @return how many contexts the batch holds */
  public int size() {
    return buffer.size();
  }

  /**
   * Writes the batch and tells the context listeners of each saved context.
   *
   * @return the contexts written, in the order of their first save
   * @throws ConflictException when another process changed one of them since it was loaded;
   *     nothing was written then
   * @throws InvalidContextException when another process stored a site with one of the batch's
   *     host names meanwhile; nothing was written then
   */
  public List<Versioned> commit() {
    List<Versioned> written = buffer.commit();
    for (Versioned v : written) {
      provision.savedInBatch(v.context().name(), v.context().type());
    }
    return written;
  }
}
