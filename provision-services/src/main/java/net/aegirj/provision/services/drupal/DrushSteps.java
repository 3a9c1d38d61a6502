package net.aegirj.provision.services.drupal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.TaskOptions;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.services.drupal.Drush.Verb;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.StepContext;

/**
 * The steps that run Drupal itself through the platform's {@link Drush}: a profile install, the
 * database updates after a deploy or restore, login links, cron, and the package check before a
 * migrate. Every value that reaches Drush's command line is checked against its grammar first;
 * everything Drush prints is bounded and checked before it is used.
 */
final class DrushSteps {
  /** The account mail when neither the site nor a server names one (as Aegir does). */
  static final String NO_MAIL = "this.email@is.invalid";
  private static final Pattern DRUPAL_MAIL =
      Pattern.compile("[^@\\s]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}");
  private static final Pattern LINK = Pattern.compile("https?://[\\x21-\\x7e]{1,2000}");
  private static final Pattern UPDATE = Pattern.compile("\\b([a-z][a-z0-9_]{0,120}_(?:post_)?update_[a-z0-9_]{1,80})\\b");
  private static final Pattern UPDATE_ROW =
      Pattern.compile("(?m)^[\\s|]*([a-z][a-z0-9_]{0,120})[\\s|]+([0-9]{4,6})[\\s|]");
  private static final Pattern JSON_CRON_KEY = Pattern.compile("\"cron_key\"\\s*:\\s*\"([^\"]{0,200})\"");
  private static final Pattern TOP_LEVEL_KEY = Pattern.compile("\"([a-z][a-z0-9_]{0,127})\"\\s*:\\s*\\{");
  private static final int MAX_OUTPUT = 4 * 1024 * 1024;

  private DrushSteps() {}

  /**
   * A profile install: site-install with the profile, the language and the account mail, then the
   * admin account's one-time login link ({@code login_link}) and the cron key.
   */
  static void install(StepContext ctx, ResolvedContext site) {
    String profile = Grammar.ID.check(site.name(), "profile", site.get(SiteKeys.PROFILE));
    String language = Grammar.LANGUAGE.check(site.name(), "language", site.get(SiteKeys.LANGUAGE));
    String mail = accountMail(ctx, site);
    String uri = Grammar.HOST.check(site.name(), "uri", site.get(SiteKeys.URI));
    checkProfile(ctx, site, profile);
    Drush drush = Drush.of(ctx, site, "install_method=profile");
    if (ctx.planOnly()) {
      ctx.changed("drush " + drush.name(Verb.SITE_INSTALL) + " " + profile + " on "
          + drush.host().name());
      return;
    }
    // Drush prints the generated admin password: its output stays out of the report.
    drush.run(ctx, Verb.SITE_INSTALL, List.of(profile, "--locale=" + language, "--site-name=" + uri,
        "--site-mail=" + mail, "--account-mail=" + mail, "--account-name=admin"), Drush.LONG);
    ctx.changed("Drupal installed with profile " + profile + " (" + language + ") by Drush " + drush.major());
    ctx.result("login_link", loginLink(ctx, site, drush));
    cronKey(ctx, site, drush);
  }

  /** The profile must be one the platform has: refused before the installer runs. */
  private static void checkProfile(StepContext ctx, ResolvedContext site, String profile) {
    ResolvedContext platform = ctx.resolve(ContextName.of(site.get(SiteKeys.PLATFORM)));
    Path root = Path.of(platform.get(PlatformKeys.ROOT));
    Map<String, Packages.Package> packages = Packages.scan(Drupal.host(ctx, site), root);
    Packages.Package p = packages.get(profile);
    if (p == null || !p.type().equals("profile")) {
      throw new InvalidContextException(site.name().toString(), "profile", Text.quote(profile)
          + " is not an install profile of " + platform.name() + "; it has: " + String.join(", ",
          Packages.named(packages, "profile")));
    }
  }

