package net.aegirj.provision.core;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Migration;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskOptions;
import net.aegirj.provision.api.TaskReport;

/** A handle on a site context; tasks on the site are run from here. */
public final class SiteHandle extends ContextHandle {
  SiteHandle(Provision provision, ContextName name) {
    super(provision, name, ContextType.SITE);
  }

  /**
   * Serves the site again: sets {@code site_enabled} and rewrites its vhost (Aegir's enable).
   *
   * @return the report
   */
  public TaskReport enable() {
    return run(Task.ENABLE);
  }

  /**
   * Serves the disabled page: clears {@code site_enabled} and writes the disabled vhost, which
   * redirects to {@code web_disable_url} (Aegir's disable).
   *
   * @return the report
   */
  public TaskReport disable() {
    return run(Task.DISABLE);
  }

  /**
   * Backs the site up: its database dumped into the site directory and the directory archived as
   * {@code <backup_path>/<uri>-<YYYYmmdd.HHMMSS>.tar.gz}; the report's results name the file
   * ({@code backup_file}) and its size ({@code backup_file_size}).
   *
   * @return the report
   */
  public TaskReport backup() {
    return run(Task.BACKUP);
  }

  /**
   * Backs the site up into a named file, which must not exist.
   *
   * @param file the archive's absolute path
   * @return the report
   */
  public TaskReport backup(String file) {
    return run(Task.BACKUP, Map.of(TaskOptions.FILE, file));
  }

  /**
   * Removes backups of this site; a file outside the master's {@code backup_path}, or another
   * site's archive, is refused.
   *
   * @param files the archives' absolute paths
   * @return the report
   */
  public TaskReport backupDelete(List<String> files) {
    return run(Task.BACKUP_DELETE, Map.of(TaskOptions.FILES, String.join(",", files)));
  }

  /**
   * Deletes the site after backing it up (Aegir's {@code provision-delete --backup}); when the
   * backup fails, nothing is deleted.
   *
   * @param backup whether to back up first
   * @return the report of the delete task (the backup's file is in its results)
   */
  public TaskReport delete(boolean backup) {
    if (!backup) {
      return delete();
    }
    TaskReport b = backup();
    TaskReport d = delete();
    Map<String, String> results = new LinkedHashMap<>(b.results());
    results.putAll(d.results());
    return new TaskReport(d.task(), d.context(), d.status(), d.steps(), d.reloads(), d.warnings(), d.duration(),
        d.failure(), results);
  }

  /**
   * Restores a backup of this site: the archive is unpacked beside the site, its database
   * imported into a new database with new credentials, the site directory swapped in and the vhost
   * rewritten; only then are the old database and the old directory removed. A failure at any step
   * leaves the site as it was.
   *
   * @param file the archive (a backup of this site)
   * @return the report
   */
  public TaskReport restore(String file) {
    return run(Task.RESTORE, Map.of(TaskOptions.FILE, file));
  }

  /**
   * Copies the site under a new name (Aegir's clone): a backup of this site is deployed into a new
   * site on the same or another platform, with its own database and credentials; aliases,
   * redirection and SSL settings are not copied. The original is untouched. When the deploy fails,
   * the new site's context, database and directory are removed again.
   *
   * @param newUri the clone's name (its host name)
   * @param platform the clone's platform, or null for this site's
   * @return the report of the deploy
   */
  public TaskReport cloneTo(String newUri, String platform) {
    return cloneTo(newUri, platform, null);
  }

  /**
   * Copies the site under a new name onto a platform and a db server of choice.
   *
   * @param newUri the clone's name
   * @param platform the clone's platform, or null for this site's
   * @param dbServer the clone's db server, or null for this site's
   * @return the report of the deploy
   */
  public TaskReport cloneTo(String newUri, String platform, String dbServer) {
    Migration m = Migration.named(newUri);
    m = platform == null ? m : m.platform(platform);
    return cloneTo(dbServer == null ? m : m.dbServer(dbServer));
  }

  /**
   * Moves the site to another platform and/or db server (Aegir's migrate): a backup is deployed
   * into the target platform with a new database; the vhost switches only at the end, so the site
   * keeps serving from the original until the new copy is complete; the old database and directory
   * are removed only after success. On failure the site stays where it was.
   *
   * @param platform the target platform (null: the current one)
   * @param dbServer the target db server (null: the current one)
   * @return the report of the deploy
   */
  public TaskReport migrate(String platform, String dbServer) {
    return migrate(platform, dbServer, null);
  }

  /**
   * Moves the site and renames it: it is copied under the new name (on the given platform and db
   * server, or its own), then the original is deleted. Its aliases, redirection and SSL settings
   * go to the new name.
   *
   * @param platform the target platform (null: the current one)
   * @param dbServer the target db server (null: the current one)
   * @param newUri the new name
   * @return the report of the deploy under the new name
   */
  public TaskReport migrate(String platform, String dbServer, String newUri) {
    Migration m = new Migration(Optional.empty(), Optional.empty(), Optional.empty());
    m = platform == null ? m : m.platform(platform);
    m = dbServer == null ? m : m.dbServer(dbServer);
    return migrate(newUri == null ? m : m.newName(newUri));
  }

  /**
   * Copies the site (Aegir's clone): the {@code clone} task, with the copy's name and, optionally,
   * its platform and db server.
   *
   * @param clone where the copy goes; {@link Migration#newName()} is required
   * @return the report (task {@code clone}, context the copy)
   * @throws TaskFailedException when it failed (the copy is removed)
   */
  public TaskReport cloneTo(Migration clone) {
    return run(Task.CLONE, clone.options());
  }

  /**
   * Moves the site (Aegir's migrate): the {@code migrate} task, to another platform, db server or
   * name.
   *
   * @param migration where the site goes
   * @return the report (task {@code migrate})
   * @throws TaskFailedException when it failed (the site serves from where
   *     it was)
   */
  public TaskReport migrate(Migration migration) {
    return run(Task.MIGRATE, migration.options());
  }

  /**
   * Takes an existing site directory under management, as Aegir's import does: the database
   * credentials are read from the site's {@code drushrc.php} or {@code settings.php}, checked
   * against the database, and recorded; the site is marked installed. Nothing of the site is
   * changed; a later verify brings its files in line.
   *
   * @return the report
   */
  public TaskReport importExisting() {
    return run(Task.IMPORT_SITE);
  }

  /**
   * A one-time login link from the platform's Drush ({@code login_link} in the report's results).
   *
   * @return the report
   */
  public TaskReport loginReset() {
    return run(Task.LOGIN_RESET);
  }

  /**
   * Installs the site: its database, user and grants, directories, settings and vhost, then (with
   * {@code install_method=profile}, the default) Drupal itself through the platform's Drush; the
   * admin account's one-time {@code login_link} is in the report's results.
   *
   * @return the report
   * @throws TaskFailedException when a step failed (everything the install did is undone)
   */
  public TaskReport install() {
    return run(Task.INSTALL);
  }

  /**
   * Runs Drupal's cron on the site through its platform's Drush. An installed, enabled site only.
   *
   * @return the report
   * @throws TaskFailedException when Drush failed, or the site is not installed or is disabled
   */
  public TaskReport cron() {
    return run(Task.CRON);
  }

  /**
   * Deletes the site: runs the delete task (vhost, and with later services database and files),
   * then removes the context.
   *
   * @return the report
   */
  public TaskReport delete() {
    return provision().runDelete(name());
  }

  @Override
  public Site context() {
    return (Site) super.context();
  }
}
