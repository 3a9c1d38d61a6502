package net.aegirj.provision.core.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.core.host.LocalHost;
import net.aegirj.provision.spi.ContextListing;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.HostProvider;
import net.aegirj.provision.spi.Intent;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.StepContext;
import net.aegirj.provision.spi.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one running task; also the {@link StepContext} its steps see. The {@link TaskEngine}
 * makes one per task and hands it the engine's collaborators.
 */
final class TaskRun implements StepContext, AutoCloseable {
  /** The engine's logger: the command line quiets it by that name ({@code Main}). */
  private static final Logger LOG = LoggerFactory.getLogger(TaskEngine.class);

  private final ContextService contexts;
  private final ServiceRegistry registry;
  private final HostProvider hosts;
  private final SharedResources shared;
  private final IntentJournal intents;

  final Task task;
  final ResolvedContext target;
  final boolean planOnly;
  final Journal journal = new Journal();
  final List<String> warnings = new ArrayList<>();
  final Map<ContextName, ResolvedContext> resolved = new LinkedHashMap<>();
  final Map<ContextName, JournalingHost> open = new LinkedHashMap<>();
  final Map<String, AutoCloseable> resources = new LinkedHashMap<>();
  final Map<String, String> options = new LinkedHashMap<>();
  final Map<String, Runnable> cleanups = new LinkedHashMap<>();
  final Map<String, String> results = new LinkedHashMap<>();
  final Set<ReloadKey> pendingReloads = new LinkedHashSet<>();
  /** This task's reload debts, by server|service. */
  final Map<ReloadKey, ReloadDebts.Debt> ownDebts = new LinkedHashMap<>();
  /** The services whose killed tasks' debts this task has looked for. */
  final Set<ReloadKey> checkedOrphans = new LinkedHashSet<>();
  /** Debts left by killed tasks, paid when this task succeeds. */
  final List<ReloadDebts.Debt> orphanDebts = new ArrayList<>();
  /** What the reloads after a rollback achieved, for the failure message. */
  final List<String> rollbackNotes = new ArrayList<>();
  /** What this task is about to create outside the home; made on its first intent. */
  IntentJournal.Record intentRecord;
  JournalingHost local;
  /** What the tasks of this task's batch share, when it runs in one. */
  SharedResources batch;
  volatile StepRecorder current = new StepRecorder(0);
  String currentService;
  boolean reloaded;

  /**
   * @param contexts the contexts
   * @param hosts opens hosts of servers
   * @param shared what the tasks of a {@code Provision} share
   * @param intents where the task records what it is about to create outside the home
   * @param task the task
   * @param target its context
   * @param planOnly true to list the steps and changes without changing anything
   */
  TaskRun(ContextService contexts, HostProvider hosts, SharedResources shared, IntentJournal intents, Task task,
      ResolvedContext target, boolean planOnly) {
    this.contexts = contexts;
    this.registry = contexts.registry();
    this.hosts = hosts;
    this.shared = shared;
    this.intents = intents;
    this.task = task;
    this.target = target;
    this.planOnly = planOnly;
    resolved.put(target.name(), target);
  }

  @Override
  public Task task() {
    return task;
  }

  @Override
  public ResolvedContext target() {
    return target;
  }

  @Override
  public synchronized ResolvedContext resolve(ContextName name) {
    return resolved.computeIfAbsent(name, contexts::resolve);
  }

  @Override
  public synchronized void onSuccess(String what, Runnable action) {
    if (!planOnly) {
      cleanups.put(what, Objects.requireNonNull(action));
    }
  }

  @Override
  public Optional<String> option(String name) {
    return Optional.ofNullable(options.get(name));
  }

  @Override
  public synchronized void result(String key, String value) {
    results.put(key, value);
  }

  @Override
  public void changed(String what) {
    current.change(what);
  }

