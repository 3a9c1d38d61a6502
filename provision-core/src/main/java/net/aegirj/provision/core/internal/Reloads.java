package net.aegirj.provision.core.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.ServiceType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task's reloads: the services its changes oblige to reload, tested, reloaded once and checked at
 * its end, and again after a rollback; and the reload debts that outlive a killed task.
 */
final class Reloads {
  /** The engine's logger: the command line quiets it by that name ({@code CliLogging}). */
  private static final Logger LOG = LoggerFactory.getLogger(TaskEngine.class);

  private final ServiceRegistry registry;
  private final ReloadDebts debts;

  /**
   * @param registry the service types
   * @param debts the reloads owed, kept across processes
   */
  Reloads(ServiceRegistry registry, ReloadDebts debts) {
    this.registry = registry;
    this.debts = debts;
  }

  /**
   * Before a service's first step on a server: takes over the debts that killed tasks left for
   * it, reloading it at the end of this task in any case.
   */
  void takeOverOrphans(TaskRun run, TaskEngine.Planned p) {
    ReloadKey key = reloadKey(p);
    if (key == null || !run.checkedOrphans.add(key)) {
      return;
    }
    if (!run.batch(CheckedOrphans.KEY, CheckedOrphans::new).map(c -> c.keys.add(key)).orElse(true)) {
      // Another task of the batch has looked: the batch's one reload pays for what it found, and
      // a debt left since is the next run's. Looking again at every task lists every debt the
      // batch holds, once a task: quadratic in the batch's size.
      return;
    }
    List<ReloadDebts.Debt> orphans = debts.orphans(p.server(), p.service());
    if (!orphans.isEmpty()) {
      LOG.info("{} on {}: a killed task left its configuration unreloaded; it is reloaded at the end of this task",
          p.service(), p.server());
      run.orphanDebts.addAll(orphans);
      run.pendingReloads.add(key);
    }
  }

  /**
   * Before a step of a service changes anything on a host: records, durably, that the service's
   * reload is owed, so that a task killed before its reload leaves the debt to the next task. A
   * step that changes nothing records nothing.
   */
  void owe(TaskRun run, TaskEngine.Planned p) {
    ReloadKey key = reloadKey(p);
    if (key == null) {
      return;
    }
    synchronized (run) {
      if (!run.ownDebts.containsKey(key)) {
        run.ownDebts.put(key, debts.owe(p.server(), p.service()));
      }
    }
  }

  private ReloadKey reloadKey(TaskEngine.Planned p) {
    if (p.server() == null || !registry.services().contains(p.service())) {
      return null;
    }
    return new ReloadKey(p.server(), p.service());
  }

  /**
   * Tests every configuration the task changed, then reloads each changed service once and asks
   * each whether it serves the new configuration.
   *
   * @return what the report lists as reloaded
   */
  List<String> reload(TaskRun run, boolean planOnly) {
    List<String> done = new ArrayList<>();
    record Pending(ContextName server, String service, ServiceType type, ResolvedContext rs) {}
    List<Pending> pending = new ArrayList<>();
    for (ReloadKey key : run.pendingReloads) {
      ResolvedContext rs = run.resolve(key.server());
      pending.add(new Pending(key.server(), key.service(), registry.selected((Server) rs.context()).get(key.service()), rs));
    }
    run.current = new StepRecorder(Integer.MAX_VALUE);
    // Every configuration is tested before anything is reloaded; the servers (a platform's web
    // servers) are tested, reloaded and checked in parallel.
    if (!planOnly) {
      PerServer.run(pending, Pending::server, p -> test(run, p.server(), p.service(), p.type(), p.rs()));
    }
    List<Pending> reloadable = pending.stream().filter(p -> p.type().reloadCommand(p.rs()).isPresent()).toList();
    for (Pending p : reloadable) {
      done.add(p.server() + ": " + p.service());
    }
    if (planOnly) {
      return done;
    }
    if (!reloadable.isEmpty()) {
      run.reloaded = true;
    }
    PerServer.run(reloadable, Pending::server, p -> {
      p.type().beforeReload(p.rs(), run.rawHost(p.server()));
      run.host(p.server()).run(p.type().reloadCommand(p.rs()).orElseThrow()).orThrow();
    });
    // A reload the command accepted may still be refused by the service (nginx keeps its old
    // configuration when it cannot bind a port): each service is asked whether it serves the new one.
    List<String> problems = Collections.synchronizedList(new ArrayList<>());
    PerServer.run(reloadable, Pending::server,
        p -> p.type().checkReload(p.rs(), run.host(p.server())).ifPresent(problems::add));
    if (!problems.isEmpty()) {
      throw new ReloadCheckFailedException(String.join("; ", problems));
    }
    return done;
  }

  /** Runs a service's configuration test on a server; a failure names the service and the output. */
  private static void test(TaskRun run, ContextName server, String service, ServiceType type, ResolvedContext rs) {
    Optional<Command> test = type.configTestCommand(rs);
    if (test.isPresent()) {
      var result = run.host(server).run(test.get());
      if (!result.succeeded()) {
        throw new HostCommandException(result.host(), result.command(),
            result.exitCode(), result.stderrTail() + (result.stdout().isBlank() ? "" : " " + result.stdout().strip()),
            "(the " + service + " configuration test on " + server + ") failed, so nothing was reloaded");
      }
    }
  }

  /**
   * A service reloaded without error does not serve its new configuration ({@link
   * ServiceType#checkReload}); the task is rolled back and the service reloaded again.
   */
  static final class ReloadCheckFailedException extends ProvisionException {
    private static final long serialVersionUID = 1L;

    ReloadCheckFailedException(String message) {
      super(message);
    }
  }

  /**
   * Reloads, after a rollback, what the task changed, so that each service serves the restored
   * files, and asks each whether it does.
   *
   * @return what failed; what worked is added to the run's rollback notes
   */
  List<String> afterRollback(TaskRun run) {
    List<String> failures = new ArrayList<>();
    for (ReloadKey key : run.pendingReloads) {
      String service = key.service();
      try {
        ResolvedContext rs = run.resolve(key.server());
        ServiceType type = registry.selected((Server) rs.context()).get(service);
        Optional<Command> cmd = type.reloadCommand(rs);
        if (cmd.isPresent()) {
          Host raw = run.rawHost(key.server());
          type.beforeReload(rs, raw);
          raw.run(cmd.get()).orThrow();
          Optional<String> problem = type.checkReload(rs, raw);
          if (problem.isPresent()) {
            failures.add("after the rollback and a reload, " + problem.get());
          } else {
            run.rollbackNotes.add(service + " on " + key.server() + " reloaded with the restored files and passed its reload check");
          }
        }
      } catch (RuntimeException ex) {
        failures.add("reload of " + service + " on " + key.server() + " after rollback failed: " + TaskEngine.message(ex));
      }
    }
    return failures;
  }

  /** The services of a batch whose orphaned debts a task of the batch has looked for. */
  private static final class CheckedOrphans implements AutoCloseable {
    static final String KEY = "core.reload-orphans-checked";
    final Set<ReloadKey> keys = ConcurrentHashMap.newKeySet();

    @Override
    public void close() {
      // nothing held
    }
  }
}
