package net.aegirj.provision.core.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextNotFoundException;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.HostProvider;
import net.aegirj.provision.spi.ServiceType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task on many contexts ({@link TaskEngine#runGroup}): the engine prepares each task, the
 * group tests and reloads each changed service once, and the engine finishes each task. A batch is
 * one group when it fits ({@link #groupSize()}). When the shared test or reload fails, the tasks are
 * undone. When it was the configuration test and the configuration passes it again without the
 * group's changes, the group is split in halves, each run as a group again, down to tasks run
 * alone: one task that breaks the configuration costs about two shared tests per halving, not one
 * per task. Otherwise (a failed reload, a configuration broken without the group) each task runs
 * alone, as a single task would.
 */
final class GroupRun {
  /** The engine's logger: the command line quiets it by that name ({@code CliLogging}). */
  private static final Logger LOG = LoggerFactory.getLogger(TaskEngine.class);

  /**
   * The most tasks a group holds at once (each holds its context's lock, its intent journal and
   * what its steps prepared until the shared reload); a larger batch is run as several groups.
   */
  static final int MAX_GROUP = 2_000;
  /** The fewest tasks a group may hold, however few file descriptors are left. */
  static final int MIN_GROUP = 16;
  /**
   * File descriptors a held task may keep open: its lock file and its journal, with room for a
   * step's own while it runs.
   */
  static final int DESCRIPTORS_PER_TASK = 4;
  /** File descriptors left to everything else (connections, the web server's processes, logs). */
  static final int DESCRIPTORS_SPARE = 256;

  private final TaskEngine engine;
  private final ContextService contexts;
  private final ServiceRegistry registry;
  private final HostProvider hosts;
  private final ContextLocks locks;

  /**
   * @param engine prepares, finishes, and runs alone the group's tasks
   * @param contexts the contexts
   * @param hosts opens hosts of servers (the engine's)
   * @param locks per-context task locks
   */
  GroupRun(TaskEngine engine, ContextService contexts, HostProvider hosts, ContextLocks locks) {
    this.engine = engine;
    this.contexts = contexts;
    this.registry = contexts.registry();
    this.hosts = hosts;
    this.locks = locks;
  }

  /** See {@link TaskEngine#runGroup}. */
  List<TaskReport> run(Task task, List<ContextName> names, int threads) {
    if (new HashSet<>(names).size() != names.size()) {
      throw new InvalidContextException(names.toString(), null, "names a context more than once; a batch runs "
          + task.id() + " once per context");
    }
    for (ContextName n : names) {
      // A task that does not apply to a context is refused before anything runs; a context that
      // cannot run (missing, busy) gets its own failed report below.
      try {
        TaskEngine.requireTask(contexts.load(n).context(), task);
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
    // Reads the service types make once for the batch (StepContext.batch), closed when it ends.
    try (SharedResources batch = new SharedResources()) {
      int size = groupSize();
      for (int from = 0; from < names.size(); from += size) {
        out.addAll(runOneGroup(task, names.subList(from, Math.min(names.size(), from + size)), pool, batch));
      }
    } finally {
      pool.shutdownNow();
    }
    return out;
  }

  /**
   * How many tasks one group holds: {@value #MAX_GROUP}, or fewer when the process may not open
   * {@value #DESCRIPTORS_PER_TASK} file descriptors a task (beyond {@value #DESCRIPTORS_SPARE} for
   * everything else), but never fewer than {@value #MIN_GROUP}.
   */
  static int groupSize() {
    return groupSize(OpenFiles.free());
  }

  /**
   * @param freeDescriptors how many more file descriptors the process may open, if known
   * @return how many tasks one group holds
   */
  static int groupSize(java.util.OptionalLong freeDescriptors) {
    if (freeDescriptors.isEmpty()) {
      return MAX_GROUP;
    }
    long fit = (freeDescriptors.getAsLong() - DESCRIPTORS_SPARE) / DESCRIPTORS_PER_TASK;
    return (int) Math.max(MIN_GROUP, Math.min(MAX_GROUP, fit));
  }

  /** A task of a group: its lock, and what it became. */
  private static final class Member {
    final ContextName name;
    ContextLocks.Held lock;
    TaskEngine.Prepared prepared;
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

  private List<TaskReport> runOneGroup(Task task, List<ContextName> names, ExecutorService pool,
      SharedResources batch) {
    prefetch(task, names);
    List<Member> members = names.stream().map(Member::new).toList();
    List<Future<?>> started = new ArrayList<>();
    for (Member m : members) {
      started.add(pool.submit(() -> {
        try {
          m.lock = locks.lock(m.name);
          m.prepared = engine.prepare(task, m.name, false, Map.of(), batch);
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
        flushHeld();
        reloaded = groupReload(ok);
      } catch (RuntimeException e) {
        LOG.warn("{} of {} contexts: the shared reload failed ({}); the tasks are undone", task, ok.size(),
            TaskEngine.message(e));
        for (int i = ok.size() - 1; i >= 0; i--) {
          discard(ok.get(i));
        }
        if (e instanceof GroupReloadFailedException g && !g.test) {
          reloadRestored(g.services);
        }
        // Halving finds the task whose files break the configuration test. A failed reload, a
        // failed transfer, or a configuration that fails its test without the group's changes
        // too, is no task's doing: halving would prepare and undo every task once per halving,
        // so each task runs alone instead, as a single task would.
        boolean halve = ok.size() > 1 && e instanceof GroupReloadFailedException g && g.test && restoredPasses(g.services);
        if (!halve) {
          for (Member m : ok) {
            try {
              m.report = engine.run(task, m.name, false);
            } catch (TaskFailedException tf) {
              m.report = tf.report();
            } catch (ProvisionException pe) {
              m.report = notRun(task, m.name, pe);
            }
          }
        } else {
          // Halves, each a group again: the halves without the task that broke the shared test
          // succeed with one test and reload each, the other is split again.
          int half = ok.size() / 2;
          for (List<Member> part : List.of(ok.subList(0, half), ok.subList(half, ok.size()))) {
            List<TaskReport> reports = runOneGroup(task, part.stream().map(m -> m.name).toList(), pool, batch);
            for (int i = 0; i < part.size(); i++) {
              part.get(i).report = reports.get(i);
            }
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

  /**
   * Asks each web server of the group's sites, once, for the state of every path their steps
   * will check ({@link Host#prefetch}): the paths the application and the web server's service
   * types declare. An optimisation: when it fails, the steps check each path themselves.
   */
  private void prefetch(Task task, List<ContextName> names) {
    if (!(hosts instanceof SharedHosts)) {
      return; // the batch's hosts are not kept open for its tasks: nothing to gather for
    }
    Map<ContextName, List<Path>> roots = new LinkedHashMap<>();
    Map<ContextName, ResolvedContext> servers = new LinkedHashMap<>();
    Map<ContextName, List<ResolvedContext>> remoteWebServers = new LinkedHashMap<>(); // by platform
    for (ContextName n : names) {
      try {
        if (!(contexts.load(n).context() instanceof Site site)) {
          continue;
        }
        List<ResolvedContext> webs = remoteWebServers.computeIfAbsent(site.platform().orElseThrow(), p ->
            PlatformKeys.webServers(contexts.resolve(p)).stream().map(w -> servers.computeIfAbsent(w, contexts::resolve))
                .filter(w -> !hosts.open(w).isLocal()).toList());
        if (webs.isEmpty()) {
          continue; // local files: a check costs a system call, nothing to gather
        }
        ResolvedContext target = contexts.resolve(n);
        for (ResolvedContext web : webs) {
          List<Path> paths = roots.computeIfAbsent(web.name(), k -> new ArrayList<>());
          registry.applications().forEach(app -> paths.addAll(app.checkedPaths(task, target)));
          registry.selected((Server) web.context()).values().forEach(t -> paths.addAll(t.checkedPaths(task, target, web)));
        }
      } catch (ProvisionException | ClassCastException | NoSuchElementException e) {
        LOG.debug("{}: nothing to prefetch: {}", n, e.getMessage());
      }
    }
    roots.forEach((server, paths) -> {
      if (!paths.isEmpty()) {
        try {
          hosts.open(servers.get(server)).prefetch(paths);
        } catch (RuntimeException e) {
          LOG.warn("{}: gathering the state of {} paths for the batch failed, each is checked on its own: {}",
              server, paths.size(), TaskEngine.message(e));
        }
      }
    });
  }

  /**
   * Applies the changes the batch's hosts held back while the steps ran ({@link Host#flush});
   * when that fails, the group's tasks are undone and run again alone, as after a failed reload.
   */
  private void flushHeld() {
    if (hosts instanceof SharedHosts shared) {
      shared.flush();
    }
  }

  private static TaskReport notRun(Task task, ContextName name, ProvisionException e) {
    // Not a step failure (a missing context, a lock held too long): reported as failed without
    // dropping the other reports.
    return new TaskReport(task, name, TaskReport.Status.FAILED, List.of(), List.of(), List.of(), Duration.ZERO,
        Optional.of(e.getMessage()));
  }

  private TaskReport finishCatching(TaskEngine.Prepared p, List<String> reloads) {
    try {
      return engine.finish(p, reloads);
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
    // Each phase runs on every server at once (a platform's several web servers), and every
    // server is tested before any is reloaded.
    for (Pending p : pending) {
      p.run().current = new StepRecorder(Integer.MAX_VALUE);
    }
    try {
      PerServer.run(pending, Pending::server, p -> {
        Optional<Command> test = p.type().configTestCommand(p.rs());
        if (test.isPresent()) {
          var result = p.run().host(p.server()).run(test.get());
          if (!result.succeeded()) {
            throw new HostCommandException(result.host(), result.command(),
                result.exitCode(), result.stderrTail(), "(the shared " + p.service() + " configuration test) failed");
          }
        }
      });
    } catch (RuntimeException e) {
      throw new GroupReloadFailedException(e, true, pending.stream().map(p -> new Reloaded(p.server(), p.type(), p.rs()))
          .toList());
    }
    List<Pending> reloadedNow = Collections.synchronizedList(new ArrayList<>());
    Map<ReloadKey, List<String>> reloadedBy = Collections.synchronizedMap(done);
    try {
      PerServer.run(pending, Pending::server, p -> {
        Optional<Command> cmd = p.type().reloadCommand(p.rs());
        if (cmd.isPresent()) {
          reloadedNow.add(p);
          p.type().beforeReload(p.rs(), p.run().rawHost(p.server()));
          p.run().host(p.server()).run(cmd.get()).orThrow();
          reloadedBy.put(p.key(), List.of(p.server() + ": " + p.service()));
        }
      });
      List<String> problems = Collections.synchronizedList(new ArrayList<>());
      PerServer.run(List.copyOf(reloadedNow), Pending::server,
          p -> p.type().checkReload(p.rs(), p.run().host(p.server())).ifPresent(problems::add));
      if (!problems.isEmpty()) {
        throw new Reloads.ReloadCheckFailedException("(the shared reload) " + String.join("; ", problems));
      }
    } catch (RuntimeException e) {
      // The services saw the group's files: once the tasks are undone they must see the restored ones.
      throw new GroupReloadFailedException(e, false, List.copyOf(reloadedNow).stream()
          .map(p -> new Reloaded(p.server(), p.type(), p.rs())).toList());
    }
    for (Member m : ok) {
      m.prepared.run.reloaded = true;
    }
    return done;
  }

  /** A service a group tested or reloaded. */
  private record Reloaded(ContextName server, ServiceType type, ResolvedContext rs) {}

  /**
   * After a group whose shared configuration test failed was undone: tests each of those
   * configurations again, now without the group's changes.
   *
   * @return whether every one passes, so that the failure was the group's doing
   */
  private boolean restoredPasses(List<Reloaded> tested) {
    for (Reloaded r : tested) {
      Optional<Command> test = r.type().configTestCommand(r.rs());
      if (test.isEmpty()) {
        continue;
      }
      try (Host host = hosts.open(r.rs())) {
        if (!host.run(test.get()).succeeded()) {
          LOG.warn("{}: the {} configuration fails its test without the group's changes too: each task runs alone",
              r.server(), r.type().service());
          return false;
        }
      } catch (RuntimeException e) {
        LOG.warn("{}: testing the {} configuration without the group's changes failed: {}", r.server(),
            r.type().service(), TaskEngine.message(e));
        return false;
      }
    }
    return true;
  }

  /**
   * A group's shared configuration test failed (nothing was reloaded), or its shared reload did,
   * or a service did not serve the group's configuration after it.
   */
  private static final class GroupReloadFailedException extends ProvisionException {
    private static final long serialVersionUID = 1L;
    /** Whether it was the configuration test; {@link #services} were then tested, else reloaded. */
    private final boolean test;
    private final transient List<Reloaded> services;

    GroupReloadFailedException(RuntimeException cause, boolean test, List<Reloaded> services) {
      super(TaskEngine.message(cause), cause);
      this.test = test;
      this.services = services;
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
        LOG.warn("{}: reloading {} after undoing the group failed: {}", r.server(), r.type().service(), TaskEngine.message(e));
      }
    }
  }
}
