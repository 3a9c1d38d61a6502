package net.aegirj.provision.core;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextInUseException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextNotFoundException;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.internal.ContextLocks;
import net.aegirj.provision.core.internal.ContextService;
import net.aegirj.provision.core.internal.DefaultHostProvider;
import net.aegirj.provision.core.internal.SiteMoves;
import net.aegirj.provision.core.internal.TaskEngine;
import net.aegirj.provision.spi.ContextListener;
import net.aegirj.provision.spi.ContextListing;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.FailureInjector;
import net.aegirj.provision.spi.HostProvider;
import net.aegirj.provision.spi.TaskListener;
import net.aegirj.provision.spi.Versioned;
import org.slf4j.LoggerFactory;

/**
 * The front door: saves, finds, lists and deletes named contexts, and hands out the handles that
 * run tasks on them.
 *
 * <pre>{@code
 * try (Provision provision = Provision.builder().home(Path.of("/var/aegir")).build()) {
 *   provision.save(Platform.named("platform_d10").root("/var/aegir/platforms/d10"));
 *   provision.save(Site.named("example.com").platform("platform_d10"));
 * }
 * }</pre>
 *
 * <p>Saving follows Aegir's {@code provision-save}: a new name is created, an existing one is
 * merged (only the properties given change), everything is validated as a whole before anything
 * is written, and references must name existing contexts of the right type.
 * {@code @server_master} exists implicitly. Instances are safe for use by several threads.
 */
public final class Provision implements AutoCloseable {
  /** The environment variable naming the default home. */
  public static final String HOME_ENV = "PROVISION_HOME";

  private final Path home;
  private final ContextRepository repository;
  private final boolean ownsRepository;
  private final ContextService contexts;
  private final ServiceRegistry registry;
  private final TaskEngine engine;
  private final SiteMoves moves;
  private final ContextLocks locks;
  private final int parallelism;
  private final List<ContextListener> contextListeners;

  private Provision(Builder b) {
    this.home = b.home != null ? b.home.toAbsolutePath().normalize() : defaultHome();
    this.ownsRepository = b.repository == null;
    this.repository = b.repository != null ? b.repository : new FileContextRepository(home);
    this.registry = b.registry != null ? b.registry : ServiceRegistry.load();
    this.contexts = new ContextService(repository, home, registry);
    this.locks = new ContextLocks(home, b.lockWait, repository.taskLocks().orElse(null));
    this.engine = new TaskEngine(contexts, b.hosts != null ? b.hosts : new DefaultHostProvider(),
        b.listeners, b.injector, locks);
    this.moves = new SiteMoves(contexts, engine, this::runDelete);
    this.parallelism = b.parallelism;
    this.contextListeners = List.copyOf(b.contextListeners);
  }

  /**
   * The default home: {@code $PROVISION_HOME} when set, else {@code ~/.provision}.
   *
   * @return the default home directory
   */
  public static Path defaultHome() {
    String env = System.getenv(HOME_ENV);
    if (env != null && !env.isBlank()) {
      return Path.of(env).toAbsolutePath().normalize();
    }
    return Path.of(System.getProperty("user.home"), ".provision");
  }

  /** @return a builder with the defaults: file repository in the default home */
  public static Builder builder() {
    return new Builder();
  }

  /** @return the home directory (the master's default {@code aegir_root}) */
  public Path home() {
    return home;
  }

  /** @return the service types in use */
  public ServiceRegistry registry() {
    return registry;
  }

  /** @return the repository the contexts are stored in */
  public ContextRepository repository() {
    return repository;
  }

  /**
   * Saves a server: the properties set on the value change, the others keep their stored values.
   *
   * @param server the value
   * @return a handle on the saved server
   * @throws InvalidContextException when the result would be invalid; nothing is written then
   */
  public ServerHandle save(Server server) {
    return (ServerHandle) saveValue(server);
  }

  /**
   * @param server a server value under construction
   * @return a handle on the saved server
   */
  public ServerHandle save(Server.Builder server) {
    return save(server.build());
  }

