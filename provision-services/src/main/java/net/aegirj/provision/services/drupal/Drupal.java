package net.aegirj.provision.services.drupal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.PlatformRoots;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.services.http.HttpServiceType;
import net.aegirj.provision.services.template.Templates;
import net.aegirj.provision.spi.Application;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.PlatformBuilder;
import net.aegirj.provision.spi.Step;
import net.aegirj.provision.spi.StepContext;

/**
 * Drupal, the application Aegir hosts.
 *
 * <ul>
 *   <li>Platform verify: the root must hold a Drupal code base (the major version is detected);
 *       {@code sites/all} and its {@code modules}, {@code themes}, {@code libraries} get Aegir's
 *       modes.
 *   <li>Site install and verify: {@code sites/<uri>/} with {@code files/}, {@code private/…},
 *       {@code modules/}, {@code themes/}, {@code libraries/} in Aegir's modes and web group; a
 *       {@code settings.php} (0440) that reads the database credentials from the request
 *       environment the vhost passes, and a {@code drushrc.php} side file (0440) with them for
 *       command-line use (both from templates an operator can override in the web server's
 *       {@code <http_template_dir>/drupal/}, and settings.php with the lines plugins add at
 *       {@link #SETTINGS_EXTRA}); {@code sites/sites.php} entries for the aliases (Drupal 8+); the client
 *       link. Install refuses a site whose settings.php exists; {@code install_method=manual}
 *       leaves the installer to {@code /install.php}, {@code profile} runs the platform's own
 *       Drush. Verify rewrites files only when their content changed (the hash salt is kept).
 *   <li>Site delete: the site directory, its sites.php entries and its client link.
 * </ul>
 */
public class Drupal implements Application {
  static final int SITE_DIR = 0755;
  static final int WEB_DIR = 02770;
  static final int CODE_DIR = 02775;
  static final int SETTINGS = 0440;
  private static final SecureRandom RANDOM = new SecureRandom();
  /**
   * The extension point inside a site's {@code settings.php}, after Provision's own settings and
   * before the includes of {@code global.inc}, {@code platform.settings.php} and
   * {@code local.settings.php}: {@link net.aegirj.provision.spi.ServiceType#templateLines}, asked
   * of the types selected on the site's web server. Each line must be one line of printable text.
   */
  public static final String SETTINGS_EXTRA = "settings.extra";
  /** The task option that makes a verify push {@code files/} and {@code private/} too. */
  public static final String OVERRIDE_SLAVE_AUTHORITY = "override_slave_authority";
  private static final Pattern SAFE_GLOB_NAME = Pattern.compile("[A-Za-z0-9._-]+");
  private static final Pattern SALT =
      Pattern.compile("(?:\\$settings\\['hash_salt'\\]|\\$drupal_hash_salt) = '([A-Za-z0-9_-]+)';");

  /** Creates it (for {@link ServiceLoader}). */
  public Drupal() {}

  @Override
  public String id() {
    return "drupal";
  }

