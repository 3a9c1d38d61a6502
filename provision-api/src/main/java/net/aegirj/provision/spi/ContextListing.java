package net.aegirj.provision.spi;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.aegirj.provision.api.ContextName;

/**
 * What a repository holds, read as far as it can be: the contexts it could read, and one entry
 * for each stored context it could not (a damaged file, a row that does not parse), so that one
 * damaged context does not hide the others.
 *
 * @param contexts the contexts read, ordered by name
 * @param unreadable the stored contexts that could not be read, ordered by where they are stored
 */
public record ContextListing(List<Versioned> contexts, List<Unreadable> unreadable) {
  /** Copies the lists. */
  public ContextListing {
    contexts = List.copyOf(contexts);
    unreadable = List.copyOf(unreadable);
  }

  /**
   * A stored context that could not be read.
   *
   * @param name the context's name as far as it can be told from where it is stored (a file
   *     name), or empty
   * @param source where it is stored, e.g. the file
   * @param problem what is wrong and what to do, naming the source
   */
  public record Unreadable(Optional<ContextName> name, String source, String problem) {
    /** Checks the invariants. */
    public Unreadable {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(problem, "problem");
    }
  }
}
