package net.aegirj.provision.services.drupal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.TaskOptions;
import net.aegirj.provision.services.db.MySql;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.StepContext;

/**
 * Restore of a site from one of its backups, in the order that keeps the site serving until the
 * new copy is complete: unpack beside the site ({@code <site_path>.restore}), import the dump into
 * a new database with new credentials, swap the directories ({@code <site_path>.old} keeps the
 * old one), rewrite the settings (the vhost follows in the http step); once the whole task has
 * succeeded the old database and directory are removed. Every step before that is undone on a
 * failure.
 *
 * <p>Archives are untrusted input: restore and deploy unpack them only after {@link ArchiveCheck}
 * accepted every member, without {@code tar} and without taking ownership or set-id bits from
 * them ({@link SafeExtract}); the dump is imported in the client's sandbox mode with the site's
 * own account ({@link MySql#importDump}).
 */
final class Restore {
  private Restore() {}

  static Path restoreDir(ResolvedContext site) {
    return Path.of(Drupal.sitePath(site) + ".restore");
  }

  static Path oldDir(ResolvedContext site) {
    return Path.of(Drupal.sitePath(site) + ".old");
  }

  private static void shell(Host h, String display, String script, String... args) {
    String[] argv = new String[args.length + 4];
    argv[0] = "sh";
    argv[1] = "-c";
    argv[2] = script;
    argv[3] = "sh";
    System.arraycopy(args, 0, argv, 4, args.length);
    h.run(Command.of(argv).withTimeout(Duration.ofHours(2)).withDisplay(display)).orThrow();
  }

  /**
   * Checks an archive a user named and unpacks it into a new directory ({@link ArchiveCheck},
   * {@link SafeExtract}): a refused archive fails the step with an {@link InvalidContextException}
   * that names the archive and the member, and nothing is written.
   */
  /**
   * Unpacks a checked archive into a directory that does not exist yet (removed again if the task
   * fails); the archive must hold a Provision dump.
   *
   * @return false in a plan (nothing unpacked)
   */
  private static boolean extractNew(StepContext ctx, ResolvedContext site, Host h, Path archive, Path target) {
    ctx.changed(target.toString());
    if (ctx.planOnly()) {
      return false;
    }
    ctx.onRollback("remove " + target, () -> h.run(Command.of("rm", "-rf", "--", target.toString())));
    extract(ctx, site, h, archive, target);
    if (h.stat(target.resolve(MySql.DUMP)).isEmpty()) {
      throw new ProvisionException(site.name() + ": " + archive + " holds no ./" + MySql.DUMP
          + "; is it a backup made by Provision?");
    }
    return true;
  }

  private static void extract(StepContext ctx, ResolvedContext site, Host h, Path archive, Path target) {
    ArchiveCheck check = new ArchiveCheck(site.name().toString(), archive.toString(), ArchiveCheck.Limits.DEFAULT);
    SafeExtract.unpack(check, h, archive, target, Drupal.webGroup(ctx, site));
  }

  static void unpack(StepContext ctx, ResolvedContext site) {
    ContextName n = site.name();
    Host h = Drupal.host(ctx, site);
    if (ctx.planOnly() && ctx.option(TaskOptions.FILE).isEmpty()) {
      ctx.changed(restoreDir(site).toString());
      return;
    }
    String file = ctx.option(TaskOptions.FILE).orElseThrow(() ->
        new InvalidContextException(n.toString(), TaskOptions.FILE, "name the backup archive to restore"));
    Path archive = Path.of(Grammar.PATH.check(n, TaskOptions.FILE, file));
    FileInfo info = h.stat(archive).orElseThrow(() ->
        new InvalidContextException(n.toString(), TaskOptions.FILE, archive + " does not exist"));
    if (info.type() != FileInfo.Type.FILE) {
      throw new InvalidContextException(n.toString(), TaskOptions.FILE, archive + " is not a file");
    }
    if (site.find(SiteKeys.DB_NAME).isEmpty()) {
      throw new ProvisionException(n + ": the site is not installed; restore replaces an installed site");
    }
    Path target = restoreDir(site);
    for (Path p : new Path[] {target, oldDir(site)}) {
      if (h.stat(p).isPresent()) {
        throw new ProvisionException(n + ": " + p + " exists (left by an interrupted restore?); remove it and try again");
      }
    }
    if (!extractNew(ctx, site, h, archive, target)) {
      return;
    }
  }

  /**
   * Deploy: unpacks an archive (a backup of this or another site) straight into the site's
   * directory, which must not exist yet.
   */
  static void unpackNew(StepContext ctx, ResolvedContext site) {
    ContextName n = site.name();
    Host h = Drupal.host(ctx, site);
    Path target = Drupal.sitePath(site);
    if (ctx.planOnly() && ctx.option(TaskOptions.FILE).isEmpty()) {
      ctx.changed(target.toString());
      return;
    }
    String file = ctx.option(TaskOptions.FILE).orElseThrow(() ->
        new InvalidContextException(n.toString(), TaskOptions.FILE, "name the archive to deploy"));
    Path archive = Path.of(Grammar.PATH.check(n, TaskOptions.FILE, file));
    if (h.stat(archive).filter(i -> i.type() == FileInfo.Type.FILE).isEmpty()) {
      throw new InvalidContextException(n.toString(), TaskOptions.FILE, archive + " does not exist or is not a file");
    }
    if (site.get(SiteKeys.INSTALLED) || h.stat(target).isPresent()) {
      throw new ProvisionException(n + ": " + target + " exists or the site is installed; deploy makes a new site"
          + " (use restore to put an installed site back)");
    }
    if (h.stat(Path.of(site.get(SiteKeys.ROOT))).isEmpty()) {
      throw new ProvisionException(n + ": the platform root " + site.get(SiteKeys.ROOT) + " does not exist");
    }
    if (!extractNew(ctx, site, h, archive, target)) {
      return;
    }
    // The archive's settings belong to the site it came from; ours are written next.
    h.remove(target.resolve("settings.php"));
    h.remove(target.resolve("drushrc.php"));
  }