  @Override
  public List<Step> steps(Task task, ResolvedContext target) {
    ContextType type = target.context().type();
    if (type == ContextType.PLATFORM && task == Task.VERIFY) {
      return List.of(Step.of("drupal: check code base of " + target.name(), ctx -> platformVerify(ctx, target)));
    }
    if (type != ContextType.SITE) {
      return List.of();
    }
    String n = target.name().toString();
    return switch (task) {
      case INSTALL -> List.of(
          Step.of("drupal: check the platform code base of " + n, ctx -> siteCodeBase(ctx, target)),
          Step.of("drupal: site directories of " + n, ctx -> directories(ctx, target, true)),
          Step.of("drupal: settings of " + n, ctx -> settings(ctx, target)),
          Step.of("drupal: aliases and client link of " + n, ctx -> links(ctx, target)),
          Step.of("drupal: push " + n + " to its web server", ctx -> pushSite(ctx, target, true)),
          Step.of("drupal: install " + n, ctx -> install(ctx, target)));
      case VERIFY -> List.of(
          Step.of("drupal: site directories of " + n, ctx -> directories(ctx, target, false)),
          Step.of("drupal: settings of " + n, ctx -> settings(ctx, target)),
          Step.of("drupal: aliases and client link of " + n, ctx -> links(ctx, target)),
          Step.of("drupal: push " + n + " to its web server", ctx -> pushSite(ctx, target,
              ctx.option(OVERRIDE_SLAVE_AUTHORITY).map(v -> !v.equals("false") && !v.equals("0")).orElse(false))));
      case DELETE -> List.of(Step.of("drupal: remove site directory of " + n, ctx -> delete(ctx, target)));
      case BACKUP -> List.of(
          Step.of("drupal: fetch files of " + n + " from its web server", ctx -> fetchFiles(ctx, target)),
          Step.of("drupal: archive " + n, ctx -> Backups.archive(ctx, target)));
      case BACKUP_DELETE -> List.of(Step.of("drupal: remove backups of " + n, ctx -> Backups.delete(ctx, target)));
      case LOGIN_RESET -> List.of(Step.of("drupal: one-time login link for " + n, ctx -> DrushSteps.loginReset(ctx, target)));
      case CRON -> List.of(Step.of("drupal: cron of " + n, ctx -> DrushSteps.cron(ctx, target)));
      case MIGRATE -> List.of(Step.of("drupal: check that the target platform has what " + n + " uses",
          ctx -> DrushSteps.checkMigrate(ctx, target)));
      case IMPORT_SITE -> List.of(Step.of("drupal: read the credentials of " + n, ctx -> SiteImport.run(ctx, target)));
      case DEPLOY -> List.of(
          Step.of("drupal: check the platform code base of " + n, ctx -> siteCodeBase(ctx, target)),
          Step.of("drupal: unpack the archive into " + n, ctx -> Restore.unpackNew(ctx, target)),
          Step.of("drupal: import the archive's database of " + n, ctx -> Restore.importDatabaseNew(ctx, target)),
          Step.of("drupal: site directories of " + n, ctx -> directories(ctx, target, false)),
          Step.of("drupal: settings of " + n, ctx -> settings(ctx, target)),
          Step.of("drupal: mark " + n + " installed", ctx -> ctx.save(target.name(),
              PropertyChanges.builder().set(SiteKeys.INSTALLED, true).build())),
          Step.of("drupal: aliases and client link of " + n, ctx -> links(ctx, target)),
          Step.of("drupal: push " + n + " to its web server", ctx -> pushSite(ctx, target, true)),
          Step.of("drupal: update the database of " + n, ctx -> DrushSteps.update(ctx, target)));
      case RESTORE -> List.of(
          Step.of("drupal: unpack the backup of " + n, ctx -> Restore.unpack(ctx, target)),
          Step.of("drupal: import the backup's database of " + n, ctx -> Restore.importDatabase(ctx, target)),
          Step.of("drupal: swap in the restored site " + n, ctx -> Restore.swap(ctx, target)),
          Step.of("drupal: settings of " + n, ctx -> settings(ctx, target)),
          Step.of("drupal: push " + n + " to its web server", ctx -> pushSite(ctx, target, true)),
          Step.of("drupal: update the database of " + n, ctx -> DrushSteps.update(ctx, target)));
      default -> List.of();
    };
  }

  /**
   * A site's install or verify checks its directory tree and its platform's {@code sites.php} on
   * its web server.
   */
  @Override
  public List<Path> checkedPaths(Task task, ResolvedContext target) {
    if (target.context().type() != ContextType.SITE || (task != Task.VERIFY && task != Task.INSTALL)) {
      return List.of();
    }
    Path root = PlatformRoots.check(target.name(), Path.of(target.get(SiteKeys.ROOT)));
    return List.of(sitePath(target), root.resolve("sites/sites.php"));
  }

  // ------------------------------------------------------------------ helpers

  /**
   * @return the platform's primary web server ({@code web_server}): where Drush runs and
   *     {@code files/} is fetched from
   */
  static ResolvedContext webServer(StepContext ctx, ResolvedContext siteOrPlatform) {
    return ctx.resolve(ContextName.of(platform(ctx, siteOrPlatform).get(PlatformKeys.WEB_SERVER)));
  }

