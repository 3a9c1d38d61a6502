package net.aegirj.provision.core.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextNotFoundException;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Migration;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskOptions;
import net.aegirj.provision.api.TaskReport;

/**
 * The {@code migrate} and {@code clone} tasks, which are made of others: a backup of the site, a
 * change of its context (or a new one), a deploy or restore of the backup, and the removal of the
 * backup. Each reports under its own task. What a clone copies and what a failed migrate puts
 * back follow the property declarations ({@link PropertySpec#cloned()}), not lists kept here.
 */
public final class SiteMoves {
  /** What a renamed site takes over from its original (a clone leaves them behind). */
  private static final List<PropertyKey<?>> TAKEN_OVER = List.of(SiteKeys.ALIASES, SiteKeys.REDIRECTION,
      SiteKeys.SSL_ENABLED, SiteKeys.SSL_KEY, SiteKeys.IP_ADDRESSES, SiteKeys.DRUSH_ALIASES);
  /** A site's own database: a move to another platform makes a new one. */
  private static final List<PropertyKey<?>> DATABASE = List.of(SiteKeys.INSTALLED, SiteKeys.DB_NAME, SiteKeys.DB_USER,
      SiteKeys.DB_PASSWD);

  private final ContextService contexts;
  private final TaskEngine engine;
  private final Function<ContextName, TaskReport> delete;

  /**
   * @param contexts the contexts
   * @param engine the engine that runs the parts
   * @param delete runs the delete task of a site and removes its context
   */
  public SiteMoves(ContextService contexts, TaskEngine engine, Function<ContextName, TaskReport> delete) {
    this.contexts = contexts;
    this.engine = engine;
    this.delete = delete;
  }

  /**
   * @param task {@link Task#MIGRATE} or {@link Task#CLONE}
   * @return true when this class runs the task
   */
  public static boolean handles(Task task) {
    return task == Task.MIGRATE || task == Task.CLONE;
  }

  /**
   * Runs a migrate or a clone.
   *
   * @param task {@link Task#MIGRATE} or {@link Task#CLONE}
   * @param name the site
   * @param options {@link TaskOptions#PLATFORM}, {@link TaskOptions#DB_SERVER},
   *     {@link TaskOptions#NEW_URI}
   * @return the report, under {@code task}
   */
  public TaskReport run(Task task, ContextName name, Map<String, String> options) {
    for (String key : options.keySet()) {
      if (!List.of(TaskOptions.PLATFORM, TaskOptions.DB_SERVER, TaskOptions.NEW_URI).contains(key)) {
        throw new InvalidContextException(name.toString(), null, "the " + task.id() + " task takes no option '"
            + key + "'; options: " + TaskOptions.PLATFORM + ", " + TaskOptions.DB_SERVER + ", " + TaskOptions.NEW_URI);
      }
    }
    if (!(contexts.load(name).context() instanceof Site)) {
      throw new InvalidContextException(name.toString(), null, "is not a site; only a site can be "
          + (task == Task.CLONE ? "cloned" : "migrated"));
    }
    Migration m = Migration.fromOptions(options);
    if (task == Task.CLONE) {
      ContextName target = m.newName().orElseThrow(() -> new InvalidContextException(name.toString(),
          TaskOptions.NEW_URI, "is required: a clone needs the name of the copy"));
      return cloneSite(name, target, m.platform(), m.dbServer());
    }
    if (m.newName().isPresent() && !m.newName().get().equals(name)) {
      // A rename: the site is copied under its new name, then the original goes (Aegir's migrate
      // with a new name). The original keeps serving until its copy is complete.
      ContextName newName = m.newName().get();
      Site original = (Site) contexts.load(name).context();
      TaskReport copy = relabel(Task.MIGRATE, () -> cloneSite(name, newName, m.platform(), m.dbServer()));
      try {
        delete.apply(name);
      } catch (RuntimeException e) {
        throw new ProvisionException(name + ": the site was copied to " + newName
            + ", but removing the original failed: " + e.getMessage() + "; delete it with 'provision delete "
            + name + "'", e);
      }
      return keepServing(original, newName, copy);
    }
    return migrateSite(name, m.platform(), m.dbServer());
  }

