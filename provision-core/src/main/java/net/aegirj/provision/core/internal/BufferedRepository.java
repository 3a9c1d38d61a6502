package net.aegirj.provision.core.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.spi.ContextListing;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.Versioned;

/**
 * A repository that keeps saves in memory over another one and writes them all with one
 * {@link ContextRepository#saveAll} at {@link #commit()}: a batch (an import) whose every save is
 * checked at once (versions, host names, through the other repository's index and the batch's
 * own names) but written once. Reads see the batch's saves over what is stored. Saving a context
 * twice in one batch keeps one change: its version grows once.
 *
 * <p>For one thread; it deletes nothing. The other repository checks the whole batch again when it
 * is committed, so a change made meanwhile by another process fails the commit, not the data.
 *
 * <p>What the other repository answers is kept for the batch (a save asks about the same names
 * several times: its own, its host names), and once the batch has asked about {@value #LISTED_FROM}
 * names, a {@link ListableRepository} is listed once and names it does not hold are answered
 * without reading it. The batch so sees what was stored when it first asked; the commit checks
 * again, under the other repository's lock.
 */
public final class BufferedRepository implements ContextRepository {
  private final ContextRepository base;
  /** The batch in order of first save: each context as last saved, and the stored version it is based on. */
  private final LinkedHashMap<ContextName, Save> pending = new LinkedHashMap<>();
  /** The host names of the batch's sites. */
  private final Map<String, ContextName> hosts = new HashMap<>();
  /** What the other repository answered to {@link #load}, by name. */
  private final Map<ContextName, Optional<Versioned>> stored = new HashMap<>();
  /** What the other repository answered about host names: the owner, or null for none. */
  private final Map<String, ContextName> storedOwners = new HashMap<>();
  /** How many names were asked of the other repository. */
  private int asked;
  /** The other repository as listed once, when it can be and the batch asks about many names. */
  private ContextRepository listed;

  /** From this many names asked of the other repository on, a listable one is listed once. */
  static final int LISTED_FROM = 64;

  /** @param base where the batch goes at {@link #commit()} */
  public BufferedRepository(ContextRepository base) {
    this.base = Objects.requireNonNull(base, "base");
  }

  /** @return how many contexts the batch holds */
  public int size() {
    return pending.size();
  }

  /**
   * Writes the batch, and empties it.
   *
   * @return the contexts written, with their versions, in the order of their first save
   */
  public List<Versioned> commit() {
    List<Save> saves = new ArrayList<>(pending.values());
    List<Long> versions = base.saveAll(saves);
    pending.clear();
    hosts.clear();
    forgetStored();
    List<Versioned> out = new ArrayList<>(saves.size());
    for (int i = 0; i < saves.size(); i++) {
      out.add(new Versioned(saves.get(i).context(), versions.get(i)));
    }
    return out;
  }

  @Override
  public Optional<Versioned> load(ContextName name) {
    Save s = pending.get(name);
    if (s != null) {
      return Optional.of(new Versioned(s.context(), s.expectedVersion() + 1));
    }
    Optional<Versioned> v = stored.get(name);
    if (v == null) {
      v = reader(1).load(name);
      stored.put(name, v);
    }
    return v;
  }

  /** Drops what the other repository answered: after a commit, or when the batch is given up. */
  private void forgetStored() {
    stored.clear();
    storedOwners.clear();
    asked = 0;
    listed = null;
  }

  /** @return where to ask about {@code n} more names: the listed view once there is one (or should be) */
  private ContextRepository reader(int n) {
    asked += n;
    if (listed == null && asked >= LISTED_FROM && base instanceof ListableRepository l) {
      listed = l.listedView();
    }
    return listed != null ? listed : base;
  }

  @Override
  public long save(Context context, long expectedVersion) {
    ContextName name = context.name();
    long current = load(name).map(Versioned::version).orElse(NEW);
    if (current != expectedVersion) {
      throw ContextRepository.conflict(name, expectedVersion, current);
    }
    for (Map.Entry<String, ContextName> e : hostOwners(ContextRepository.hostNames(context)).entrySet()) {
      if (!e.getValue().equals(name)) {
        throw ContextRepository.hostNameTaken(context, e.getKey(), e.getValue());
      }
    }
    Save before = pending.get(name);
    if (before != null) {
      ContextRepository.hostNames(before.context()).forEach(h -> hosts.remove(h, name));
    }
    long based = before != null ? before.expectedVersion() : expectedVersion;
    pending.put(name, new Save(context, based));
    ContextRepository.hostNames(context).forEach(h -> hosts.put(h, name));
    return based + 1;
  }

  /** @throws UnsupportedOperationException always: a batch only saves */
  @Override
  public void delete(ContextName name, long expectedVersion) {
    throw new UnsupportedOperationException("a batch of saves cannot delete " + name);
  }

  @Override
  public Map<String, ContextName> hostOwners(Collection<String> hostNames) {
    Map<String, ContextName> out = new TreeMap<>();
    List<String> unknown = new ArrayList<>();
    for (String h : hostNames) {
      ContextName b = hosts.get(h);
      if (b != null) {
        out.put(h, b);
      } else {
        unknown.add(h);
      }
    }
    Map<String, ContextName> owners = new HashMap<>();
    List<String> notAsked = new ArrayList<>();
    for (String h : unknown) {
      if (storedOwners.containsKey(h)) {
        ContextName owner = storedOwners.get(h);
        if (owner != null) {
          owners.put(h, owner);
        }
      } else {
        notAsked.add(h);
      }
    }
    if (!notAsked.isEmpty()) {
      Map<String, ContextName> answered = reader(notAsked.size()).hostOwners(notAsked);
      for (String h : notAsked) {
        ContextName owner = answered.get(h);
        storedOwners.put(h, owner);
        if (owner != null) {
          owners.put(h, owner);
        }
      }
    }
    owners.forEach((h, owner) -> {
      Save changed = pending.get(owner);
      if (changed == null || ContextRepository.hostNames(changed.context()).contains(h)) {
        out.put(h, owner); // else the batch gives the name up
      }
    });
    return out;
  }

  @Override
  public List<Versioned> list() {
    return merge(base.list());
  }

  @Override
  public ContextListing listReadable() {
    ContextListing stored = base.listReadable();
    return new ContextListing(merge(stored.contexts()), stored.unreadable());
  }

  private List<Versioned> merge(List<Versioned> stored) {
    TreeMap<ContextName, Versioned> out = new TreeMap<>();
    stored.forEach(v -> out.put(v.context().name(), v));
    pending.forEach((n, s) -> out.put(n, new Versioned(s.context(), s.expectedVersion() + 1)));
    return List.copyOf(out.values());
  }

  @Override
  public List<ContextName> referrers(ContextName target) {
    TreeSet<ContextName> out = new TreeSet<>(base.referrers(target));
    pending.forEach((n, s) -> {
      if (references(s.context(), target)) {
        out.add(n);
      } else {
        out.remove(n);
      }
    });
    return List.copyOf(out);
  }

  private static boolean references(Context c, ContextName target) {
    Map<String, Object> props = ContextProperties.toMap(c);
    for (PropertySpec spec : Schema.properties(c.type())) {
      if (spec.kind() == PropertySpec.Kind.REFERENCE && target.toString().equals(props.get(spec.name()))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "BufferedRepository[" + pending.size() + " saves over " + base + "]";
  }
}