  private static ResolvedContext platform(StepContext ctx, ResolvedContext siteOrPlatform) {
    return siteOrPlatform.context().type() == ContextType.PLATFORM ? siteOrPlatform
        : ctx.resolve(ContextName.of(siteOrPlatform.get(SiteKeys.PLATFORM)));
  }

  static Host host(StepContext ctx, ResolvedContext target) {
    // Code and sites live on the master; a remote web server receives a copy.
    return ctx.host(ContextName.MASTER);
  }

  /**
   * @return the site's or platform's web server when it is another machine (its host is not
   *     local), else empty
   */
  static Optional<Host> remoteWeb(StepContext ctx, ResolvedContext siteOrPlatform) {
    ResolvedContext web = webServer(ctx, siteOrPlatform);
    if (web.name().isMaster()) {
      return Optional.empty();
    }
    Host h = ctx.host(web.name());
    return h.isLocal() ? Optional.empty() : Optional.of(h);
  }

  /**
   * @return the hosts of every web server of the site's or platform's platform ({@code
   *     web_server}, then {@code web_servers}) that is another machine, each once
   */
  static List<Host> remoteWebs(StepContext ctx, ResolvedContext siteOrPlatform) {
    List<Host> out = new ArrayList<>();
    for (ContextName web : PlatformKeys.webServers(platform(ctx, siteOrPlatform))) {
      if (!web.isMaster()) {
        Host h = ctx.host(web);
        if (!h.isLocal() && out.stream().noneMatch(o -> o.name().equals(h.name()))) {
          out.add(h);
        }
      }
    }
    return out;
  }

  /** @return the master's host, then each remote web server's ({@link #remoteWebs}) */
  static List<Host> hosts(StepContext ctx, ResolvedContext site) {
    List<Host> out = new ArrayList<>();
    out.add(host(ctx, site));
    out.addAll(remoteWebs(ctx, site));
    return out;
  }

  /**
   * The platform's site directories, which a platform push leaves alone: every directory under
   * {@code sites/} except {@code all} and {@code default} (Aegir pushes "the root without site
   * dirs"; the sites themselves are pushed by their own tasks).
   */
  static Set<String> siteDirExcludes(Host master, Path root) {
    Set<String> out = new TreeSet<>();
    Path sites = root.resolve("sites");
    for (String name : master.list(sites)) {
      if (name.equals("all") || name.equals("default") || !SAFE_GLOB_NAME.matcher(name).matches()) {
        continue;
      }
      master.stat(sites.resolve(name)).filter(i -> i.type() == FileInfo.Type.DIRECTORY)
          .ifPresent(i -> out.add("sites/" + name));
    }
    return out;
  }

  /**
   * Pushes the site directory to each remote web server. The web servers are authoritative for
   * {@code files/} and {@code private/} (users upload there), so those are left alone unless
   * {@code full} (install, deploy, restore, or {@code --override_slave_authority}); settings.php
   * and drushrc.php are written there directly by the settings step, with their group.
   */
  static void pushSite(StepContext ctx, ResolvedContext planned, boolean full) {
    List<Host> webs = remoteWebs(ctx, planned);
    if (webs.isEmpty()) {
      ctx.skip("the web server is this machine: nothing to push");
      return;
    }
    ResolvedContext site = ctx.resolve(planned.name());
    Set<String> excludes = new TreeSet<>(Set.of("settings.php", "drushrc.php"));
    if (!full) {
      excludes.addAll(Set.of("files/**", "private/**"));
    }
    Path path = sitePath(site);
    for (Host web : webs) {
      if (ctx.planOnly() && host(ctx, site).stat(path).isEmpty()) {
        ctx.changed(path + "/ on " + web.name() + " (push)");
      } else {
        web.sync(path, excludes);
      }
    }
  }