  /** Clone: backup of the source, a new context, deploy; the new context goes again on failure. */
  private TaskReport cloneSite(ContextName source, ContextName target, Optional<ContextName> platform,
      Optional<ContextName> dbServer) {
    try {
      contexts.load(target);
      throw new InvalidContextException(target.toString(), null, "exists already; a clone needs a new name");
    } catch (ContextNotFoundException expected) {
      // the name is free
    }
    Site src = installed(source, "copy");
    check(source, platform);
    TaskReport backup = engine.run(Task.BACKUP, source, false);
    String archive = backup.results().get("backup_file");
    PropertyChanges.Builder changes = PropertyChanges.builder().set("context_type", "site");
    Map<String, PropertySpec> declared = new LinkedHashMap<>();
    Schema.properties(ContextType.SITE).forEach(p -> declared.put(p.name(), p));
    contexts.registry().siteProperties().forEach(p -> declared.put(p.name(), p));
    src.properties().forEach((k, v) -> {
      PropertySpec spec = declared.get(k);
      if (spec != null && spec.cloned()) {
        changes.set(k, ContextService.text(v));
      }
    });
    platform.ifPresent(p -> changes.set(SiteKeys.PLATFORM, p.toString()));
    dbServer.ifPresent(d -> changes.set(SiteKeys.DB_SERVER, d.toString()));
    contexts.save(target, changes.build());
    try {
      return relabel(Task.CLONE, () -> engine.run(Task.DEPLOY, target, false,
          Map.of(TaskOptions.FILE, archive, "old_uri", source.value())));
    } catch (RuntimeException e) {
      try {
        contexts.delete(target);
      } catch (RuntimeException ignored) {
        // reported with the task's failure
      }
      throw e;
    } finally {
      removeBackup(source, archive);
    }
  }

  /** @return the old platform's web servers that do not publish the new one (the site leaves them) */
  private List<ContextName> leftWebServers(ContextName oldPlatform, ContextName newPlatform) {
    List<ContextName> left = new ArrayList<>(PlatformKeys.webServers(contexts.resolve(oldPlatform)));
    left.removeAll(PlatformKeys.webServers(contexts.resolve(newPlatform)));
    return left;
  }

  /** Migrate: backup, point the context at the target, deploy; the context goes back on failure. */
  private TaskReport migrateSite(ContextName name, Optional<ContextName> platform, Optional<ContextName> dbServer) {
    Site before = installed(name, "migrate");
    ContextName oldPlatform = before.platform().orElseThrow();
    ContextName newPlatform = platform.orElse(oldPlatform);
    ContextName oldDb = before.dbServer().orElse(ContextName.MASTER);
    ContextName newDb = dbServer.orElse(oldDb);
    if (newPlatform.equals(oldPlatform) && newDb.equals(oldDb)) {
      throw new InvalidContextException(name.toString(), "platform",
          "is " + oldPlatform + " already, on db server " + oldDb + "; name another platform or db server");
    }
    List<ContextName> leftWebs = leftWebServers(oldPlatform, newPlatform);
    String oldSitePath = contexts.resolve(name).get(SiteKeys.SITE_PATH);
    check(name, platform);
    TaskReport backup = engine.run(Task.BACKUP, name, false);
    String archive = backup.results().get("backup_file");
    boolean databaseOnly = newPlatform.equals(oldPlatform);
    PropertyChanges.Builder move = PropertyChanges.builder().set(SiteKeys.DB_SERVER, newDb.toString());
    if (!databaseOnly) {
      // The site gets a new database on the target; its old credentials go with the old one.
      move.set(SiteKeys.PLATFORM, newPlatform.toString());
      for (PropertyKey<?> key : DATABASE) {
        move.reset(key);
      }
    }
    PropertyChanges changes = move.build();
    // What a failure puts back: what the move changed and the database credentials (which the
    // deploy or restore records), as they were.
    PropertyChanges.Builder back = PropertyChanges.builder();
    Map<String, Object> original = before.properties();
    Set<String> restored = new LinkedHashSet<>(changes.changes().keySet());
    DATABASE.forEach(k -> restored.add(k.name()));
    for (String k : restored) {
      Object v = original.get(k);
      if (v == null) {
        back.reset(k);
      } else {
        back.set(k, ContextService.text(v));
      }
    }
    // The site stays where it is for a database-only move: a restore from its own backup, with
    // the new database on the new server; the old one is dropped once the whole task succeeded.
    contexts.save(name, changes);
    try {
      if (databaseOnly) {
        return relabel(Task.MIGRATE, () -> engine.run(Task.RESTORE, name, false, Map.of(TaskOptions.FILE, archive,
            "old_db_server", oldDb.toString())));
      }
      Map<String, String> deploy = new LinkedHashMap<>(Map.of(TaskOptions.FILE, archive,
          "old_uri", name.value(), "old_db_name", before.dbName().get(),
          "old_db_user", before.dbUser().orElse(before.dbName().get()), "old_db_server", oldDb.toString(),
          "old_site_path", oldSitePath));
      if (!leftWebs.isEmpty()) {
        // The site's vhost (and its files there) leave the old web servers once it serves elsewhere.
        deploy.put(TaskEngine.OLD_WEB_SERVER, String.join(",", leftWebs.stream().map(ContextName::toString).toList()));
      }
      return relabel(Task.MIGRATE, () -> engine.run(Task.DEPLOY, name, false, deploy));
    } catch (RuntimeException e) {
      contexts.save(name, back.build());
      throw e;
    } finally {
      removeBackup(name, archive);
    }
  }

