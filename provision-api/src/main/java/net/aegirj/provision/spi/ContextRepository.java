package net.aegirj.provision.spi;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Site;

/**
 * Stores contexts. Implementations are safe for concurrent use, by threads and, where the storage
 * is shared, by processes: a write whose expected version is not the stored one fails with a
 * {@link ConflictException} and changes nothing. A write is atomic: readers see the old or the
 * new context, never a mix.
 *
 * <p>The repository stores what it is given; validation of properties and references is the
 * caller's job, with one exception that only the repository can make atomic with the write: a
 * host name (a site's {@code uri} or one of its {@code aliases}) belongs to one site. A save of a
 * site whose host names another stored site serves fails with {@link #hostNameTaken} and changes
 * nothing, even when two processes save such sites at the same time; {@link #hostOwners} answers
 * from the repository's index of host names without reading every site. The testkit's {@code ContextRepositoryContract} is the executable definition of
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
   * The host names a context serves: a site's effective {@code uri} and its {@code aliases}, in
   * that order; none for a server or a platform.
   *
   * @param context a context
   * @return its host names
   */
  static Set<String> hostNames(Context context) {
    Set<String> names = new LinkedHashSet<>();
    if (context instanceof Site s) {
      names.add(s.effectiveUri());
      names.addAll(s.aliases());
    }
    return names;
  }

  /**
   * The error of a site whose host name another site serves, in the words every repository of
   * Provision uses.
   *
   * @param site the site that was to be saved
   * @param host the host name it shares
   * @param owner the stored site that serves it
   * @return the exception, naming the property ({@code uri} or {@code aliases}), the name and its owner
   */
  static InvalidContextException hostNameTaken(Context site, String host, ContextName owner) {
    String property = site instanceof Site s && s.effectiveUri().equals(host) ? "uri" : "aliases";
    return new InvalidContextException(site.name().toString(), property,
        "'" + host + "' is already served by " + owner + "; a host name belongs to one site");
  }

  /**
   * A change for {@link #saveAll}: a context and the version it is based on.
   *
   * @param context the complete context to store
   * @param expectedVersion the version the change is based on, or {@link #NEW} to create
   */
  record Save(Context context, long expectedVersion) {
    /** Checks the invariants. */
    public Save {
      Objects.requireNonNull(context, "context");
      checkExpectedVersion(expectedVersion);
    }
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
   * Stores a batch of contexts, as an import does: every version and every host name is checked
   * before anything is written, so a conflict or a taken host name fails the whole batch and
   * changes nothing (as far as the repository can promise it: see below). Each context is written
   * atomically, as by {@link #save}; a repository may make the batch cheaper than the saves one by
   * one (one lock, one flush to disk, one transaction).
   *
   * <p>By default the saves are made one by one after a check of every version and host name
   * against what is stored: a concurrent writer may still make a later save of the batch fail
   * after earlier ones were written. Provision's repositories check and write under one lock or
   * transaction.
   *
   * @param saves the changes, at most one per context name
   * @return the new version of each, in the order given
   * @throws ConflictException when a stored version is not the expected one
   * @throws InvalidContextException when a site's host name is served by another site (stored, or
   *     earlier in the batch)
   * @throws IllegalArgumentException when a context name occurs twice
   */
  default List<Long> saveAll(List<Save> saves) {
    checkBatch(this, saves);
    return saves.stream().map(s -> save(s.context(), s.expectedVersion())).toList();
  }

  /**
   * Checks a batch for {@link #saveAll} against what a repository stores: one change per name,
   * every expected version, and every host name (against the stored sites not in the batch, and
   * within the batch).
   *
   * @param repository where the batch goes
   * @param saves the batch
   * @throws ConflictException when a stored version is not the expected one
   * @throws InvalidContextException when a host name would be served by two sites
   */
  static void checkBatch(ContextRepository repository, List<Save> saves) {
    Map<ContextName, Save> byName = new TreeMap<>();
    Map<String, ContextName> hosts = new TreeMap<>();
    for (Save s : saves) {
      ContextName name = s.context().name();
      if (byName.put(name, s) != null) {
        throw new IllegalArgumentException(name + " occurs more than once in the batch");
      }
      long current = repository.load(name).map(Versioned::version).orElse(NEW);
      if (current != s.expectedVersion()) {
        throw conflict(name, s.expectedVersion(), current);
      }
    }
    for (Save s : saves) {
      Set<String> mine = hostNames(s.context());
      for (String h : mine) {
        ContextName other = hosts.putIfAbsent(h, s.context().name());
        if (other != null) {
          throw hostNameTaken(s.context(), h, other);
        }
      }
      for (Map.Entry<String, ContextName> e : repository.hostOwners(mine).entrySet()) {
        ContextName owner = e.getValue();
        Save changed = byName.get(owner);
        // a site of the batch that gives the name up frees it
        if (!owner.equals(s.context().name()) && (changed == null || hostNames(changed.context()).contains(e.getKey()))) {
          throw hostNameTaken(s.context(), e.getKey(), owner);
        }
      }
    }
  }

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
   * Which stored sites serve the given host names. Provision's repositories answer from an index
   * of host names (a file per name, a table, a map), in time that does not grow with the number of
   * sites; by default every readable site is listed.
   *
   * @param hostNames host names
   * @return each of them that a stored site serves, with that site
   */
  default Map<String, ContextName> hostOwners(Collection<String> hostNames) {
    Map<String, ContextName> out = new TreeMap<>();
    if (hostNames.isEmpty()) {
      return out;
    }
    for (Versioned v : listReadable().contexts()) {
      for (String h : hostNames(v.context())) {
        if (hostNames.contains(h)) {
          out.putIfAbsent(h, v.context().name());
        }
      }
    }
    return out;
  }

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