  /**
   * Before a backup: the web server's {@code files/} and {@code private/} are the authoritative
   * copies, so they are fetched into the master's site directory first (from the primary web
   * server: with several, keeping their {@code files/} shared is the operator's part).
   */
  static void fetchFiles(StepContext ctx, ResolvedContext site) {
    Optional<Host> web = remoteWeb(ctx, site);
    if (web.isEmpty()) {
      ctx.skip("the web server is this machine: nothing to fetch");
      return;
    }
    Path path = sitePath(site);
    for (String d : List.of("files", "private")) {
      web.get().fetch(path.resolve(d), Set.of());
    }
  }

  static String webGroup(StepContext ctx, ResolvedContext target) {
    ResolvedContext web = webServer(ctx, target);
    // Only what each server's http type resolved, not the key's default: a web server without an
    // http type takes the master's group, and a master without one the group found on this machine.
    Optional<String> g = resolvedOnly(web, HttpServiceType.WEB_GROUP);
    if (g.isEmpty()) {
      g = resolvedOnly(ctx.resolve(ContextName.MASTER), HttpServiceType.WEB_GROUP);
    }
    String group = g.orElseGet(HttpServiceType::detectWebGroup);
    return Grammar.USER.check(target.name(), "web_group", group);
  }

  /** A property's resolved value, without falling back on the key's own default. */
  private static <T> Optional<T> resolvedOnly(ResolvedContext c, PropertyKey<T> key) {
    return c.get(key.name()).map(key::cast);
  }

  // ------------------------------------------------------------------ platform

  /**
   * The root of a platform, checked: a path of the grammar, not a system directory
   * ({@link PlatformRoots}).
   */
  private static Path platformRoot(ResolvedContext platform) {
    return PlatformRoots.check(platform.name(), Path.of(Grammar.PATH.check(platform.name(), "root",
        platform.get(PlatformKeys.ROOT))));
  }

  /**
   * The code-base check of platform verify, read-only: the root is no system directory, exists and
   * holds a Drupal code base ({@link DrupalVersion#detect}).
   *
   * @return the version found
   */
  private static DrupalVersion codeBase(Host h, ResolvedContext platform, Path root) {
    if (h.stat(root).isEmpty()) {
      throw new ProvisionException(platform.name() + ": root " + root + " does not exist; put a Drupal code "
          + "base there, or set makefile to build it, then run 'provision verify " + platform.name() + "'");
    }
    return DrupalVersion.detect(h, root).orElseThrow(() -> new ProvisionException(platform.name()
        + ": " + root + " is not a Drupal code base: looked for " + DrupalVersion.LOOKED_FOR));
  }

  /**
   * The first step of install and deploy (and so of clone and migrate): the site's platform must be
   * a code base that platform verify accepts, before anything is created under its root. Changes
   * nothing.
   */
  private static void siteCodeBase(StepContext ctx, ResolvedContext site) {
    ResolvedContext platform = ctx.resolve(ContextName.of(site.get(SiteKeys.PLATFORM)));
    Host h = host(ctx, platform);
    Path root;
    DrupalVersion v;
    try {
      root = platformRoot(platform);
      v = codeBase(h, platform, root);
    } catch (ProvisionException e) {
      throw new ProvisionException(site.name() + ": its platform " + platform.name() + " cannot take a site: "
          + e.getMessage(), e);
    }
    ctx.skip(platform.name() + ": Drupal " + v.version() + " at " + root);
  }

