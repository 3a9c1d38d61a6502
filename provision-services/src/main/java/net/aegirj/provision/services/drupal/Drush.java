package net.aegirj.provision.services.drupal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.StepContext;

/**
 * A platform's Drush, found and spoken to in the syntax of its major version.
 *
 * <p>Where: {@code <root>/vendor/bin/drush} when the platform has one (Drupal 8 and later), else
 * the platform's {@code drush_path}, else its web server's. It runs on the site's web server (over
 * SSH for a remote one, where the code base and the site directory have been pushed), as the user
 * that owns the site's files there (this process's user locally, the SSH login remotely), as an
 * argument vector (never through a shell), with {@code --root} and {@code --uri}, and with a time
 * limit. The database credentials never appear on its command line: Drush bootstraps the site,
 * whose {@code settings.php} reads them from the {@code drushrc.php} beside it.
 *
 * <p>Its major version is asked once per task ({@code drush --version}); Drush 8 and Drush 9+
 * differ in their command names ({@code site-install} / {@code site:install} …). A Drupal 7
 * platform needs a Drush 8, a Drupal 8+ platform a Drush 9 or later; any other pairing is
 * refused before it runs.
 */
final class Drush {
  /** How long an install or a database update may run. */
  static final Duration LONG = Duration.ofMinutes(20);
  /** How long any other Drush command may run. */
  static final Duration SHORT = Duration.ofMinutes(5);
  private static final Pattern VERSION =
      Pattern.compile("Drush (?:Commandline Tool|Version)\\s*:?\\s*v?(\\d{1,3})\\.(\\d{1,4})(?:\\.(\\d{1,4}))?");
  private static final int MAX_VERSION_TEXT = 2000;
  private static final Pattern PASSWORD = Pattern.compile("(?i)(password\\s*[:=]?\\s*)\\S+");

  private final Host host;
  private final Path path;
  private final int major;
  private final String root;
  private final String uri;
  private final String site;

  private Drush(Host host, Path path, int major, String root, String uri, String site) {
    this.host = host;
    this.path = path;
    this.major = major;
    this.root = root;
    this.uri = uri;
    this.site = site;
  }

  /** The commands Provision runs, by what they do. */
  enum Verb {
    SITE_INSTALL("site-install", "site:install"),
    UPDATEDB("updatedb", "updatedb"),
    CACHE_REBUILD("cache-clear", "cache:rebuild"),
    USER_LOGIN("user-login", "user:login"),
    CRON("cron", "core:cron"),
    PM_LIST("pm-list", "pm:list"),
    CRON_KEY("variable-get", "state:get");

    private final String drush8;
    private final String drush9;

    Verb(String drush8, String drush9) {
      this.drush8 = drush8;
      this.drush9 = drush9;
    }

    /**
     * @param major Drush's major version
     * @return the command's name and fixed arguments in that version's syntax
     */
    List<String> argv(int major) {
      if (major <= 8) {
        return switch (this) {
          case CACHE_REBUILD -> List.of(drush8, "all");
          case PM_LIST -> List.of(drush8, "--status=enabled", "--format=json");
          case CRON_KEY -> List.of(drush8, "cron_key", "--format=json");
          case USER_LOGIN -> List.of(drush8, "--no-browser");
          default -> List.of(drush8);
        };
      }
      return switch (this) {
        case PM_LIST -> List.of(drush9, "--status=enabled", "--format=json");
        case CRON_KEY -> List.of(drush9, "system.cron_key");
        case USER_LOGIN -> List.of(drush9, "--no-browser");
        default -> List.of(drush9);
      };
    }
  }

  /**
   * Finds the Drush of a site's platform on the site's web server and learns its major version
   * (once per task and Drush); a step that cannot do without it.
   *
   * @param ctx the step's context
   * @param site the site, resolved
   * @param purpose what it is needed for, for the error when there is none
   * @return the site's Drush
   * @throws ProvisionException when there is none, or it is not a Drush this platform can use
   */
  static Drush of(StepContext ctx, ResolvedContext site, String purpose) {
    return find(ctx, site).orElseThrow(() -> {
      ResolvedContext platform = ctx.resolve(ContextName.of(site.get(SiteKeys.PLATFORM)));
      return new ProvisionException(site.name() + ": " + purpose + " needs Drush, and the platform "
          + platform.name() + " has none: " + Path.of(site.get(SiteKeys.ROOT)).resolve("vendor/bin/drush")
          + " does not exist and no drush_path is set; add Drush to the platform (composer require drush/drush),"
          + " or for a Drupal 7 platform save it with --drush_path=<a Drush 8>");
    });
  }