  @Override
  public synchronized void save(ContextName name, PropertyChanges changes) {
    current.change("context " + name + ": " + String.join(", ", changes.changes().keySet()));
    if (planOnly) {
      return;
    }
    Map<String, Object> before = contexts.load(name).context().properties();
    contexts.save(name, changes);
    resolved.clear();
    PropertyChanges.Builder undo = PropertyChanges.builder();
    for (String key : changes.changes().keySet()) {
      Object old = before.get(key);
      if (old == null) {
        undo.reset(key);
      } else {
        undo.set(key, ContextService.text(old));
      }
    }
    PropertyChanges restore = undo.build();
    journal.add(current.index, "restore " + name + " " + changes.changes().keySet(), () -> {
      contexts.save(name, restore);
      synchronized (this) {
        resolved.clear();
      }
    });
  }

  @Override
  public <T extends AutoCloseable> T shared(String key, Supplier<T> create) {
    return shared.get(key, create);
  }

  @Override
  public <T extends AutoCloseable> Optional<T> batch(String key, Supplier<T> create) {
    return batch == null || planOnly ? Optional.empty() : Optional.of(batch.get(key, create));
  }

  @Override
  public synchronized <T extends AutoCloseable> T resource(String key, Supplier<T> create) {
    @SuppressWarnings("unchecked")
    T r = (T) resources.computeIfAbsent(key, k -> create.get());
    return r;
  }

  @Override
  public synchronized Host host(ContextName server) {
    JournalingHost h = open.get(server);
    if (h == null) {
      ResolvedContext rs = resolve(server);
      if (rs.context().type() != ContextType.SERVER) {
        throw new InvalidContextException(server.toString(), null, "is a " + rs.context().type().id()
            + ", not a server");
      }
      h = new JournalingHost(hosts.open(rs), planOnly, journal, () -> current);
      h.beforeAside((path, aside) -> intent(IntentSettler.asideIntent(server, path, aside)));
      open.put(server, h);
    }
    return h;
  }

  synchronized void reconnectLostHosts() {
    for (Map.Entry<ContextName, JournalingHost> e : open.entrySet()) {
      try {
        if (e.getValue().delegate().reconnect()) {
          LOG.info("{}: reconnecting to roll back", e.getKey());
        }
      } catch (RuntimeException ex) {
        LOG.warn("{}: cannot reconnect: {}", e.getKey(), TaskEngine.message(ex));
      }
    }
  }

  Host rawHost(ContextName server) {
    return ((JournalingHost) host(server)).delegate();
  }

  /** Outside the journal: the opened host's own connection (in a plan, the recording host). */
  @Override
  public Host unjournaledHost(ContextName server) {
    return planOnly ? host(server) : rawHost(server);
  }

  @Override
  public Optional<List<ResolvedContext>> contexts(ContextType type) {
    ContextListing listing = contexts.listReadable(type);
    if (!listing.unreadable().isEmpty()) {
      LOG.warn("{} cannot be read: the {}s are not known whole", listing.unreadable().get(0).source(), type.id());
      return Optional.empty();
    }
    List<ResolvedContext> out = new ArrayList<>();
    for (Versioned v : listing.contexts()) {
      try {
        out.add(contexts.resolve(v));
      } catch (ProvisionException e) {
        LOG.warn("{} cannot be resolved: the {}s are not known whole: {}", v.context().name(), type.id(),
            e.getMessage());
        return Optional.empty();
      }
    }
    return Optional.of(List.copyOf(out));
  }

  @Override
  public synchronized Host localHost() {
    if (local == null) {
      local = new JournalingHost(new LocalHost("local"), planOnly, journal, () -> current);
      local.beforeAside((path, aside) -> intent(IntentSettler.asideIntent(ContextName.MASTER, path, aside)));
    }
    return local;
  }

  @Override
  public void onRollback(String what, Runnable undo) {
    if (!planOnly) {
      journal.add(current.index, what, Objects.requireNonNull(undo));
    }
  }