  private static void platformVerify(StepContext ctx, ResolvedContext platform) {
    Host h = host(ctx, platform);
    Path root = platformRoot(platform);
    if (h.stat(root).isEmpty()) {
      Optional<String> makefile = platform.find(PlatformKeys.MAKEFILE);
      if (makefile.isEmpty()) {
        throw new ProvisionException(platform.name() + ": root " + root + " does not exist; put a Drupal code "
            + "base there, or set makefile to build it");
      }
      PlatformBuilder builder = builders().stream().filter(b -> b.accepts(makefile.get()))
          .findFirst().orElseThrow(() -> new ProvisionException(platform.name() + ": no platform builder accepts makefile "
              + makefile.get() + "; builders: " + builders().stream().map(PlatformBuilder::id).toList()
              + " (composer: the absolute path of a composer.json)"));
      try {
        builder.build(ctx, platform, root);
      } catch (ProvisionException e) {
        throw e;
      } catch (Exception e) {
        throw new ProvisionException(platform.name() + ": building " + root + " with " + builder.id() + " failed: "
            + e.getMessage(), e);
      }
      if (ctx.planOnly()) {
        ctx.skip("would build " + root + " with " + builder.id());
        return;
      }
    }
    DrupalVersion v = codeBase(h, platform, root);
    Path sites = root.resolve("sites");
    h.mkdirs(sites.resolve("all"), FileMode.of(0755));
    for (String d : List.of("modules", "themes", "libraries")) {
      h.mkdirs(sites.resolve("all").resolve(d), FileMode.of(CODE_DIR));
    }
    for (Host web : remoteWebs(ctx, platform)) {
      // The code base goes to the same path on each web server, without the sites' own directories.
      web.sync(root, siteDirExcludes(h, root));
    }
    Map<String, Packages.Package> packages = Packages.scan(h, root);
    for (String type : List.of("module", "theme", "profile")) {
      ctx.result(type + "s", Packages.summary(packages, type, v.version()));
    }
    List<String> profiles = Packages.named(packages, "profile");
    ctx.skip("Drupal " + v.version() + "; " + Packages.named(packages, "module").size() + " modules, "
        + Packages.named(packages, "theme").size() + " themes; install profiles: "
        + (profiles.isEmpty() ? "none found" : String.join(", ", profiles)));
  }

  private static List<PlatformBuilder> builders() {
    List<PlatformBuilder> out = new ArrayList<>();
    ServiceLoader.load(PlatformBuilder.class, Drupal.class.getClassLoader()).forEach(out::add);
    return out;
  }

  // ------------------------------------------------------------------ site

  static Path sitePath(ResolvedContext site) {
    return Path.of(Grammar.PATH.check(site.name(), "site_path", site.get(SiteKeys.SITE_PATH)));
  }

  private static void directories(StepContext ctx, ResolvedContext site, boolean install) {
    Host h = host(ctx, site);
    // Also for verify, which has no code-base check: nothing is ever created in a system directory.
    Path root = PlatformRoots.check(site.name(), Path.of(site.get(SiteKeys.ROOT)));
    if (h.stat(root).isEmpty()) {
      throw new ProvisionException(site.name() + ": the platform root " + root + " does not exist; verify the platform first");
    }
    Path path = sitePath(site);
    if (install && h.stat(path.resolve("settings.php")).isPresent() && !leftOverByUs(ctx, h, site, path)) {
      throw new ProvisionException(site.name() + ": " + path.resolve("settings.php")
          + " exists, so the site is installed already; delete it first or verify it");
    }
    String group = webGroup(ctx, site);
    for (Host each : hosts(ctx, site)) {
      each.mkdirs(path, FileMode.of(SITE_DIR));
      for (String d : List.of("files", "private", "private/files", "private/temp", "private/config",
          "private/config/sync")) {
        each.mkdirs(path.resolve(d), FileMode.of(WEB_DIR).withGroup(group));
      }
      for (String d : List.of("modules", "themes", "libraries")) {
        each.mkdirs(path.resolve(d), FileMode.of(CODE_DIR));
      }
    }
  }

  /**
   * A settings.php that Provision wrote for this site, which the site's context does not record
   * as installed: an install that was interrupted (the process killed) before it could finish or
   * roll back. Installing again takes over from it instead of refusing.
   */
  private static boolean leftOverByUs(StepContext ctx, Host h, ResolvedContext planned, Path path) {
    ResolvedContext site = ctx.resolve(planned.name());
    if (site.get(SiteKeys.INSTALLED)) {
      return false;
    }
    String uri = site.get(SiteKeys.URI);
    boolean ours = h.read(path.resolve("settings.php")).map(b -> new String(b, StandardCharsets.UTF_8))
        .filter(t -> t.contains(" settings for " + uri + ", written by Provision for Java.")).isPresent();
    if (ours) {
      ctx.warn(site.name() + ": " + path.resolve("settings.php") + " was left by an install that did not finish;"
          + " this install takes over from it");
    }
    return ours;
  }

