package net.aegirj.provision.core.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport.StepReport;
import net.aegirj.provision.api.TaskReport.StepStatus;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.spi.Application;
import net.aegirj.provision.spi.FailureInjector;
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
 *
 * <p>The engine plans and runs single tasks itself; the state a task's steps see is a {@code
 * TaskRun}, its reloads are {@code Reloads}, what killed tasks left is settled by {@code
 * IntentSettler}, and {@link #runGroup} is a {@code GroupRun}.
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
  private final GroupRun groups;
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
    this.groups = new GroupRun(this, contexts, hosts, locks);
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

  /**
   * Runs one task on many contexts, sharing configuration tests and reloads. The tasks' steps run
   * (up to {@code threads} at a time, each under its context's lock); then each changed service
   * is tested once and reloaded once for the whole group (the whole batch, up to
   * {@value GroupRun#MAX_GROUP} tasks or fewer when file descriptors are short), and the tasks end.
   * A task whose steps fail is rolled back on its own. When a shared configuration test or reload
   * fails, every task of the group is rolled back; a configuration that passes its test again
   * without the group's changes has the group halved, each half run as a group again, down to
   * tasks run alone with their own test, so that only the task that broke the configuration fails;
   * any other failure has each task run alone.
   *
   * @param task the task
   * @param names the contexts, in the order of the reports
   * @param threads how many tasks run their steps at once
   * @return one report per context (failed ones included)
   */
  public List<TaskReport> runGroup(Task task, List<ContextName> names, int threads) {
    return groups.run(task, names, threads);
  }

  /** A task whose steps have run: it waits for its reloads and its end. */
  static final class Prepared {
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
  Prepared prepare(Task task, ContextName name, boolean planOnly, Map<String, String> options) {
    return prepare(task, name, planOnly, options, null);
  }

  /**
   * Runs a task's steps, as one of a batch, up to the first failure.
   *
   * @param batch what the tasks of the batch share ({@code StepContext.batch}), or null for a
   *     task run alone
   */
  Prepared prepare(Task task, ContextName name, boolean planOnly, Map<String, String> options,
      SharedResources batch) {
    long start = System.nanoTime();
    ResolvedContext target = contexts.resolve(name);
    List<Planned> steps = plan(task, target, options);
    TaskRun run = new TaskRun(contexts, hosts, shared, intents, task, target, planOnly);
    run.batch = batch;
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
        StepRecorder rec = planOnly ? new StepRecorder(index) : new StepRecorder(index, () -> reloads.owe(run, p));
        run.current = rec;
        run.currentService = p.service();
        long t0 = System.nanoTime();
        StepReport r;
        try {
          if (!planOnly) {
            reloads.takeOverOrphans(run, p);
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
  TaskReport finish(Prepared prepared, List<String> reloads) {
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

  /** A failure's message for reports and logs: the class name when it has none. */
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
   * core's, then every selected type's; for a platform or site each part's in turn, a service
   * placed on the web server once for each of the platform's web servers ({@link WebServers}).
   * A deploy that moves a site from other web servers ({@link #OLD_WEB_SERVER}) also runs, for
   * each service placed on the web server, those servers' delete steps for the site (its vhost
   * goes there).
   */
  private List<Planned> plan(Task task, ResolvedContext target, Map<String, String> options) {
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
    ContextName db = ContextName.MASTER;
    if (c instanceof Site site) {
      db = site.dbServer().orElse(ContextName.MASTER);
    }
    List<ContextName> webs = WebServers.of(contexts, c instanceof Site site ? site.platform().orElseThrow() : c.name());
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
          boolean value = task == Task.ENABLE;
          out.add(new Planned(Step.of("site: set site_enabled=" + value, ctx -> ctx.save(target.name(),
              PropertyChanges.builder().set(SiteKeys.SITE_ENABLED, value).build())), CORE, null));
        }
        default -> {
          List<ContextName> servers = switch (registry.service(part).placement()) {
            case WEB_SERVER -> webs;
            case DB_SERVER -> List.of(db);
            case MASTER -> List.of(ContextName.MASTER);
          };
          for (ContextName server : servers) {
            addService(out, task, target, server, part);
          }
          if (task == Task.DEPLOY && registry.service(part).placement() == Service.Placement.WEB_SERVER) {
            for (ContextName old : oldWebServers(options)) {
              if (!webs.contains(old)) {
                addService(out, Task.DELETE, target, old, part);
              }
            }
          }
        }
      }
    }
    return out;
  }

  /**
   * The deploy option naming the web servers a migrated site leaves (comma-separated): their
   * services' delete steps for the site run there too (undone with the rest if the deploy fails).
   */
  public static final String OLD_WEB_SERVER = "old_web_server";

  /**
   * @param options a task's options
   * @return the web servers {@link #OLD_WEB_SERVER} names
   */
  public static List<ContextName> oldWebServers(Map<String, String> options) {
    String old = options.get(OLD_WEB_SERVER);
    if (old == null || old.isBlank()) {
      return List.of();
    }
    List<ContextName> out = new ArrayList<>();
    for (String s : old.split(",")) {
      out.add(ContextName.of(s.strip()));
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

  static void requireTask(Context c, Task task) {
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