  /**
   * Like {@link #of}, for a step that can do without Drush.
   *
   * @return the site's Drush, or empty when the platform has none and no {@code drush_path} is set
   * @throws ProvisionException when {@code drush_path} names nothing, or a Drush this platform
   *     cannot use
   */
  static Optional<Drush> find(StepContext ctx, ResolvedContext site) {
    ResolvedContext platform = ctx.resolve(ContextName.of(site.get(SiteKeys.PLATFORM)));
    ResolvedContext web = Drupal.webServer(ctx, site);
    Host host = Drupal.remoteWeb(ctx, site).orElseGet(() -> Drupal.host(ctx, site));
    String root = Grammar.PATH.check(site.name(), "root", site.get(SiteKeys.ROOT));
    Path own = Path.of(root).resolve("vendor/bin/drush");
    Path path;
    if (host.stat(own).isPresent()) {
      path = own;
    } else {
      Optional<String> configured = platform.find(PlatformKeys.DRUSH_PATH).or(() -> web.find(ServerKeys.DRUSH_PATH));
      if (configured.isEmpty()) {
        return Optional.empty();
      }
      path = Path.of(Grammar.PATH.check(platform.name(), "drush_path", configured.get()));
      if (host.stat(path).isEmpty()) {
        throw new ProvisionException(site.name() + ": drush_path " + path + " does not exist on " + host.name());
      }
    }
    String uri = site.get(SiteKeys.URI);
    int drupal = DrupalVersion.detect(Drupal.host(ctx, site), Path.of(root)).map(DrupalVersion::major).orElse(10);
    // A plan runs nothing: it assumes the Drush that fits the platform.
    int major = ctx.planOnly() ? (drupal <= 7 ? 8 : 12)
        : ctx.resource("drupal:drush-version:" + host.name() + ":" + path, () -> new Known(version(host, path))).major;
    if (drupal <= 7 && major > 8) {
      throw new ProvisionException(site.name() + ": " + path + " is Drush " + major + ", which cannot run Drupal "
          + drupal + "; a Drupal 7 platform needs a Drush 8: save the platform with --drush_path=<a Drush 8>");
    }
    if (drupal >= 8 && major < 9) {
      throw new ProvisionException(site.name() + ": " + path + " is Drush " + major + ", which cannot run Drupal "
          + drupal + "; use the platform's own Drush (composer require drush/drush)");
    }
    return Optional.of(new Drush(host, path, major, root, uri, site.name().toString()));
  }

  /** The version a task learned, kept as a task resource (nothing to close). */
  private record Known(int major) implements AutoCloseable {
    @Override
    public void close() {}
  }

  private static int version(Host host, Path path) {
    CommandResult r = host.run(Command.of(path.toString(), "--version").withTimeout(Duration.ofSeconds(60)));
    String text = r.stdout().length() > MAX_VERSION_TEXT ? r.stdout().substring(0, MAX_VERSION_TEXT) : r.stdout();
    Matcher m = VERSION.matcher(text);
    if (!r.succeeded() || !m.find()) {
      throw new ProvisionException(path + " on " + host.name() + " is not a Drush that Provision knows: '"
          + path + " --version' " + (r.succeeded() ? "printed " + Text.quote(text.strip()) : "exited with status "
          + r.exitCode() + ": " + Text.quote(r.stderrTail().strip())));
    }
    int major = Integer.parseInt(m.group(1));
    if (major < 8) {
      throw new ProvisionException(path + " on " + host.name() + " is Drush " + major + "; Provision needs Drush 8"
          + " (Drupal 7) or Drush 9 and later");
    }
    return major;
  }

  /** @return Drush's major version */
  int major() {
    return major;
  }

  /**
   * @param verb a command
   * @return its name in this Drush's syntax, e.g. {@code site:install}
   */
  String name(Verb verb) {
    return verb.argv(major).get(0);
  }

  /** @return where it is */
  Path path() {
    return path;
  }

  /** @return the host it runs on */
  Host host() {
    return host;
  }

  /**
   * The argument vector of a command: Drush, {@code --root}, {@code --uri}, {@code --yes}, the
   * command in this version's syntax, then {@code args}.
   *
   * @param verb what to run
   * @param args its own arguments (checked by the caller: never a secret)
   * @return the argument vector
   */
  List<String> argv(Verb verb, List<String> args) {
    List<String> argv = new ArrayList<>(List.of(path.toString(), "--root=" + root, "--uri=" + uri, "--yes"));
    argv.addAll(verb.argv(major));
    argv.addAll(args);
    return argv;
  }

  /**
   * Runs a command and fails when it does.
   *
   * @param ctx the step's context (warnings Drush prints go to the report)
   * @param verb what to run
   * @param args its own arguments
   * @param timeout how long it may run
   * @return what it did (its standard error tail with passwords masked)
   * @throws ProvisionException naming the command and what Drush said, when it exits non-zero
   */
  CommandResult run(StepContext ctx, Verb verb, List<String> args, Duration timeout) {
    CommandResult raw = host.run(Command.of(argv(verb, args)).withTimeout(timeout));
    // site-install prints the admin account's generated password: never into a report.
    CommandResult r = new CommandResult(raw.host(), raw.command(), raw.exitCode(), mask(raw.stdout()),
        mask(raw.stderrTail()), raw.duration());
    for (String line : r.stderrTail().split("\n")) {
      String l = line.strip();
      if (l.startsWith("[warning]") || (l.startsWith("[error]") && r.succeeded())) {
        ctx.warn(site + ": drush " + name(verb) + ": " + Text.quote(l));
      }
    }
    if (!r.succeeded()) {
      throw new ProvisionException(site + ": 'drush " + String.join(" ", verb.argv(major)) + "' failed on "
          + host.name() + " (exit status " + r.exitCode() + "): " + lastLines(r.stderrTail(), r.stdout()));
    }
    return r;
  }

  /** @return the text with whatever follows a "password" label replaced */
  static String mask(String text) {
    return PASSWORD.matcher(text).replaceAll("$1[redacted]");
  }

  private static String lastLines(String stderr, String stdout) {
    String text = (stderr.isBlank() ? stdout : stderr).strip();
    if (text.length() > 1000) {
      text = "…" + text.substring(text.length() - 1000);
    }
    return text.isEmpty() ? "no message" : Text.quote(text);
  }
}