  /** {@code client_email}, else the web server's or the master's {@code admin_email}. */
  private static String accountMail(StepContext ctx, ResolvedContext site) {
    Optional<String> mail = site.find(SiteKeys.CLIENT_EMAIL)
        .or(() -> Drupal.webServer(ctx, site).find(ServerKeys.ADMIN_EMAIL))
        .or(() -> ctx.resolve(ContextName.MASTER).find(ServerKeys.ADMIN_EMAIL));
    if (mail.isEmpty()) {
      ctx.warn(site.name() + ": no client_email on the site and no admin_email on its servers; the admin account's"
          + " mail is " + NO_MAIL);
      return NO_MAIL;
    }
    String m = Grammar.EMAIL.check(site.name(), "client_email", mail.get());
    if (!DRUPAL_MAIL.matcher(m).matches()) {
      // Drupal refuses a mail whose domain is not a name (admin@127.0.0.1, the default on loopback).
      ctx.warn(site.name() + ": " + Text.quote(m) + " is not a mail Drupal accepts; the admin account's mail is "
          + NO_MAIL + " (set client_email on the site)");
      return NO_MAIL;
    }
    return m;
  }

  /** login-reset: a fresh one-time login link, as the result {@code login_link}. */
  static void loginReset(StepContext ctx, ResolvedContext site) {
    installedAndServing(site, "a login link", false);
    Drush drush = Drush.of(ctx, site, "a login link");
    if (ctx.planOnly()) {
      return;
    }
    ctx.result("login_link", loginLink(ctx, site, drush));
  }

  private static String loginLink(StepContext ctx, ResolvedContext site, Drush drush) {
    String out = drush.run(ctx, Verb.USER_LOGIN, List.of(), Drush.SHORT).stdout().strip();
    String link = out.lines().map(String::strip).filter(l -> l.startsWith("http")).reduce((a, b) -> b).orElse("");
    if (!LINK.matcher(link).matches()) {
      throw new ProvisionException(site.name() + ": Drush printed no login link: " + Text.quote(out));
    }
    return link;
  }

  /** Reads Drupal's cron key and keeps it on the site ({@code cron_key}); a bad answer warns. */
  private static void cronKey(StepContext ctx, ResolvedContext site, Drush drush) {
    String out;
    try {
      out = drush.run(ctx, Verb.CRON_KEY, List.of(), Drush.SHORT).stdout().strip();
    } catch (ProvisionException e) {
      ctx.warn(site.name() + ": the cron key could not be read: " + e.getMessage());
      return;
    }
    Matcher m = JSON_CRON_KEY.matcher(out);
    String key = m.find() ? m.group(1) : out.replaceAll("^\"|\"$", "");
    if (!Grammar.TOKEN.accepts(key)) {
      ctx.warn(site.name() + ": Drush printed no cron key: " + Text.quote(out));
      return;
    }
    if (!key.equals(site.find(SiteKeys.CRON_KEY).orElse(""))) {
      ctx.save(site.name(), PropertyChanges.builder().set(SiteKeys.CRON_KEY, key).build());
    }
  }

  /**
   * After a deploy or restore (and so a migrate or clone): the database updates of the site's
   * (new) code, then a cache rebuild, then the cron key. A failed update fails the step, and the
   * task rolls back with it.
   */
  static void update(StepContext ctx, ResolvedContext planned) {
    ResolvedContext site = ctx.resolve(planned.name());
    Optional<Drush> found = Drush.find(ctx, site);
    if (found.isEmpty()) {
      ctx.warn(site.name() + ": its platform has no Drush (no vendor/bin/drush, no drush_path), so the database"
          + " updates of its code were not run; run them with the site's Drush (drush updatedb), or give the"
          + " platform a drush_path and verify it");
      ctx.skip("no Drush: database updates not run");
      return;
    }
    Drush drush = found.get();
    if (ctx.planOnly()) {
      ctx.changed("drush updatedb and a cache rebuild on " + drush.host().name());
      return;
    }
    CommandResult r = drush.run(ctx, Verb.UPDATEDB, List.of(), Drush.LONG);
    // The table of pending updates (stdout: module, update number, …), all applied when it
    // succeeded, and the update functions its log names.
    Set<String> applied = new LinkedHashSet<>();
    String out = r.stdout().length() > MAX_OUTPUT ? r.stdout().substring(0, MAX_OUTPUT) : r.stdout();
    Matcher row = UPDATE_ROW.matcher(out);
    while (row.find() && applied.size() < 1000) {
      applied.add(row.group(1) + "_update_" + row.group(2));
    }
    Matcher m = UPDATE.matcher(r.stderrTail());
    while (m.find() && applied.size() < 1000) {
      applied.add(m.group(1));
    }
    if (applied.isEmpty()) {
      ctx.changed("updatedb: no pending updates");
    } else {
      applied.forEach(u -> ctx.changed("updatedb: " + u));
      ctx.result("updates_applied", String.join(",", applied));
    }
    drush.run(ctx, Verb.CACHE_REBUILD, List.of(), Drush.LONG);
    ctx.changed("caches rebuilt");
    cronKey(ctx, site, drush);
  }