  /**
   * After a rename, the new name takes over what only one site may hold, now that the original
   * is gone: its aliases, redirection and SSL settings (a clone leaves them behind), then a verify
   * serves them.
   */
  private TaskReport keepServing(Site original, ContextName newName, TaskReport copy) {
    PropertyChanges.Builder keep = PropertyChanges.builder();
    boolean any = false;
    Map<String, Object> props = original.properties();
    for (PropertyKey<?> key : TAKEN_OVER) {
      Object v = props.get(key.name());
      if (v != null && !(v instanceof List<?> l && l.isEmpty())) {
        keep.set(key.name(), ContextService.text(v));
        any = true;
      }
    }
    if (!any) {
      return copy;
    }
    try {
      contexts.save(newName, keep.build());
      TaskReport verify = engine.run(Task.VERIFY, newName, false);
      List<TaskReport.StepReport> steps = new ArrayList<>(copy.steps());
      steps.addAll(verify.steps());
      return new TaskReport(Task.MIGRATE, copy.context(), copy.status(), steps, copy.reloads(), copy.warnings(),
          copy.duration().plus(verify.duration()), copy.failure(), copy.results());
    } catch (RuntimeException e) {
      throw new ProvisionException(original.name() + ": the site now serves as " + newName + ", but taking over its"
          + " aliases, redirection and SSL settings failed: " + e.getMessage() + "; set them with 'provision save "
          + newName + "' and verify it", e);
    }
  }

  /**
   * The read-only checks of a move to another platform (the application's: a Drupal site's
   * enabled packages must be on the target), run before anything changes.
   *
   * @return the checks' report
   */
  private TaskReport check(ContextName name, Optional<ContextName> platform) {
    Map<String, String> options = new LinkedHashMap<>();
    platform.ifPresent(p -> options.put(TaskOptions.PLATFORM, p.toString()));
    return engine.run(Task.MIGRATE, name, false, options);
  }

  private Site installed(ContextName name, String verb) {
    Site site = (Site) contexts.load(name).context();
    if (!Boolean.TRUE.equals(site.installed().orElse(false)) || site.dbName().isEmpty()) {
      throw new InvalidContextException(name.toString(), null, "is not installed; there is nothing to " + verb);
    }
    return site;
  }

  private void removeBackup(ContextName site, String archive) {
    try {
      engine.run(Task.BACKUP_DELETE, site, false, Map.of(TaskOptions.FILES, archive));
    } catch (RuntimeException ignored) {
      // the task's backup stays; it is a normal backup of the site
    }
  }

  /**
   * Runs the part that does the work of a clone or a migrate and reports it under the task the
   * user asked for, so that its summary line says {@code clone @copy: succeeded}, not
   * {@code deploy}; a failure is rethrown with its report relabelled the same way.
   */
  private static TaskReport relabel(Task task, Supplier<TaskReport> part) {
    try {
      return relabel(task, part.get());
    } catch (TaskFailedException e) {
      if (e.report() == null) {
        throw e;
      }
      TaskFailedException relabelled = new TaskFailedException(relabel(task, e.report()), e.getCause(),
          e.rolledBackCompletely());
      relabelled.setStackTrace(e.getStackTrace());
      throw relabelled;
    }
  }

  private static TaskReport relabel(Task task, TaskReport r) {
    return new TaskReport(task, r.context(), r.status(), r.steps(), r.reloads(), r.warnings(), r.duration(),
        r.failure(), r.results());
  }
}
