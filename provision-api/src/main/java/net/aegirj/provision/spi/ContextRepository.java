package net.aegirj.provision.spi;

import java.util.List;
import java.util.Optional;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;

/**
 * Stores contexts. Implementations are safe for concurrent use, by threads and, where the storage
 * is shared, by processes: a write whose expected version is not the stored one fails with a
 * {@link ConflictException} and changes nothing. A write is atomic: readers see the old or the
 * new context, never a mix.
 *
 * <p>The repository stores what it is given; validation of properties and references is the
 * caller's job. The testkit's {@code ContextRepositoryContract} is the executable definition of
 * this contract: extend it to test an implementation.
 */
public interface ContextRepository extends AutoCloseable {
  /** The expected version that means "the context must not exist yet". */
  long NEW = 0;

  /**
   * Checks the expected version given to {@link #save} or {@link #delete}.
   *
   * @param expectedVersion the version a change is based on
   * @throws IllegalArgumentException when it is neither {@link #NEW} nor a version a context can have
   */
  static void checkExpectedVersion(long expectedVersion) {
    if (expectedVersion < NEW) {
      throw new IllegalArgumentException(
          "expected version must be " + NEW + " (new) or a stored version, not " + expectedVersion);
    }
  }

  /**
   * The error of a change based on a version that is not the stored one, in the words every
   * repository of Provision uses.
   *
   * @param name the context
   * @param expected the version the change was based on ({@link #NEW}: it must not exist)
   * @param current the stored version ({@link #NEW}: it does not exist)
   * @return the exception, naming both versions and what to do
   */
  static ConflictException conflict(ContextName name, long expected, long current) {
    String found = current == NEW ? "it does not exist" : "it is at version " + current;
    String wanted = expected == NEW ? "expected it not to exist" : "expected version " + expected;
    return new ConflictException(name + ": concurrent change detected (" + wanted + ", but " + found
        + "); nothing was written; reload and try again");
  }

  /**
   * @param name a context name
   * @return the stored context and its version, or empty when there is none
   */
  Optional<Versioned> load(ContextName name);

  /**
   * Creates or replaces a context.
   *
   * @param context the complete context to store
   * @param expectedVersion the version the change is based on, or {@link #NEW} to create
   * @return the new version ({@code expectedVersion + 1})
   * @throws ConflictException when the stored version is not {@code expectedVersion}
   */
  long save(Context context, long expectedVersion);

  /**
   * Deletes a context.
   *
   * @param name the context
   * @param expectedVersion the version the deletion is based on
   * @throws ConflictException when the stored version is not {@code expectedVersion}, or the
   *     context does not exist
   */
  void delete(ContextName name, long expectedVersion);

  /** @return every stored context, ordered by name */
  List<Versioned> list();

  /**
   * Lists what can be read: unlike {@link #list()}, which fails on the first stored context it
   * cannot read, this lists the others and reports each unreadable one. By default it is
   * {@link #list()} with nothing unreadable (a repository that cannot hold a damaged context).
   *
   * @return the readable contexts, ordered by name, and the unreadable ones
   */
  default ContextListing listReadable() {
    return new ContextListing(list(), List.of());
  }

  /**
   * @param type a context type
   * @return the stored contexts of that type, ordered by name
   */
  default List<Versioned> list(ContextType type) {
    return list().stream().filter(v -> v.context().type() == type).toList();
  }

  /**
   * Finds the contexts whose stored properties name {@code target} in a reference property
   * ({@code platform}, {@code web_server}, {@code db_server}, …). Defaults are not stored, so a
   * context that uses {@code @server_master} only by default is not listed here.
   *
   * @param target the referenced context
   * @return the referring contexts' names, ordered
   */
  List<ContextName> referrers(ContextName target);

  /**
   * The task locks that control nodes sharing this repository see, so that two machines never
   * run a task on the same context at once. Core takes them, when offered, for every task after
   * its own locks (one inside the JVM, one file in the home).
   *
   * <p>A repository that only one machine uses (a directory, memory) offers none, the default:
   * the home's lock files already serialise tasks there. A repository that several machines
   * share (a database) should offer them.
   *
   * @return the shared task locks, or empty when the repository offers none
   */
  default Optional<TaskLocks> taskLocks() {
    return Optional.empty();
  }

  /** Releases what the repository holds (files, connections). Does nothing by default. */
  @Override
  default void close() {}
}