  /** The cron task: Drupal's cron through Drush, for an installed, enabled site. */
  static void cron(StepContext ctx, ResolvedContext site) {
    installedAndServing(site, "cron", true);
    Drush drush = Drush.of(ctx, site, "cron");
    if (ctx.planOnly()) {
      ctx.changed("drush cron on " + drush.host().name());
      return;
    }
    drush.run(ctx, Verb.CRON, List.of(), Drush.LONG);
    ctx.changed("cron ran on " + drush.host().name());
  }

  private static void installedAndServing(ResolvedContext site, String what, boolean enabled) {
    if (!site.get(SiteKeys.INSTALLED)) {
      throw new InvalidContextException(site.name().toString(), null, "is not installed; " + what
          + " needs an installed site ('provision install " + site.name() + "')");
    }
    if (enabled && !site.get(SiteKeys.SITE_ENABLED)) {
      throw new InvalidContextException(site.name().toString(), null, "is disabled; " + what
          + " runs only on an enabled site ('provision enable " + site.name() + "')");
    }
  }

  /**
   * Before a migrate or clone to another platform: every module and theme the site has enabled
   * (Drush's package list) must be on the target platform (its info files) or in the site's own
   * directory. Refused otherwise, before anything changes.
   */
  static void checkMigrate(StepContext ctx, ResolvedContext site) {
    Optional<String> target = ctx.option(TaskOptions.PLATFORM);
    if (target.isEmpty() || target.get().equals(site.get(SiteKeys.PLATFORM))) {
      ctx.skip("the site stays on its platform");
      return;
    }
    ContextName targetName = ContextName.of(target.get());
    ResolvedContext platform = ctx.resolve(targetName);
    Optional<Drush> found = Drush.find(ctx, site);
    if (found.isEmpty()) {
      ctx.warn(site.name() + ": its platform has no Drush, so what the site has enabled could not be checked"
          + " against " + targetName);
      ctx.skip("no Drush: packages not checked");
      return;
    }
    Drush drush = found.get();
    if (ctx.planOnly()) {
      return;
    }
    String out = drush.run(ctx, Verb.PM_LIST, List.of(), Drush.SHORT).stdout();
    if (out.length() > MAX_OUTPUT) {
      throw new ProvisionException(site.name() + ": Drush's package list is larger than " + MAX_OUTPUT + " bytes");
    }
    Set<String> enabled = new TreeSet<>();
    String body = out.strip();
    if (!body.startsWith("{") && !body.equals("[]")) {
      throw new ProvisionException(site.name() + ": Drush's package list is not JSON: " + Text.quote(body));
    }
    Matcher m = TOP_LEVEL_KEY.matcher(body);
    while (m.find()) {
      enabled.add(m.group(1));
    }
    Map<String, Packages.Package> has = Packages.scan(Drupal.host(ctx, site), Path.of(platform.get(PlatformKeys.ROOT)));
    Map<String, Packages.Package> own = Packages.scan(Drupal.host(ctx, site), Drupal.sitePath(site));
    List<String> missing = new ArrayList<>();
    for (String name : enabled) {
      if (!has.containsKey(name) && !own.containsKey(name)) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new InvalidContextException(site.name().toString(), "platform", targetName + " lacks what the site has"
          + " enabled: " + String.join(", ", missing) + "; add " + (missing.size() == 1 ? "it" : "them")
          + " to the platform, verify it, then migrate");
    }
    ctx.skip(targetName + " has all " + enabled.size() + " packages the site has enabled");
  }
}
