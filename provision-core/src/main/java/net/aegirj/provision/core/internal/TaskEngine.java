package net.aegirj.provision.core.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextNotFoundException;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.api.TaskReport.StepReport;
import net.aegirj.provision.api.TaskReport.StepStatus;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.spi.Application;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.FailureInjector;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.HostProvider;
import net.aegirj.provision.spi.Service;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.Step;
import net.aegirj.provision.spi.StepContext;
import net.aegirj.provision.spi.TaskListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans and runs tasks: resolves the context graph, asks the core and the service types on the
 * servers involved for their steps, runs them in order through journaled hosts (one per server
 * per task), rolls back on the first failure, and reloads each changed service once at the end.
 */
public final class TaskEngine {
  private static final Logger LOG = LoggerFactory.getLogger(TaskEngine.class);

  private final ContextService contexts;
  private final ServiceRegistry registry;
  private final HostProvider hosts;
  private final List<TaskListener> listeners;
  private final FailureInjector injector;
  private final ContextLocks locks;
  private final Reloads reloads;
  private final IntentJournal intents;
  private final IntentSettler settler;
  private final SharedResources shared;

  /**
   * @param contexts the contexts
   * @param hosts opens hosts of servers
   * @param listeners receive events
   * @param injector test hook that fails chosen steps
   * @param locks per-context task locks
   */
  public TaskEngine(ContextService contexts, HostProvider hosts, List<TaskListener> listeners,
      FailureInjector injector, ContextLocks locks) {
    this(contexts, hosts, listeners, injector, locks, new SharedResources());
  }

  private TaskEngine(ContextService contexts, HostProvider hosts, List<TaskListener> listeners,
      FailureInjector injector, ContextLocks locks, SharedResources shared) {
    this.shared = shared;
    this.contexts = contexts;
    this.registry = contexts.registry();
    this.hosts = hosts;
    this.listeners = List.copyOf(listeners);
    this.injector = injector;
    this.locks = locks;
    this.reloads = new Reloads(registry, new ReloadDebts(locks.directory().resolve("reload-owed")));
    // <home>/state/intents: the lock directory is <home>/locks
    this.intents = new IntentJournal(locks.directory().resolveSibling("state").resolve("intents"));
    this.settler = new IntentSettler(contexts, intents);
  }

  /**
   * Starts a batch: the returned engine's tasks share one host per server (one SSH connection for
   * a whole {@code verifyAll}) until the batch is closed.
   *
   * @return the batch
   */
  public Batch batch() {
    SharedHosts shared = new SharedHosts(hosts);
    return new Batch(new TaskEngine(contexts, shared, listeners, injector, locks, this.shared), shared);
  }

  /**
   * Closes what the tasks of this engine (and its batches) share for the life of their {@code
   * Provision} ({@link StepContext#shared}): idle connections, their sweeper thread.
   */
  public void close() {
    shared.close();
  }

  /**
   * Tasks that share their hosts.
   *
   * @param engine runs the batch's tasks
   * @param hosts the shared hosts, closed with the batch
   */
  public record Batch(TaskEngine engine, AutoCloseable hosts) implements AutoCloseable {
    @Override
    public void close() {
      try {
        hosts.close();
      } catch (Exception e) {
        LOG.warn("closing the batch's hosts failed: {}", e.getMessage());
      }
    }
  }

  /** A planned step and where its reloads belong. */
  record Planned(Step step, String service, ContextName server) {}

  /**
   * Runs (or plans) a task.
   *
   * @param task the task
   * @param name the context
   * @param planOnly true to list the steps and changes without changing anything
   * @return the report
   * @throws TaskFailedException when a step failed; completed steps were rolled back
   */
  public TaskReport run(Task task, ContextName name, boolean planOnly) {
    return run(task, name, planOnly, Map.of());
  }

  /**
   * Runs (or plans) a task with options.
   *
   * @param task the task
   * @param name the context
   * @param planOnly true to list the steps and changes without changing anything
   * @param options the task's options (e.g. {@code file} for backup)
   * @return the report
   * @throws TaskFailedException when a step failed; completed steps were rolled back
   */
  public TaskReport run(Task task, ContextName name, boolean planOnly, Map<String, String> options) {
    if (planOnly) {
      return execute(task, name, true, options);
    }
    try (ContextLocks.Held ignored = locks.lock(name)) {
      return execute(task, name, false, options);
    }
  }