  /**
   * Saves a platform (merge semantics as for {@link #save(Server)}).
   *
   * @param platform the value
   * @return a handle on the saved platform
   */
  public PlatformHandle save(Platform platform) {
    return (PlatformHandle) saveValue(platform);
  }

  /**
   * @param platform a platform value under construction
   * @return a handle on the saved platform
   */
  public PlatformHandle save(Platform.Builder platform) {
    return save(platform.build());
  }

  /**
   * Saves a site (merge semantics as for {@link #save(Server)}).
   *
   * @param site the value
   * @return a handle on the saved site
   */
  public SiteHandle save(Site site) {
    return (SiteHandle) saveValue(site);
  }

  /**
   * @param site a site value under construction
   * @return a handle on the saved site
   */
  public SiteHandle save(Site.Builder site) {
    return save(site.build());
  }

  /**
   * Saves changes given as text by Aegir property name, exactly as
   * {@code provision save @name --prop=value} does: {@code context_type} is required for a new
   * context, the value {@code null} resets a property to its default, list properties take
   * comma-separated values, unknown properties are refused.
   *
   * @param name the context name, with or without {@code @}
   * @param changes the changes
   * @return a handle on the saved context
   */
  public ContextHandle save(String name, PropertyChanges changes) {
    Versioned v = contexts.save(ContextName.of(name), changes);
    return saved(handle(v.context().name(), v.context().type()));
  }

  /**
   * Starts a batch of saves that is written at once: see {@link SaveBatch}. An import of many
   * contexts saves them so.
   *
   * @return an empty batch
   */
  public SaveBatch saveBatch() {
    return new SaveBatch(this, contexts);
  }

  /** Tells the context listeners of a context a {@link SaveBatch} wrote. */
  void savedInBatch(ContextName name, ContextType type) {
    saved(handle(name, type));
  }

  private ContextHandle saveValue(Context value) {
    contexts.save(value);
    return saved(handle(value.name(), value.type()));
  }

  private ContextHandle handle(ContextName name, ContextType type) {
    return switch (type) {
      case SERVER -> new ServerHandle(this, name);
      case PLATFORM -> new PlatformHandle(this, name);
      case SITE -> new SiteHandle(this, name);
    };
  }

  /**
   * @param name a context name, with or without {@code @}
   * @return a handle on the context, whatever its type
   * @throws ContextNotFoundException when there is no such context
   */
  public ContextHandle context(String name) {
    Versioned v = contexts.load(ContextName.of(name));
    return handle(v.context().name(), v.context().type());
  }

  /**
   * @param name a server name; {@code server_master} is created on first use
   * @return a handle on the server
   * @throws ContextNotFoundException when there is no such context
   * @throws InvalidContextException when the context is not a server
   */
  public ServerHandle server(String name) {
    return (ServerHandle) typed(name, ContextType.SERVER);
  }

  /**
   * @param name a platform name
   * @return a handle on the platform
   */
  public PlatformHandle platform(String name) {
    return (PlatformHandle) typed(name, ContextType.PLATFORM);
  }

  /**
   * @param name a site name (its uri)
   * @return a handle on the site
   */
  public SiteHandle site(String name) {
    return (SiteHandle) typed(name, ContextType.SITE);
  }

  private ContextHandle typed(String name, ContextType type) {
    ContextHandle h = context(name);
    if (h.type() != type) {
      throw new InvalidContextException(h.name().toString(), null,
          "is a " + h.type().id() + ", not a " + type.id());
    }
    return h;
  }

  /** @return every context, ordered by name */
  public List<Context> list() {
    return contexts.list(null).stream().map(Versioned::context).toList();
  }

  /**
   * @param type a context type
   * @return the contexts of that type, ordered by name
   */
  public List<Context> list(ContextType type) {
    return contexts.list(Objects.requireNonNull(type)).stream().map(Versioned::context).toList();
  }

  /**
   * Lists what can be read: one damaged context (a context file that is not valid) is reported
   * rather than failing the whole list as {@link #list()} does.
   *
   * @param type a context type, or null for every type
   * @return the readable contexts (of that type), ordered by name, and every unreadable one
   */
  public ContextListing listReadable(ContextType type) {
    return contexts.listReadable(type);
  }