  @Override
  public synchronized void reload(ContextName server, String service) {
    if (!current.changes.isEmpty()) {
      pendingReloads.add(new ReloadKey(server, service));
    }
  }

  @Override
  public synchronized void warn(String message) {
    warnings.add(message);
    LOG.warn("{} {}: {}", task.id(), target.name(), message);
  }

  @Override
  public void skip(String reason) {
    current.skipReason = reason;
  }

  @Override
  public List<String> templateLines(String point, ResolvedContext site, ResolvedContext server) {
    List<String> out = new ArrayList<>();
    for (ServiceType type : registry.selected((Server) server.context()).values()) {
      out.addAll(type.templateLines(point, site, server));
    }
    return out;
  }

  @Override
  public boolean planOnly() {
    return planOnly;
  }

  @Override
  public void intent(Intent intent) {
    intents(List.of(Objects.requireNonNull(intent, "intent")));
  }

  @Override
  public void intents(List<Intent> list) {
    List<IntentJournal.Stored> stored = new ArrayList<>();
    for (Intent intent : Objects.requireNonNull(list, "intents")) {
      Objects.requireNonNull(intent, "intent");
      if (planOnly) {
        continue;
      }
      ResolvedContext rs = resolve(intent.server());
      if (rs.context().type() != ContextType.SERVER) {
        throw new InvalidContextException(intent.server().toString(), null, "is a " + rs.context().type().id()
            + ", not a server; an intent names the server it creates " + intent.name() + " on");
      }
      ServiceType type = intent.service().equals(TaskEngine.CORE) ? null
          : registry.selected((Server) rs.context()).get(intent.service());
      stored.add(new IntentJournal.Stored(type == null || type.id() == null ? "" : type.id(), intent));
    }
    if (stored.isEmpty()) {
      return;
    }
    synchronized (this) {
      if (intentRecord == null) {
        intentRecord = intents.open(target.name(), task, stored);
      } else {
        intentRecord.add(stored);
      }
    }
  }


  /**
   * Clears this task's intents when nothing is left to settle (it succeeded, or its rollback
   * was complete); otherwise keeps them for the next task on the context.
   */
  synchronized void endIntents(boolean nothingLeft) {
    if (intentRecord != null) {
      if (nothingLeft) {
        intentRecord.clear();
      } else {
        intentRecord.close();
      }
      intentRecord = null;
    }
  }

  /**
   * Pays this task's reload debts when it succeeded (its reloads ran) or rolled back completely,
   * and the killed tasks' debts only when it succeeded; the others stay for the next task.
   */
  void settleReloadDebts(boolean succeeded, boolean rolledBack) {
    for (ReloadDebts.Debt d : ownDebts.values()) {
      if (succeeded || rolledBack) {
        d.pay();
      } else {
        d.close();
      }
    }
    for (ReloadDebts.Debt d : orphanDebts) {
      if (succeeded) {
        d.pay();
      } else {
        d.close();
      }
    }
    ownDebts.clear();
    orphanDebts.clear();
  }

  /** Closes the resources while the task waits for the rest of its batch; they reopen on use. */
  synchronized void idleResources() {
    for (AutoCloseable r : resources.values()) {
      try {
        r.close();
      } catch (Exception e) {
        LOG.debug("closing a task resource: {}", e.toString());
      }
    }
  }

  @Override
  public void close() {
    settleReloadDebts(false, false); // only what an unexpected error left: kept for the next task
    endIntents(false);
    for (AutoCloseable r : resources.values()) {
      try {
        r.close();
      } catch (Exception e) {
        LOG.debug("closing a task resource: {}", e.toString());
      }
    }
    for (JournalingHost h : open.values()) {
      try {
        h.close();
      } catch (RuntimeException e) {
        LOG.debug("closing {}: {}", h.name(), e.toString());
      }
    }
  }

  @Override
  public String toString() {
    return task.id() + " " + target.name() + " " + Text.quote(String.valueOf(currentService));
  }
}