  /** How many tasks of a group share one configuration test and reload. */
  static final int GROUP_SIZE = 250;

  /**
   * Runs one task on many contexts, sharing configuration tests and reloads. The tasks' steps run
   * (up to {@code threads} at a time, each under its context's lock); then each changed service
   * is tested once and reloaded once for the whole group (at most {@value #GROUP_SIZE} tasks),
   * and the tasks end. A task whose steps fail is rolled back on its own. When a shared
   * configuration test or reload fails, every task of the group is rolled back and run again
   * alone, with its own test, so that only the task that broke the configuration fails.
   *
   * @param task the task
   * @param names the contexts, in the order of the reports
   * @param threads how many tasks run their steps at once
   * @return one report per context (failed ones included)
   */
  public List<TaskReport> runGroup(Task task, List<ContextName> names, int threads) {
    if (new HashSet<>(names).size() != names.size()) {
      throw new InvalidContextException(names.toString(), null, "names a context more than once; a batch runs "
          + task.id() + " once per context");
    }
    for (ContextName n : names) {
      // A task that does not apply to a context is refused before anything runs; a context that
      // cannot run (missing, busy) gets its own failed report below.
      try {
        requireTask(contexts.load(n).context(), task);
      } catch (ContextNotFoundException e) {
        LOG.debug("{}: {}", n, e.getMessage());
      }
    }
    List<TaskReport> out = new ArrayList<>();
    AtomicInteger made = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(
        Math.max(1, Math.min(threads, names.size())), r -> {
          Thread t = new Thread(r, "provision-batch-" + task.id() + "-" + made.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    try {
      for (int from = 0; from < names.size(); from += GROUP_SIZE) {
        out.addAll(runOneGroup(task, names.subList(from, Math.min(names.size(), from + GROUP_SIZE)), pool));
      }
    } finally {
      pool.shutdownNow();
    }
    return out;
  }

  /** A task of a group: its lock, and what it became. */
  private static final class Member {
    final ContextName name;
    ContextLocks.Held lock;
    Prepared prepared;
    TaskReport report;

    Member(ContextName name) {
      this.name = name;
    }

    private boolean closed;

    void release() {
      if (prepared != null && !closed) {
        closed = true;
        prepared.run.close();
      }
      if (lock != null) {
        lock.close();
        lock = null;
      }
    }
  }

  private List<TaskReport> runOneGroup(Task task, List<ContextName> names, ExecutorService pool) {
    List<Member> members = names.stream().map(Member::new).toList();
    List<Future<?>> started = new ArrayList<>();
    for (Member m : members) {
      started.add(pool.submit(() -> {
        try {
          m.lock = locks.lock(m.name);
          m.prepared = prepare(task, m.name, false, Map.of());
          m.prepared.run.idleResources();
        } catch (ProvisionException e) {
          m.release();
          m.report = notRun(task, m.name, e);
        }
      }));
    }
    try {
      for (Future<?> f : started) {
        f.get();
      }
      List<Member> ok = new ArrayList<>();
      for (Member m : members) {
        if (m.prepared == null) {
          continue;
        }
        if (m.prepared.failure != null) {
          m.report = finishCatching(m.prepared, List.of());
          m.release();
        } else {
          ok.add(m);
        }
      }
      Map<ReloadKey, List<String>> reloaded;
      try {
        reloaded = groupReload(ok);
      } catch (RuntimeException e) {
        LOG.warn("{} of {} contexts: the shared reload failed ({}); each task runs again with its own", task,
            ok.size(), message(e));
        for (int i = ok.size() - 1; i >= 0; i--) {
          discard(ok.get(i));
        }
        if (e instanceof GroupReloadFailedException g) {
          reloadRestored(g.reloaded);
        }
        for (Member m : ok) {
          try {
            m.report = run(task, m.name, false);
          } catch (TaskFailedException tf) {
            m.report = tf.report();
          } catch (ProvisionException pe) {
            m.report = notRun(task, m.name, pe);
          }
        }
        return members.stream().map(x -> x.report).toList();
      }
      List<Future<?>> finishing = new ArrayList<>();
      for (Member m : ok) {
        finishing.add(pool.submit(() -> {
          List<String> mine = new ArrayList<>();
          for (ReloadKey key : m.prepared.run.pendingReloads) {
            mine.addAll(reloaded.getOrDefault(key, List.of()));
          }
          m.report = finishCatching(m.prepared, mine);
          m.release();
        }));
      }
      for (Future<?> f : finishing) {
        f.get();
      }
      return members.stream().map(x -> x.report).toList();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProvisionException("interrupted while running " + task.id() + " on " + names.size() + " contexts", e);
    } catch (ExecutionException e) {
      throw new ProvisionException(task.id() + " failed: " + e.getCause(), e.getCause());
    } finally {
      members.forEach(Member::release);
    }
  }

  private static TaskReport notRun(Task task, ContextName name, ProvisionException e) {
    // Not a step failure (a missing context, a lock held too long): reported as failed without
    // dropping the other reports.
    return new TaskReport(task, name, TaskReport.Status.FAILED, List.of(), List.of(), List.of(), Duration.ZERO,
        Optional.of(e.getMessage()));
  }

  private TaskReport finishCatching(Prepared p, List<String> reloads) {
    try {
      return finish(p, reloads);
    } catch (TaskFailedException e) {
      return e.report();
    }
  }

  /** Undoes a prepared task that is to run again alone; nothing was reloaded for it. */
  private void discard(Member m) {
    TaskRun run = m.prepared.run;
    run.reconnectLostHosts();
    List<String> failures = run.journal.rollback();
    run.settleReloadDebts(false, failures.isEmpty());
    run.endIntents(failures.isEmpty());
    if (!failures.isEmpty()) {
      LOG.warn("{}: undoing before running again alone: {}", m.name, String.join("; ", failures));
    }
    m.release();
    m.prepared = null;
  }

  /**
   * Tests every service the group's tasks changed, once per server, then reloads each once.
   *
   * @return per server and service: what the reports list as reloaded
   */
  private Map<ReloadKey, List<String>> groupReload(List<Member> ok) {
    Map<ReloadKey, Member> owner = new LinkedHashMap<>();
    for (Member m : ok) {
      for (ReloadKey key : m.prepared.run.pendingReloads) {
        owner.putIfAbsent(key, m);
      }
    }
    Map<ReloadKey, List<String>> done = new LinkedHashMap<>();
    record Pending(ReloadKey key, ContextName server, String service, ServiceType type, ResolvedContext rs, TaskRun run) {}
    List<Pending> pending = new ArrayList<>();
    for (Map.Entry<ReloadKey, Member> e : owner.entrySet()) {
      TaskRun run = e.getValue().prepared.run;
      ContextName server = e.getKey().server();
      String service = e.getKey().service();
      ResolvedContext rs = run.resolve(server);
      pending.add(new Pending(e.getKey(), server, service, registry.selected((Server) rs.context()).get(service), rs, run));
    }
    for (Pending p : pending) {
      p.run().current = new StepRecorder(Integer.MAX_VALUE);
      Optional<Command> test = p.type().configTestCommand(p.rs());
      if (test.isPresent()) {
        var result = p.run().host(p.server()).run(test.get());
        if (!result.succeeded()) {
          throw new HostCommandException(result.host(), result.command(),
              result.exitCode(), result.stderrTail(), "(the shared " + p.service() + " configuration test) failed");
        }
      }
    }
    List<Pending> reloadedNow = new ArrayList<>();
    try {
      for (Pending p : pending) {
        Optional<Command> cmd = p.type().reloadCommand(p.rs());
        if (cmd.isPresent()) {
          reloadedNow.add(p);
          p.type().beforeReload(p.rs(), p.run().rawHost(p.server()));
          p.run().host(p.server()).run(cmd.get()).orThrow();
          done.put(p.key(), List.of(p.server() + ": " + p.service()));
        }
      }
      List<String> problems = new ArrayList<>();
      for (Pending p : reloadedNow) {
        p.type().checkReload(p.rs(), p.run().host(p.server())).ifPresent(problems::add);
      }
      if (!problems.isEmpty()) {
        throw new Reloads.ReloadCheckFailedException("(the shared reload) " + String.join("; ", problems));
      }
    } catch (RuntimeException e) {
      // The services saw the group's files: once the tasks are undone they must see the restored ones.
      throw new GroupReloadFailedException(e, reloadedNow.stream()
          .map(p -> new Reloaded(p.server(), p.type(), p.rs())).toList());
    }
    for (Member m : ok) {
      m.prepared.run.reloaded = true;
    }
    return done;
  }

  /** A service a group reloaded. */
  private record Reloaded(ContextName server, ServiceType type, ResolvedContext rs) {}

  /** A shared reload failed, or a service did not serve the group's configuration after it. */
  private static final class GroupReloadFailedException extends ProvisionException {
    private static final long serialVersionUID = 1L;
    private final transient List<Reloaded> reloaded;

    GroupReloadFailedException(RuntimeException cause, List<Reloaded> reloaded) {
      super(message(cause), cause);
      this.reloaded = reloaded;
    }
  }

  /**
   * After a group's tasks were undone: reloads what the group had reloaded, so that each service
   * serves the restored files before the tasks run again alone, and asks each whether it does.
   */
  private void reloadRestored(List<Reloaded> reloaded) {
    for (Reloaded r : reloaded) {
      try (Host host = hosts.open(r.rs())) {
        r.type().reloadCommand(r.rs()).ifPresent(cmd -> {
          r.type().beforeReload(r.rs(), host);
          host.run(cmd).orThrow();
        });
        r.type().checkReload(r.rs(), host).ifPresent(problem ->
            LOG.warn("{}: after undoing the group, {}", r.server(), problem));
      } catch (RuntimeException e) {
        LOG.warn("{}: reloading {} after undoing the group failed: {}", r.server(), r.type().service(), message(e));
      }
    }
  }

  /** A task whose steps have run: it waits for its reloads and its end. */
  private static final class Prepared {
    final Task task;
    final ContextName name;
    final boolean planOnly;
    final long start;
    final List<Planned> steps;
    final TaskRun run;
    final List<StepReport> reports = new ArrayList<>();
    Throwable failure;
    int failedAt = -1;

    Prepared(Task task, ContextName name, boolean planOnly, long start, List<Planned> steps, TaskRun run) {
      this.task = task;
      this.name = name;
      this.planOnly = planOnly;
      this.start = start;
      this.steps = steps;
      this.run = run;
    }
  }

  private TaskReport execute(Task task, ContextName name, boolean planOnly, Map<String, String> options) {
    Prepared p = prepare(task, name, planOnly, options);
    try {
      List<String> reloads = new ArrayList<>();
      if (p.failure == null) {
        try {
          reloads = this.reloads.reload(p.run, planOnly);
        } catch (RuntimeException e) {
          p.failure = e;
          p.failedAt = p.steps.size();
        }
      }
      return finish(p, reloads);
    } finally {
      p.run.close();
    }
  }

  /** Runs a task's steps, up to the first failure; the caller reloads and then calls finish. */
  private Prepared prepare(Task task, ContextName name, boolean planOnly, Map<String, String> options) {
    long start = System.nanoTime();
    ResolvedContext target = contexts.resolve(name);
    List<Planned> steps = plan(task, target);
    TaskRun run = new TaskRun(contexts, hosts, shared, intents, task, target, planOnly);
    run.options.putAll(options);
    Prepared prepared = new Prepared(task, name, planOnly, start, steps, run);
    List<StepReport> reports = prepared.reports;
    try {
      if (!planOnly) {
        settler.settleLeftIntents(run);
      }
      emit(l -> l.taskStarted(task, name, steps.size()));
      for (int i = 0; i < steps.size(); i++) {
        Planned p = steps.get(i);
        int index = i + 1;
        emit(l -> l.stepStarted(name, index, p.step().name()));
        StepRecorder rec = new StepRecorder(index);
        run.current = rec;
        run.currentService = p.service();
        long t0 = System.nanoTime();
        StepReport r;
        try {
          if (!planOnly) {
            reloads.oweReload(run, p);
            injector.beforeStep(task, name, index, p.step().name());
          }
          p.step().run(run);
          StepStatus status = planOnly ? StepStatus.PLANNED
              : !rec.changes.isEmpty() ? StepStatus.CHANGED
              : rec.skipReason != null ? StepStatus.SKIPPED : StepStatus.UNCHANGED;
          r = new StepReport(p.step().name(), status, Duration.ofNanos(System.nanoTime() - t0),
              rec.changes, rec.commands, rec.skipReason);
        } catch (Exception | Error e) {
          prepared.failure = e;
          prepared.failedAt = i;
          r = new StepReport(p.step().name(), StepStatus.FAILED, Duration.ofNanos(System.nanoTime() - t0),
              rec.changes, rec.commands, message(e));
        }
        reports.add(r);
        StepReport done = r;
        emit(l -> l.stepFinished(name, index, done));
        if (prepared.failure != null) {
          break;
        }
      }
    } catch (RuntimeException | Error e) {
      run.close();
      throw e;
    }
    return prepared;
  }

  /**
   * Ends a prepared task whose reloads are done: its clean-ups and its report, or (when it failed)
   * the rollback and the failure.
   */
  private TaskReport finish(Prepared prepared, List<String> reloads) {
    Task task = prepared.task;
    ContextName name = prepared.name;
    boolean planOnly = prepared.planOnly;
    long start = prepared.start;
    List<Planned> steps = prepared.steps;
    TaskRun run = prepared.run;
    List<StepReport> reports = prepared.reports;
    Throwable failure = prepared.failure;
    int failedAt = prepared.failedAt;
    if (failure == null && !planOnly) {
      for (Map.Entry<String, Runnable> e : run.cleanups.entrySet()) {
        try {
          e.getValue().run();
        } catch (RuntimeException ex) {
          run.warn("clean-up '" + e.getKey() + "' failed: " + message(ex));
        }
      }
      for (String f : run.journal.commit()) {
        run.warn("clean-up " + f);
      }
    }
    if (failure == null) {
      run.settleReloadDebts(true, true);
      run.endIntents(true);
      TaskReport report = new TaskReport(task, name, planOnly ? TaskReport.Status.PLANNED
          : TaskReport.Status.SUCCEEDED, reports, reloads, run.warnings,
          Duration.ofNanos(System.nanoTime() - start), Optional.empty(), run.results);
      emit(l -> l.taskFinished(report));
      LOG.info("{}", report.summary());
      return report;
    }
    // A connection that dropped during the task is opened again, so its changes can be undone.
    run.reconnectLostHosts();
    List<String> rollbackFailures = run.journal.rollback();
    if (!rollbackFailures.isEmpty() || run.reloaded) {
      // Whatever was reloaded must see the restored files.
      rollbackFailures.addAll(this.reloads.afterRollback(run));
    }
    run.settleReloadDebts(false, rollbackFailures.isEmpty());
    run.endIntents(rollbackFailures.isEmpty());
    List<StepReport> finalReports = new ArrayList<>();
    for (int i = 0; i < reports.size(); i++) {
      StepReport s = reports.get(i);
      boolean undone = i < failedAt && (s.status() == StepStatus.CHANGED || run.journal.touched(i + 1));
      finalReports.add(undone ? new StepReport(s.name(), StepStatus.ROLLED_BACK, s.duration(),
          s.changes(), s.commands(), s.message()) : s);
    }
    for (int i = reports.size(); i < steps.size(); i++) {
      finalReports.add(new StepReport(steps.get(i).step().name(), StepStatus.NOT_RUN, Duration.ZERO,
          List.of(), List.of(), ""));
    }
    String where = failedAt < steps.size() ? "step '" + steps.get(failedAt).step().name() + "'" : "reload";
    String outcome = rollbackFailures.isEmpty()
        ? "rolled back " + run.journal.size() + " change(s)"
            + (run.rollbackNotes.isEmpty() ? "" : "; " + String.join("; ", run.rollbackNotes))
        : "rollback incomplete: " + String.join("; ", rollbackFailures);
    TaskReport report = new TaskReport(task, name, TaskReport.Status.FAILED, finalReports, List.of(),
        run.warnings, Duration.ofNanos(System.nanoTime() - start),
        Optional.of(where + " failed: " + message(failure) + "; " + outcome));
    emit(l -> l.taskFinished(report));
    LOG.warn("{}", report.summary());
    throw new TaskFailedException(report, failure, rollbackFailures.isEmpty());
  }


  /** The engine's own service: its steps, and its intents (a path moved aside by a journaled host). */
  static final String CORE = "core";

  static String message(Throwable e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }

  private void emit(Consumer<TaskListener> event) {
    for (TaskListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        LOG.warn("task listener {} failed: {}", l, e.toString());
      }
    }
  }

  /**
   * Lists a task's steps for a context, in the order {@link StepOrder} declares: for a server the
   * core's, then every selected type's; for a platform or site each part's in turn.
   */
  private List<Planned> plan(Task task, ResolvedContext target) {
    Context c = target.context();
    requireTask(c, task);
    List<Planned> out = new ArrayList<>();
    if (c instanceof Server s) {
      for (Step step : CoreSteps.serverVerify(target)) {
        out.add(new Planned(step, CORE, null));
      }
      for (Map.Entry<String, ServiceType> e : registry.selected(s).entrySet()) {
        for (Step step : e.getValue().steps(task, target, target)) {
          out.add(new Planned(step, e.getKey(), target.name()));
        }
      }
      return out;
    }
    ContextName web;
    ContextName db = ContextName.MASTER;
    if (c instanceof Site site) {
      Platform platform = (Platform) contexts.load(site.platform().orElseThrow()).context();
      web = platform.webServer().orElse(ContextName.MASTER);
      db = site.dbServer().orElse(ContextName.MASTER);
    } else {
      web = ((Platform) c).webServer().orElse(ContextName.MASTER);
    }
    Map<String, Service> services = new LinkedHashMap<>();
    registry.serviceList().forEach(sv -> services.put(sv.name(), sv));
    for (String part : StepOrder.parts(c.type(), task, registry.serviceList())) {
      switch (part) {
        case StepOrder.APPLICATIONS -> {
          for (Application app : registry.applications()) {
            for (Step step : app.steps(task, target)) {
              out.add(new Planned(step, "app", null));
            }
          }
        }
        case StepOrder.SET_ENABLED -> {
          String value = Boolean.toString(task == Task.ENABLE);
          out.add(new Planned(Step.of("site: set site_enabled=" + value, ctx -> ctx.save(target.name(),
              PropertyChanges.builder().set(SiteKeys.SITE_ENABLED.name(), value).build())), CORE, null));
        }
        default -> {
          ContextName server = switch (services.get(part).placement()) {
            case WEB_SERVER -> web;
            case DB_SERVER -> db;
            case MASTER -> ContextName.MASTER;
          };
          addService(out, task, target, server, part);
        }
      }
    }
    return out;
  }

  private void addService(List<Planned> out, Task task, ResolvedContext target, ContextName server,
      String service) {
    ResolvedContext rs = contexts.resolve(server);
    ServiceType type = registry.selected((Server) rs.context()).get(service);
    for (Step step : type.steps(task, target, rs)) {
      out.add(new Planned(step, service, server));
    }
  }

  private static void requireTask(Context c, Task task) {
    requireTask(c, task, StepOrder.tasks(c.type()).toArray(new Task[0]));
  }

  private static void requireTask(Context c, Task task, Task... supported) {
    for (Task t : supported) {
      if (t == task) {
        return;
      }
    }
    List<String> ids = new ArrayList<>();
    for (Task t : supported) {
      ids.add(t.id());
    }
    throw new InvalidContextException(c.name().toString(), null, "the " + task.id()
        + " task does not apply to a " + c.type().id() + " (yet); tasks for a " + c.type().id() + ": "
        + String.join(", ", ids));
  }
}
