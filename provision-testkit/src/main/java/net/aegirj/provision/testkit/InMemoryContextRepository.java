package net.aegirj.provision.testkit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.Versioned;

/**
 * A {@link ContextRepository} that keeps contexts in memory, for tests and for embedding Provision
 * without a Provision home. Every instance has its own state; all methods are atomic (they hold the
 * instance's lock) and safe for use by many threads. Contexts are immutable values, so they are
 * stored as given. Host names are kept unique through a map of host name to site, updated with
 * every save and delete.
 *
 * <p>Versions start at 1 and grow by one with every save; a context that is deleted and created
 * again starts at 1 again. After {@link #close()} every method throws
 * {@link IllegalStateException}.
 */
public final class InMemoryContextRepository implements ContextRepository {
  private final Object lock = new Object();
  /** Guarded by {@link #lock}; ordered by name. */
  private final TreeMap<ContextName, Versioned> contexts = new TreeMap<>();
  /** Guarded by {@link #lock}: every stored site's host names, to the site. */
  private final Map<String, ContextName> hosts = new HashMap<>();
  /** Guarded by {@link #lock}. */
  private boolean closed;

  /** Creates an empty repository. */
  public InMemoryContextRepository() {}

  @Override
  public Optional<Versioned> load(ContextName name) {
    Objects.requireNonNull(name, "name");
    synchronized (lock) {
      checkOpen();
      return Optional.ofNullable(contexts.get(name));
    }
  }

  @Override
  public long save(Context context, long expectedVersion) {
    Objects.requireNonNull(context, "context");
    ContextName name = Objects.requireNonNull(context.name(), "context.name()");
    ContextRepository.checkExpectedVersion(expectedVersion);
    synchronized (lock) {
      checkOpen();
      Versioned current = contexts.get(name);
      long actual = current == null ? NEW : current.version();
      if (actual != expectedVersion) {
        throw conflict("cannot save", name, expectedVersion, current);
      }
      checkHosts(context);
      return put(context, expectedVersion + 1);
    }
  }

  /** Writes under the lock, once checked: the context and its host names. */
  private long put(Context context, long version) {
    Versioned old = contexts.put(context.name(), new Versioned(context, version));
    if (old != null) {
      ContextRepository.hostNames(old.context()).forEach(h -> hosts.remove(h, context.name()));
    }
    ContextRepository.hostNames(context).forEach(h -> hosts.put(h, context.name()));
    return version;
  }

  private void checkHosts(Context context) {
    for (String h : ContextRepository.hostNames(context)) {
      ContextName owner = hosts.get(h);
      if (owner != null && !owner.equals(context.name())) {
        throw ContextRepository.hostNameTaken(context, h, owner);
      }
    }
  }

  /** Checks every version and host name of the batch, then stores it; all under the lock. */
  @Override
  public List<Long> saveAll(List<Save> saves) {
    synchronized (lock) {
      checkOpen();
      ContextRepository.checkBatch(this, saves);
      List<Long> versions = new ArrayList<>(saves.size());
      for (Save s : saves) {
        versions.add(put(s.context(), s.expectedVersion() + 1));
      }
      return versions;
    }
  }

  @Override
  public Map<String, ContextName> hostOwners(Collection<String> hostNames) {
    synchronized (lock) {
      checkOpen();
      Map<String, ContextName> out = new TreeMap<>();
      for (String h : hostNames) {
        ContextName owner = hosts.get(h);
        if (owner != null) {
          out.put(h, owner);
        }
      }
      return out;
    }
  }

  @Override
  public void delete(ContextName name, long expectedVersion) {
    Objects.requireNonNull(name, "name");
    ContextRepository.checkExpectedVersion(expectedVersion);
    synchronized (lock) {
      checkOpen();
      Versioned current = contexts.get(name);
      if (current == null || current.version() != expectedVersion) {
        throw conflict("cannot delete", name, expectedVersion, current);
      }
      contexts.remove(name);
      ContextRepository.hostNames(current.context()).forEach(h -> hosts.remove(h, name));
    }
  }

  @Override
  public List<Versioned> list() {
    synchronized (lock) {
      checkOpen();
      return List.copyOf(contexts.values());
    }
  }

  @Override
  public List<ContextName> referrers(ContextName target) {
    Objects.requireNonNull(target, "target");
    String reference = target.toString();
    List<Versioned> snapshot = list();
    List<ContextName> out = new ArrayList<>();
    for (Versioned v : snapshot) {
      Context context = v.context();
      Map<String, Object> properties = ContextProperties.toMap(context);
      for (PropertySpec spec : Schema.properties(context.type())) {
        if (spec.kind() == PropertySpec.Kind.REFERENCE && reference.equals(properties.get(spec.name()))) {
          out.add(context.name());
          break;
        }
      }
    }
    return List.copyOf(out);
  }

  /** Forgets every context; later calls throw {@link IllegalStateException}. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      contexts.clear();
      hosts.clear();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the in-memory context repository is closed");
    }
  }


  private static ConflictException conflict(String what, ContextName name, long expected, Versioned current) {
    String expectedText = expected == NEW ? "version " + NEW + " (not yet created)" : "version " + expected;
    String actualText = current == null ? "it does not exist" : "its stored version is " + current.version();
    return new ConflictException(what + " " + name + ": expected " + expectedText + ", but " + actualText
        + "; reload it and try again");
  }
}