  static void importDatabaseNew(StepContext ctx, ResolvedContext planned) {
    if (ctx.planOnly()) {
      ctx.changed("a new database for " + planned.name());
      return;
    }
    Path sql = Drupal.sitePath(planned).resolve(MySql.DUMP);
    ResolvedContext server = ctx.resolve(ContextName.of(planned.get(SiteKeys.DB_SERVER)));
    MySql.createDatabase(ctx, planned, server);
    MySql.importDump(ctx, ctx.resolve(planned.name()), sql);
    Drupal.host(ctx, planned).run(Command.of("rm", "-f", "--", sql.toString())).orThrow();
    Optional<String> oldUri = ctx.option("old_uri");
    if (oldUri.isPresent()) {
      MySql.rewriteUri(ctx, ctx.resolve(planned.name()), server, oldUri.get());
    }
    // A migration names what the site leaves behind: removed once the whole task has succeeded.
    Optional<String> oldDb = ctx.option("old_db_name");
    Optional<String> oldServer = ctx.option("old_db_server");
    if (oldDb.isPresent() && oldServer.isPresent()) {
      ResolvedContext old = ctx.resolve(ContextName.of(oldServer.get()));
      String user = ctx.option("old_db_user").orElse(oldDb.get());
      ctx.onSuccess("drop the old database " + oldDb.get(),
          () -> MySql.dropQuietly(ctx, planned.name(), old, oldDb.get(), user));
    }
    Optional<String> oldPath = ctx.option("old_site_path");
    if (oldPath.isPresent()) {
      Path p = Path.of(Grammar.PATH.check(planned.name(), "old_site_path", oldPath.get()));
      if (!p.equals(Drupal.sitePath(planned)) && p.getParent() != null && p.getParent().getFileName() != null
          && p.getParent().getFileName().toString().equals("sites")) {
        List<Host> hosts = new ArrayList<>(Drupal.hosts(ctx, planned));
        for (String oldWeb : ctx.option("old_web_server").map(o -> o.split(",")).orElse(new String[0])) {
          // A move from other web servers: their copies of the old site directory go too.
          Host old = ctx.host(ContextName.of(oldWeb.strip()));
          if (!old.isLocal() && hosts.stream().noneMatch(h -> h.name().equals(old.name()))) {
            hosts.add(old);
          }
        }
        for (Host h : hosts) {
          ctx.onSuccess("remove " + p + " on " + h.name(),
              () -> h.run(Command.of("rm", "-rf", "--", p.toString())).orThrow());
        }
      }
    }
  }

  static void importDatabase(StepContext ctx, ResolvedContext planned) {
    if (ctx.planOnly()) {
      ctx.changed("a new database for " + planned.name());
      return;
    }
    ResolvedContext server = ctx.resolve(ContextName.of(planned.get(SiteKeys.DB_SERVER)));
    MySql.createDatabase(ctx, planned, server);
    MySql.importDump(ctx, ctx.resolve(planned.name()), restoreDir(planned).resolve(MySql.DUMP));
  }

  static void swap(StepContext ctx, ResolvedContext planned) {
    Host h = Drupal.host(ctx, planned);
    Path live = Drupal.sitePath(planned);
    Path restored = restoreDir(planned);
    Path old = oldDir(planned);
    ctx.changed(live.toString());
    if (ctx.planOnly()) {
      return;
    }
    h.run(Command.of("rm", "-f", "--", restored.resolve(MySql.DUMP).toString())).orThrow();
    shell(h, "mv " + live + " " + old + "; mv " + restored + " " + live, "mv -T -- \"$1\" \"$2\" && mv -T -- \"$3\" \"$1\"",
        live.toString(), old.toString(), restored.toString());
    ctx.onRollback("swap back " + live, () -> shell(h, "mv " + live + " " + restored + "; mv " + old + " " + live,
        "mv -T -- \"$1\" \"$2\" && mv -T -- \"$3\" \"$1\"", live.toString(), restored.toString(), old.toString()));
    // The old credentials, from before this task changed them.
    String oldDb = planned.get(SiteKeys.DB_NAME);
    String oldUser = planned.find(SiteKeys.DB_USER).orElse(oldDb);
    // A migrate that moves only the database names the server the old one is on.
    String oldServer = ctx.option("old_db_server").orElse(planned.get(SiteKeys.DB_SERVER));
    ResolvedContext server = ctx.resolve(ContextName.of(oldServer));
    ctx.onSuccess("drop the old database " + oldDb + " on " + server.name(),
        () -> MySql.dropQuietly(ctx, planned.name(), server, oldDb, oldUser));
    ctx.onSuccess("remove " + old, () -> h.run(Command.of("rm", "-rf", "--", old.toString())).orThrow());
  }
}