  private static void settings(StepContext ctx, ResolvedContext planned) {
    ResolvedContext site = ctx.resolve(planned.name());
    if (ctx.task() == Task.VERIFY && !site.get(SiteKeys.INSTALLED)) {
      ctx.skip(site.name() + " is not installed yet: no settings.php until 'provision install " + site.name() + "'");
      return;
    }
    Host h = host(ctx, site);
    Path path = sitePath(site);
    Path root = Path.of(site.get(SiteKeys.ROOT));
    int major = DrupalVersion.detect(h, root).map(DrupalVersion::major).orElse(10);
    String group = webGroup(ctx, site);
    Optional<byte[]> old = h.read(path.resolve("settings.php"));
    String salt = old.map(b -> SALT.matcher(new String(b, StandardCharsets.UTF_8))).filter(Matcher::find)
        .map(m -> m.group(1)).orElseGet(Drupal::newSalt);
    String includes = ctx.resolve(ContextName.MASTER).get(ServerKeys.INCLUDE_PATH);
    ResolvedContext web = webServer(ctx, site);
    List<String> extra = Templates.extensionLines(ctx, SETTINGS_EXTRA, site, web);
    byte[] settings = Settings.settingsPhp(ctx.localHost(), web, site, major, salt, includes, extra)
        .getBytes(StandardCharsets.UTF_8);
    byte[] drushrc = Settings.drushrc(ctx.localHost(), web, site).getBytes(StandardCharsets.UTF_8);
    for (Host each : hosts(ctx, site)) {
      each.write(path.resolve("settings.php"), settings, FileMode.of(SETTINGS).withGroup(group));
      each.write(path.resolve("drushrc.php"), drushrc, FileMode.of(SETTINGS));
    }
  }

  static String newSalt() {
    byte[] b = new byte[55];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static void install(StepContext ctx, ResolvedContext planned) {
    ResolvedContext site = ctx.resolve(planned.name());
    String method = site.get(SiteKeys.INSTALL_METHOD);
    if (method.equals("profile")) {
      DrushSteps.install(ctx, site);
    } else {
      ctx.result("login_link", "http://" + site.get(SiteKeys.URI) + "/install.php");
    }
    ctx.save(site.name(), PropertyChanges.builder().set(SiteKeys.INSTALLED, true).build());
  }

  private static void links(StepContext ctx, ResolvedContext planned) {
    ResolvedContext site = ctx.resolve(planned.name());
    Host h = host(ctx, site);
    Optional<String> client = site.find(SiteKeys.CLIENT_NAME);
    if (client.isPresent()) {
      String c = Grammar.NAME.check(site.name(), "client_name", client.get());
      ResolvedContext master = ctx.resolve(ContextName.MASTER);
      Path clients = Path.of(master.get(ServerKeys.CLIENTS_PATH)).resolve(c);
      h.mkdirs(clients, FileMode.of(0750));
      h.symlink(clients.resolve(site.get(SiteKeys.URI)), sitePath(site).toString());
    }
    for (Host each : hosts(ctx, site)) {
      SitesPhp.update(ctx, each, site);
    }
  }

  private static void delete(StepContext ctx, ResolvedContext site) {
    Host h = host(ctx, site);
    Optional<String> client = site.find(SiteKeys.CLIENT_NAME);
    if (client.isPresent() && Grammar.NAME.accepts(client.get())) {
      ResolvedContext master = ctx.resolve(ContextName.MASTER);
      h.remove(Path.of(master.get(ServerKeys.CLIENTS_PATH)).resolve(client.get()).resolve(site.get(SiteKeys.URI)));
    }
    for (Host each : hosts(ctx, site)) {
      SitesPhp.remove(ctx, each, site);
      each.remove(sitePath(site));
    }
  }
}
