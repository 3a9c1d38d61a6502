package net.aegirj.provision.core.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.Intent;
import net.aegirj.provision.spi.LeftIntent;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles what killed tasks meant to create outside the home (their {@link IntentJournal} records)
 * before the next task on their context, or a verify of their server, runs its steps.
 */
final class IntentSettler {
  /** The engine's logger: the command line quiets it by that name ({@code CliLogging}). */
  private static final Logger LOG = LoggerFactory.getLogger(TaskEngine.class);

  private final ContextService contexts;
  private final ServiceRegistry registry;
  private final IntentJournal intents;

  /**
   * @param contexts the contexts
   * @param intents the tasks' intents
   */
  IntentSettler(ContextService contexts, IntentJournal intents) {
    this.contexts = contexts;
    this.registry = contexts.registry();
    this.intents = intents;
  }

  /**
   * Before a task's steps: settles the intents that killed tasks on its context left (each by the
   * service type that recorded it), and, in a verify of a server, those left on that server for
   * contexts that no longer exist. What cannot be settled now (a server down) is kept for a later
   * task, with a warning; it never stops this task.
   */
  void settleLeftIntents(TaskRun run) {
    List<IntentJournal.Left> left = new ArrayList<>();
    int ownCount;
    try {
      left.addAll(intents.leftFor(run.target.name()));
      ownCount = left.size();
      if (run.target.context().type() == ContextType.SERVER && run.task == Task.VERIFY) {
        for (IntentJournal.Left l : intents.leftAll()) {
          if (l.context() != null && isGone(l.context())
              && l.intents().stream().anyMatch(s -> s.intent().server().equals(run.target.name()))) {
            left.add(l);
          } else {
            l.close();
          }
        }
      }
    } catch (RuntimeException e) {
      left.forEach(IntentJournal.Left::close);
      run.warn("cannot read what killed tasks left in " + intents.directory() + ": " + TaskEngine.message(e));
      return;
    }
    for (int i = 0; i < left.size(); i++) {
      IntentJournal.Left l = left.get(i);
      boolean own = i < ownCount; // its file is named after this context
      Optional<ResolvedContext> saved = own ? Optional.of(run.target) : Optional.empty();
      String who = "a killed " + (l.task() == null ? "task" : l.task().id()) + " of " + l.context()
          + (l.pid() > 0 ? " (process " + l.pid() + ")" : "");
      if (!own) {
        run.warn(who + " left intents on " + run.target.name() + " for a context that no longer exists: "
            + l.intents().stream().map(s -> s.intent().toString()).toList() + "; settling them");
      }
      boolean all = true;
      for (IntentJournal.Stored s : l.intents()) {
        try {
          if (s.intent().service().equals(TaskEngine.CORE)) {
            settleAside(run, s.intent(), who);
            continue;
          }
          ServiceType type = settlingType(s);
          if (type == null) {
            all = false;
            run.warn(who + " meant to create " + s.intent() + ", and no service type '" + s.type() + "' for "
                + s.intent().service() + " is installed to settle it; kept in " + l.file());
            continue;
          }
          LOG.info("{}: settling {} left by {}", run.target.name(), s.intent(), who);
          ContextName of = own ? run.target.name() : l.context();
          if (!type.settle(new Leftover(l, of, s.intent(), saved), run)) {
            all = false;
            run.warn(who + " meant to create " + s.intent() + "; the " + s.intent().service() + " type "
                + type.id() + " did not settle it; kept in " + l.file());
          }
        } catch (RuntimeException e) {
          all = false;
          run.warn(who + " meant to create " + s.intent() + "; settling it failed: " + TaskEngine.message(e)
              + "; a later task tries again");
        }
      }
      if (all) {
        l.remove();
      } else {
        l.close();
      }
    }
  }

  /** The kind of the engine's own intents (service {@value TaskEngine#CORE}): a path a journaled host moved aside. */
  private static final String ASIDE = "moved aside";

  /** The intent a journaled host records before it moves {@code path} aside; {@link #settleAside} reads it. */
  static Intent asideIntent(ContextName server, Path path, Path aside) {
    return new Intent(TaskEngine.CORE, server, ASIDE, path.toString(), List.of(aside.toString()));
  }

  /**
   * Settles a path a killed task moved aside to remove it at its end: put back when nothing took
   * its place (the task never got further, and the next task decides again), removed when
   * something did (the task had replaced it).
   */
  private void settleAside(TaskRun run, Intent intent, String who) {
    if (!intent.kind().equals(ASIDE) || intent.details().size() != 1) {
      throw new ProvisionException("unknown intent " + intent);
    }
    Path path = Path.of(intent.name());
    Path aside = Path.of(intent.details().get(0));
    if (!aside.getParent().equals(path.getParent())
        || !aside.getFileName().toString().startsWith("." + path.getFileName() + ".removed-")) {
      throw new ProvisionException("refusing " + intent + ": the aside is not the path's own");
    }
    Host h = run.rawHost(intent.server());
    if (h.stat(aside).isEmpty()) {
      return;
    }
    if (h.stat(path).isEmpty()) {
      h.rename(aside, path);
      run.warn(who + " moved " + path + " on " + intent.server() + " aside and did not finish; put back");
    } else {
      h.remove(aside);
      run.warn(who + " replaced " + path + " on " + intent.server() + " and did not finish; removed the old copy "
          + aside);
    }
  }

  private boolean isGone(ContextName name) {
    try {
      return contexts.repository().load(name).isEmpty();
    } catch (RuntimeException e) {
      return false; // unreadable is not gone
    }
  }

  private ServiceType settlingType(IntentJournal.Stored s) {
    Optional<ServiceType> byId = registry.find(s.intent().service(), s.type());
    if (byId.isPresent() && byId.get().id() != null) {
      return byId.get();
    }
    try {
      ResolvedContext rs = contexts.resolve(s.intent().server());
      ServiceType selected = registry.selected((Server) rs.context()).get(s.intent().service());
      return selected == null || selected.id() == null ? null : selected;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** An intent of a killed task, as a service type sees it while it settles it. */
  private final class Leftover implements LeftIntent {
    private final IntentJournal.Left left;
    private final ContextName context;
    private final Intent intent;
    private final Optional<ResolvedContext> saved;

    Leftover(IntentJournal.Left left, ContextName context, Intent intent,
        Optional<ResolvedContext> saved) {
      this.left = left;
      this.context = context;
      this.intent = intent;
      this.saved = saved;
    }

    @Override
    public Intent intent() {
      return intent;
    }

    @Override
    public ContextName context() {
      return context;
    }

    @Override
    public Task task() {
      return left.task();
    }

    @Override
    public Optional<ResolvedContext> saved() {
      return saved;
    }

    @Override
    public boolean claimedByAnother(String property) {
      if (intents.claimedByRunningTask(intent.server(), intent.kind(), intent.name())) {
        return true;
      }
      try {
        for (Versioned v : contexts.repository().list()) {
          if (v.context().name().equals(context)) {
            continue;
          }
          Object value = v.context().properties().get(property);
          if (value != null && String.valueOf(value).equals(intent.name())) {
            return true;
          }
        }
      } catch (RuntimeException e) {
        LOG.warn("cannot list the contexts to see who owns {}: {}; it is kept", intent, TaskEngine.message(e));
        return true;
      }
      return false;
    }
  }
}
