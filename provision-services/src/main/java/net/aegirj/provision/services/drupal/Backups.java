package net.aegirj.provision.services.drupal;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.TaskOptions;
import net.aegirj.provision.services.db.MySql;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.StepContext;

/**
 * Site backups in Aegir's format: a {@code .tar.gz} of the contents of the site directory, every
 * member starting with {@code ./}, {@code ./database.sql} among them (dumped by the db step), in
 * the master's {@code backup_path} as {@code <uri>-<YYYYmmdd.HHMMSS>[_n].tar.gz}. Archives hold
 * credentials and data: they are private (0600). No {@code database.sql} is left behind.
 */
final class Backups {
  static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd.HHmmss");
  static final String SUFFIX = ".tar.gz";

  private Backups() {}

  static Path backupPath(StepContext ctx) {
    return Path.of(ctx.resolve(ContextName.MASTER).get(ServerKeys.BACKUP_PATH));
  }

  static void archive(StepContext ctx, ResolvedContext site) {
    ContextName n = site.name();
    Host h = ctx.host(ContextName.MASTER);
    Path sitePath = Drupal.sitePath(site);
    String uri = site.get(SiteKeys.URI);
    Path dir = backupPath(ctx);
    if (h.stat(dir).isEmpty()) {
      throw new ProvisionException(n + ": the backup directory " + dir + " does not exist; verify @server_master first");
    }
    Path archive;
    Optional<String> named = ctx.option(TaskOptions.FILE);
    if (named.isPresent()) {
      archive = Path.of(Grammar.PATH.check(n, "file", named.get()));
      if (h.stat(archive).isPresent()) {
        throw new InvalidContextException(n.toString(), "file", archive + " exists already; backups never overwrite");
      }
    } else {
      String base = uri + "-" + LocalDateTime.now().format(STAMP);
      archive = dir.resolve(base + SUFFIX);
      for (int i = 1; h.stat(archive).isPresent(); i++) {
        archive = dir.resolve(base + "_" + i + SUFFIX);
      }
    }
    ctx.changed(archive.toString());
    if (ctx.planOnly()) {
      return;
    }
    Path target = archive;
    ctx.onRollback("remove " + target, () -> h.remove(target));
    h.run(Command.of("sh", "-c", "umask 077; exec tar --hard-dereference -czf \"$1\" -C \"$2\" .", "sh", target.toString(), sitePath.toString())
        .withTimeout(Duration.ofHours(2)).withDisplay("tar -czf " + target + " -C " + sitePath + " .")).orThrow();
    // Not through the journal, which would keep a copy of the whole dump in memory to undo this.
    h.run(Command.of("rm", "-f", "--", sitePath.resolve(MySql.DUMP).toString())).orThrow();
    long size = h.stat(target).map(FileInfo::size).orElse(0L);
    ctx.result("backup_file", target.toString());
    ctx.result("backup_file_size", Long.toString(size));
    Optional<String> client = site.find(SiteKeys.CLIENT_NAME);
    if (client.isPresent() && Grammar.NAME.accepts(client.get())) {
      Path links = Path.of(ctx.resolve(ContextName.MASTER).get(ServerKeys.CLIENTS_PATH))
          .resolve(client.get()).resolve("backups");
      h.mkdirs(links, FileMode.of(0750));
      h.symlink(links.resolve(target.getFileName().toString()), target.toString());
    }
  }

  static void delete(StepContext ctx, ResolvedContext site) {
    ContextName n = site.name();
    String uri = site.get(SiteKeys.URI);
    Path dir = backupPath(ctx).normalize();
    String files = ctx.option(TaskOptions.FILES).orElseThrow(() ->
        new InvalidContextException(n.toString(), "files", "name the archives to delete"));
    List<Path> targets = new ArrayList<>();
    for (String f : files.split(",")) {
      Path p = Path.of(Grammar.PATH.check(n, "files", f.strip())).normalize();
      String name = p.getFileName() == null ? "" : p.getFileName().toString();
      if (p.getParent() == null || !p.getParent().equals(dir)) {
        throw new InvalidContextException(n.toString(), "files", p + " is not in the backup directory " + dir);
      }
      if (!name.matches(Pattern.quote(uri) + "-[0-9]{8}\\.[0-9]{6}(_[0-9]+)?\\.tar\\.gz")) {
        throw new InvalidContextException(n.toString(), "files", p + " is not a backup of " + n);
      }
      targets.add(p);
    }
    Host h = ctx.host(ContextName.MASTER);
    for (Path p : targets) {
      if (!h.remove(p)) {
        ctx.warn(n + ": " + p + " did not exist");
      }
      Optional<String> client = site.find(SiteKeys.CLIENT_NAME);
      if (client.isPresent() && Grammar.NAME.accepts(client.get())) {
        h.remove(Path.of(ctx.resolve(ContextName.MASTER).get(ServerKeys.CLIENTS_PATH))
            .resolve(client.get()).resolve("backups").resolve(p.getFileName().toString()));
      }
    }
  }
}