  /**
   * Deletes a context ({@code provision save @name --delete}). An installed site is refused: its
   * database, files and web server configuration would keep serving with nothing managing them;
   * the delete task ({@code provision delete @name}) removes them and then the context, and
   * {@link #forget(String)} drops the context deliberately, leaving the site running.
   *
   * @param name the context
   * @throws InvalidContextException when the context is an installed site
   * @throws ContextInUseException while other contexts reference it, naming them
   * @throws ContextNotFoundException when there is no such context
   */
  public void delete(String name) {
    ContextName n = ContextName.of(name);
    contexts.delete(n, Provision::refuseInstalledSite);
    fire(l -> l.deleted(n));
  }

  /**
   * Forgets a context ({@code provision save @name --delete --forget}): deletes it as
   * {@link #delete(String)} does, also when it is an installed site, whose database, files and
   * web server configuration are left as they are, serving, and no longer managed.
   *
   * @param name the context
   * @throws ContextInUseException while other contexts reference it, naming them
   * @throws ContextNotFoundException when there is no such context
   */
  public void forget(String name) {
    ContextName n = ContextName.of(name);
    contexts.delete(n);
    fire(l -> l.deleted(n));
  }

  private static void refuseInstalledSite(Context context) {
    if (context instanceof Site site && site.installed().orElse(false)) {
      String n = site.name().toString();
      throw new InvalidContextException(n, null, "is an installed site: deleting only its context would leave"
          + " its database, files and web server configuration serving, unmanaged; remove the site with"
          + " 'provision delete " + n + "', or forget it deliberately, leaving it running, with 'provision save "
          + n + " --delete --forget'");
    }
  }

  /**
   * @param name a context
   * @return every property of the context: set, default and derived
   */
  public ResolvedContext resolve(String name) {
    return contexts.resolve(ContextName.of(name));
  }

  ContextService contexts() {
    return contexts;
  }

  private void fire(Consumer<ContextListener> event) {
    for (ContextListener l : contextListeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        LoggerFactory.getLogger(Provision.class).warn("context listener {} failed: {}", l, e.toString());
      }
    }
  }

  private <T extends ContextHandle> T saved(T handle) {
    if (!contextListeners.isEmpty()) {
      ResolvedContext r = contexts.resolve(handle.name());
      fire(l -> l.saved(handle.name(), r.context().type(), r.version(), r.values(false)));
    }
    return handle;
  }

  TaskReport run(Task task, ContextName name, boolean planOnly) {
    return run(task, name, planOnly, Map.of());
  }

  private TaskReport verified(TaskReport report) {
    if (report.task() == Task.VERIFY && report.succeeded() && !contextListeners.isEmpty()) {
      ResolvedContext r = contexts.resolve(report.context());
      fire(l -> l.verified(report.context(), report, r.values(false)));
    }
    return report;
  }

  TaskReport run(Task task, ContextName name, boolean planOnly, Map<String, String> options) {
    if (SiteMoves.handles(task)) {
      if (planOnly) {
        throw new InvalidContextException(name.toString(), null, "the " + task.id() + " task cannot be planned"
            + " as a whole: it runs a backup, then a deploy (or restore) of it; plan those");
      }
      return moves.run(task, name, options);
    }
    return verified(engine.run(task, name, planOnly, options));
  }

  /** Runs the delete task, then removes the context. */
  TaskReport runDelete(ContextName name) {
    TaskReport report;
    // The task and the removal of the context under one lock: no other task runs in between.
    try (ContextLocks.Held held = locks.lock(name)) {
      List<ContextName> referrers = contexts.referrers(name);
      if (!referrers.isEmpty()) {
        throw new ContextInUseException(name, referrers);
      }
      report = engine.run(Task.DELETE, name, false);
      contexts.delete(name);
    }
    fire(l -> l.deleted(name));
    return report;
  }

  /**
   * Verifies many contexts, several at a time (a bounded pool; tasks on one context never
   * overlap). A failed verify does not stop the others: its report has status FAILED.
   *
   * @param names the contexts, in the order the reports are returned
   * @return one report per context
   */
  public List<TaskReport> verifyAll(List<String> names) {
    return runAll(Task.VERIFY, names);
  }

  /**
   * Runs one task on many contexts as a batch: each server is opened once for the whole batch
   * (one SSH connection), the tasks run up to {@link Builder#parallelism(int)} at a time, and the
   * web and DNS servers they change are tested and reloaded once for the batch (once per group of
   * up to 2,000 tasks) rather than once per task. Each task still succeeds or fails (and is rolled
   * back) on its own; if a shared configuration test fails, the tasks are undone and run again in
   * halves, each half a group, down to one task alone, so that only the one that broke it fails
   * (each runs alone at once when the configuration fails its test without them too).
   *
   * @param task the task (one that takes no options, such as verify or install)
   * @param names the contexts, in the order the reports are returned
   * @return one report per context
   */
  public List<TaskReport> runAll(Task task, List<String> names) {
    List<ContextName> parsed = names.stream().map(ContextName::of).toList();
    try (TaskEngine.Batch batch = engine.batch()) {
      List<TaskReport> reports = batch.engine().runGroup(task, parsed, parallelism);
      reports.forEach(this::verified);
      return reports;
    }
  }


  /** Closes what its tasks share (idle database connections, their sweeper thread) and the repository when this instance opened it. */
  @Override
  public void close() {
    try {
      engine.close();
    } finally {
      if (ownsRepository) {
        repository.close();
      }
    }
  }

  @Override
  public String toString() {
    return "Provision[home=" + home + ", repository=" + repository + "]";
  }

  /** Configures a {@link Provision}. */
  public static final class Builder {
    private Path home;
    private ContextRepository repository;
    private ServiceRegistry registry;
    private HostProvider hosts;
    private final List<TaskListener> listeners = new ArrayList<>();
    private FailureInjector injector = FailureInjector.NONE;
    private Duration lockWait = Duration.ofMinutes(5);
    private int parallelism = 4;
    private final List<ContextListener> contextListeners = new ArrayList<>();

    /**
     * @param listener receives every context saved, deleted or verified (secrets redacted); may be
     *     called several times to add several
     * @return this
     */
    public Builder contextListener(ContextListener listener) {
      this.contextListeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    private Builder() {}

    /**
     * @param hosts opens the host of a server for a task (default: the local machine for local
     *     servers, SSH for the others)
     * @return this
     */
    public Builder hosts(HostProvider hosts) {
      this.hosts = Objects.requireNonNull(hosts, "hosts");
      return this;
    }

    /**
     * @param listener receives task events (may be called several times to add several)
     * @return this
     */
    public Builder listener(TaskListener listener) {
      this.listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * @param injector a test hook that makes chosen steps fail
     * @return this
     */
    public Builder failureInjector(FailureInjector injector) {
      this.injector = Objects.requireNonNull(injector, "injector");
      return this;
    }

    /**
     * @param wait how long a task waits for another task on the same context, in this process, on
     *     this machine or on another control node sharing the repository (default 5 minutes)
     * @return this
     */
    public Builder lockWait(Duration wait) {
      this.lockWait = Objects.requireNonNull(wait, "wait");
      return this;
    }

    /**
     * @param threads how many tasks {@link Provision#verifyAll(List)} runs at once (default 4)
     * @return this
     */
    public Builder parallelism(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("parallelism must be at least 1");
      }
      this.parallelism = threads;
      return this;
    }

    /**
     * @param registry the service types to use (default: {@link ServiceRegistry#load()}, every
     *     provider on the class path)
     * @return this
     */
    public Builder registry(ServiceRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * @param home the home directory (default: {@code $PROVISION_HOME}, else {@code ~/.provision})
     * @return this
     */
    public Builder home(Path home) {
      this.home = Objects.requireNonNull(home, "home");
      return this;
    }

    /**
     * @param repository where contexts are stored (default: a {@link FileContextRepository} in the
     *     home); the caller keeps ownership and closes it
     * @return this
     */
    public Builder repository(ContextRepository repository) {
      this.repository = Objects.requireNonNull(repository, "repository");
      return this;
    }

    /** @return the configured instance */
    public Provision build() {
      return new Provision(this);
    }
  }
}
