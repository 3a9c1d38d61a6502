package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Stand-ins for Drupal core and Drush, for tests that must judge Provision's Drupal work from outside
 * (HTTP answers and what MariaDB holds) on machines where neither can be fetched.
 *
 * <h2>Platforms</h2>
 * {@link #platform(Path, Shape, Release, String...)} lays out a code base of one {@link Shape} and
 * one {@link Release}; files are mode 0644, directories 0755, scripts 0755.
 * <ul>
 *   <li>{@link Shape#DRUPAL10}: {@code core/lib/Drupal.php} with {@code const VERSION = '10.3.1';}
 *       ({@code 10.3.2}, {@code 10.3.3} for {@link Release#NEWER}, {@link Release#FAILING});
 *       modules {@code core/modules/{system,node,user}}, profiles {@code core/profiles/{standard,minimal}},
 *       theme {@code core/themes/olivero}, each with a {@code <name>.info.yml} that says
 *       {@code version: VERSION} as real core does (the core version); the contrib module
 *       {@code modules/contrib/token/token.info.yml} with the packaging script's
 *       {@code version: '8.x-1.13'}; {@code sites/default/default.settings.php}, {@code index.php},
 *       {@code .htaccess}, and the Drush 12 stand-in at {@code vendor/bin/drush}.</li>
 *   <li>{@link Shape#DRUPAL7}: {@code includes/bootstrap.inc} with {@code define('VERSION', '7.100');}
 *       ({@code 7.101}, {@code 7.102}); {@code modules/{system,node,user}/<name>.info},
 *       {@code themes/bartik/bartik.info}, {@code profiles/{standard,minimal}/<name>.info} and
 *       {@code <name>.profile}, each ending with the packaging script's {@code version = "7.100"};
 *       contrib {@code sites/all/modules/token/token.info} ({@code version = "7.x-1.9"});
 *       {@code sites/default/default.settings.php}, {@code index.php}, {@code .htaccess}. No Drush:
 *       Drupal 7 platforms use a Drush 8 from elsewhere, {@link #drush8(Path)}.</li>
 * </ul>
 *
 * <h2>Updates</h2>
 * The updates a release brings are the functions {@code system_update_N()} of
 * {@code core/modules/system/system.install} (Drupal 10) or {@code modules/system/system.install}
 * (Drupal 7), as in real Drupal; the first line of each function's doc comment is its description.
 * {@link #updates(Shape, Release)} lists them: Drupal 10 {@code BASE} 10300, 10301; {@code NEWER}
 * adds 10302, 10303; {@code FAILING} adds 10302 and 10303, which throws. Drupal 7 likewise with 7100,
 * 7101 / 7102, 7103. A fresh install records the highest update of its release as the schema version.
 *
 * <h2>The Drush stand-ins</h2>
 * PHP scripts ({@code #!/usr/bin/env php}) that speak exactly one syntax; the Drush 12 one refuses a
 * Drupal 7 root and the Drush 8 one a Drupal 10 root. Global options, before or after the command:
 * {@code --root=DIR} (Drush 12 defaults to the platform holding its {@code vendor/bin}, both then look
 * from the working directory upwards), {@code --uri=URI} (default {@code default}), {@code -y} /
 * {@code --yes} (without it, questions are asked on stdin; no answer cancels). The site directory is
 * found as Drupal finds it: an alias in {@code sites/sites.php} ({@code <port>.<host>} then
 * {@code <host>}), then {@code sites/<port>.<host>}, then {@code sites/<host>}; none is an error
 * ("Could not find a Drupal site"). The stand-in includes the site's {@code settings.php}
 * ({@code DRUPAL_ROOT}, {@code $app_root}, {@code $site_path} defined as Drupal does) and connects to
 * {@code $databases['default']['default']} with PDO mysql. {@code --db-url} is refused, and so is any
 * option or command it does not know. Messages go to stderr in the Drush's style (Drush 12:
 * {@code " [success] Message"}; Drush 8: {@code "Message   [success]"}), data to stdout; exit 0 on
 * success, 1 on failure.
 * <table>
 *   <caption>Commands</caption>
 *   <tr><th>Drush 12</th><th>Drush 8</th><th>does</th></tr>
 *   <tr><td>{@code --version}</td><td>{@code --version}</td><td>stdout
 *       {@code Drush Commandline Tool 12.5.3.0} / {@code " Drush Version   :  8.4.12 "}</td></tr>
 *   <tr><td>{@code site:install [profile]}</td><td>{@code site-install [profile]}</td><td>options
 *       {@code --locale=xx}, {@code --account-mail}, {@code --site-mail}, {@code --site-name},
 *       {@code --account-name} (default {@code admin}); refuses a profile not on the platform, a
 *       malformed locale or mail, and a database that holds any table (nothing is touched); else
 *       creates the tables {@code fixture_state} (name, value: {@code profile}, {@code locale},
 *       {@code site_name}, {@code site_mail}, {@code schema_version}, {@code cron_key} (32 hex),
 *       {@code installed_at}, {@code installed_version}, {@code cache_rebuilds}), {@code users}
 *       (uid 1), {@code login_tokens}, {@code cron_runs}, {@code modules} (every module and theme of
 *       the platform and the chosen profile, {@code status} 1) and {@code updates_applied}; logs
 *       {@code Installation complete.  User name: admin  User password: <random>} as real Drush
 *       does.</td></tr>
 *   <tr><td>{@code updatedb}, {@code updb}</td><td>{@code updatedb}, {@code updb}</td><td>refuses a
 *       site not installed; prints the pending updates' table on stdout, then runs each update above
 *       the stored schema version in order, recording it in {@code updates_applied} and the schema
 *       version after each; logs {@code Update started: system_update_N} / {@code Update completed:
 *       ...} (12) or {@code Performed update: system_update_N} (8), then {@code Finished performing
 *       updates.}. A failing update exits 1 after the earlier ones are recorded, logging
 *       {@code Update failed: system_update_N} (12) or {@code The update process was aborted
 *       prematurely while running update #N in system.module.} (8). Nothing pending:
 *       {@code No pending updates.} (12), {@code No database updates required} (8).</td></tr>
 *   <tr><td>{@code cache:rebuild}</td><td>{@code cache-clear all}</td><td>adds one to
 *       {@code cache_rebuilds}; {@code Cache rebuild complete.} / {@code 'all' cache was
 *       cleared.}</td></tr>
 *   <tr><td>{@code user:login [path]}</td><td>{@code user-login [path]}</td><td>options
 *       {@code --name}, {@code --uid}, {@code --mail}, {@code --no-browser}, {@code --browser=0};
 *       stores a fresh token and prints {@code http://<uri>/user/reset/1/<timestamp>/<token>/login}
 *       ({@code --uri} with a scheme is kept as it is; a path adds {@code ?destination=path})</td></tr>
 *   <tr><td>{@code core:cron}</td><td>{@code cron}</td><td>inserts a row in {@code cron_runs}</td></tr>
 *   <tr><td>{@code pm:list}</td><td>{@code pm-list}</td><td>{@code --status=enabled|disabled},
 *       {@code --type=module|theme}, {@code --format=json|table}. JSON keyed by machine name; Drush 12
 *       values {@code package, project, display_name, name} (machine name){@code , type}
 *       ({@code module}, {@code theme}, {@code profile}){@code , path, status} ({@code Enabled})
 *       {@code , version}; Drush 8 values {@code package, name} ({@code "Token (token)"}){@code ,
 *       type} ({@code Module}, {@code Theme}; the profile is a {@code Module}){@code , status,
 *       version}. Versions come from the platform's info files ({@code VERSION} resolved); what is
 *       enabled from the {@code modules} table.</td></tr>
 *   <tr><td>{@code state:get system.cron_key [--format=json]}</td><td>{@code variable-get cron_key
 *       [--format=json] [--exact]}</td><td>the cron key: Drush 12 prints the bare value (JSON: a
 *       string); Drush 8 prints {@code cron_key: 'value'} (JSON: {@code {"cron_key": "value"}}
 *       pretty-printed; with {@code --exact}: a string). Also {@code system.cron_last} /
 *       {@code cron_last}.</td></tr>
 *   <tr><td>{@code status [--format=json]}</td><td>{@code status}</td><td>lines like
 *       {@code " Drupal version   : 10.3.1"}, {@code Site path}, {@code " Database         :
 *       Connected"}, {@code Drupal bootstrap : Successful} when installed</td></tr>
 * </table>
 *
 * <h2>The fixture app</h2>
 * {@code index.php} finds the site directory from the {@code Host} header the same way, includes its
 * settings (the vhost passes {@code db_*}), and answers {@code text/plain}:
 * <ul>
 *   <li>{@code GET /user/reset/<uid>/<timestamp>/<token>/login}: 200 {@code login ok uid=1} for a link
 *       the stand-in issued, unused and less than a day old; a login uses up every link of that user.
 *       Any other: 403 {@code login refused}.</li>
 *   <li>Anything else: 200 and one line, see {@link #statusLine}:
 *       <pre>host=&lt;Host header&gt; site=&lt;dir|none&gt; installed=&lt;yes|no&gt; schema=&lt;n|none&gt; profile=&lt;p|none&gt; release=&lt;core version&gt; cron=&lt;runs&gt; db=&lt;database|none|error:message&gt;</pre>
 *       {@code db} comes last because an error message may hold spaces.</li>
 * </ul>
 */
public final class DrupalFixtures {
  /** The version the Drush 12 stand-in reports. */
  public static final String DRUSH12_VERSION = "12.5.3.0";
  /** The version the Drush 8 stand-in reports. */
  public static final String DRUSH8_VERSION = "8.4.12";
  /** Where the Drush 12 stand-in lives on a {@link Shape#DRUPAL10} platform, relative to its root. */
  public static final String DRUSH12_PATH = "vendor/bin/drush";

  private static final String BASE = "drupal-fixtures/";
  private static final String RW_R_R = "rw-r--r--";
  private static final String RWX_RX_RX = "rwxr-xr-x";

  /** The shape of a fixture platform: which core it imitates. */
  public enum Shape {
    /** Drupal 7: {@code includes/bootstrap.inc}, {@code *.info} files, Drush 8 from elsewhere. */
    DRUPAL7,
    /** Drupal 10: {@code core/lib/Drupal.php}, {@code *.info.yml} files, Drush 12 in {@code vendor/bin}. */
    DRUPAL10
  }

  /** A release of a fixture platform: its core version and the updates it brings. */
  public enum Release {
    /** The first release: Drupal 10.3.1 (updates 10300, 10301) or 7.100 (7100, 7101). */
    BASE,
    /** A newer release: 10.3.2 (adds 10302, 10303) or 7.101 (adds 7102, 7103). */
    NEWER,
    /** A newer release whose last update fails: 10.3.3 (10302 works, 10303 fails) or 7.102 (7103 fails). */
    FAILING
  }

  /** An extension of a platform: machine name, type, directory, label, and its contrib version or null. */
  private record Extension(String name, String type, String dir, String label, String contribVersion) {}

  private DrupalFixtures() {}

  /**
   * @param shape the platform's shape
   * @param release its release
   * @return the core version, e.g. {@code 10.3.1} or {@code 7.100}
   */
  public static String coreVersion(Shape shape, Release release) {
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(release, "release");
    int patch = switch (release) {
      case BASE -> 0;
      case NEWER -> 1;
      case FAILING -> 2;
    };
    return shape == Shape.DRUPAL10 ? "10.3." + (1 + patch) : "7.10" + patch;
  }

  /**
   * @param shape the platform's shape
   * @param release its release
   * @return the numbers of the {@code system_update_N()} functions the release defines, ascending
   */
  public static List<Integer> updates(Shape shape, Release release) {
    int first = shape == Shape.DRUPAL10 ? 10300 : 7100;
    int count = release == Release.BASE ? 2 : 4;
    List<Integer> updates = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      updates.add(first + i);
    }
    return List.copyOf(updates);
  }

  /**
   * @param shape the platform's shape
   * @param release its release
   * @return the update that fails ({@link Release#FAILING}: its last one), else empty
   */
  public static OptionalInt failingUpdate(Shape shape, Release release) {
    List<Integer> updates = updates(shape, release);
    return release == Release.FAILING ? OptionalInt.of(updates.get(updates.size() - 1)) : OptionalInt.empty();
  }

  /**
   * @param shape the platform's shape
   * @param release its release
   * @return the schema version a site has after a fresh install on the release, or after
   *     {@code updatedb} from an older release succeeded (for {@link Release#FAILING}, the highest
   *     update, which {@code updatedb} never reaches)
   */
  public static int schemaVersion(Shape shape, Release release) {
    List<Integer> updates = updates(shape, release);
    return updates.get(updates.size() - 1);
  }

  /**
   * @param shape the platform's shape
   * @return the machine names of the platform's modules, themes and profiles ({@code token} is the
   *     contrib module)
   */
  public static Set<String> extensions(Shape shape) {
    Set<String> names = new TreeSet<>();
    for (Extension e : extensionsOf(shape)) {
      names.add(e.name());
    }
    return names;
  }

  /**
   * The line {@code index.php} answers for a site, to compare with an HTTP body.
   *
   * @param host the {@code Host} header sent
   * @param site the site directory, or {@code none}
   * @param schema the schema version, or null when not installed
   * @param profile the install profile, or null when not installed
   * @param release the platform's core version
   * @param cronRuns the number of cron runs recorded
   * @param db the database name, or {@code none}
   * @return the line, with its final line break
   */
  public static String statusLine(String host, String site, Integer schema, String profile, String release,
      int cronRuns, String db) {
    return "host=" + host + " site=" + site + " installed=" + (schema == null ? "no" : "yes") + " schema="
        + (schema == null ? "none" : schema) + " profile=" + (profile == null ? "none" : profile) + " release="
        + release + " cron=" + cronRuns + " db=" + db + "\n";
  }

  /**
   * Lays out a fixture platform in {@code root} (created when missing; files that exist are replaced,
   * and the directories of {@code withoutModules} removed). Files are mode 0644, scripts 0755,
   * directories 0755, {@code root} included; the directories above must be searchable by the web
   * server's workers.
   *
   * @param root the platform's root directory
   * @param shape which core it imitates
   * @param release which release of it
   * @param withoutModules machine names of extensions (modules, themes, profiles) to leave out, for
   *     a platform that lacks what a site has enabled
   * @return {@code root}
   * @throws IllegalArgumentException when a name in {@code withoutModules} is not an extension of the
   *     shape, or is {@code system}
   * @throws UncheckedIOException when a file cannot be written
   */
  public static Path platform(Path root, Shape shape, Release release, String... withoutModules) {
    Objects.requireNonNull(root, "root");
    String version = coreVersion(shape, release);
    Set<String> without = new TreeSet<>(Arrays.asList(withoutModules));
    Set<String> known = extensions(shape);
    for (String name : without) {
      if (!known.contains(name) || name.equals("system")) {
        throw new IllegalArgumentException("cannot leave out " + name + ": the " + shape
            + " fixture's extensions that may be left out are " + known + " but system");
      }
    }
    Map<String, String> files = new LinkedHashMap<>();
    boolean d10 = shape == Shape.DRUPAL10;
    if (d10) {
      files.put("core/lib/Drupal.php", "<?php\n\n/**\n * @file\n * Stand-in for Drupal's core/lib/Drupal.php in the"
          + " Provision testkit's Drupal 10 fixture.\n */\n\n/**\n * Static service container wrapper (fixture: only the"
          + " version).\n */\nclass Drupal {\n\n  /**\n   * The current system version.\n   */\n  const VERSION = '"
          + version + "';\n\n}\n");
    } else {
      files.put("includes/bootstrap.inc", "<?php\n\n/**\n * @file\n * Stand-in for Drupal's includes/bootstrap.inc in"
          + " the Provision testkit's Drupal 7 fixture.\n */\n\n/**\n * The current system version.\n */\ndefine('VERSION', '"
          + version + "');\n\n/**\n * Core API compatibility.\n */\ndefine('DRUPAL_CORE_COMPATIBILITY', '7.x');\n");
    }
    for (Extension e : extensionsOf(shape)) {
      if (without.contains(e.name())) {
        continue;
      }
      files.put(e.dir() + "/" + e.name() + (d10 ? ".info.yml" : ".info"), d10 ? infoYml(e) : info(e, version));
      if (!d10 && e.type().equals("profile")) {
        files.put(e.dir() + "/" + e.name() + ".profile", "<?php\n\n/**\n * @file\n * Stand-in for the " + e.label()
            + " install profile of the Provision testkit's Drupal 7 fixture.\n */\n");
      }
    }
    files.put((d10 ? "core/" : "") + "modules/system/system.install", systemInstall(shape, release));
    files.put("sites/default/default.settings.php", resource("fixture-platform/sites/default/default.settings.php"));
    files.put(".htaccess", resource("fixture-platform/.htaccess"));
    files.put("index.php", resource(BASE + "index.php"));
    try {
      makeDirs(root);
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString(RWX_RX_RX));
      for (Extension e : extensionsOf(shape)) {
        if (without.contains(e.name())) {
          deleteTree(root.resolve(e.dir()));
        }
      }
      for (Map.Entry<String, String> file : files.entrySet()) {
        write(root, file.getKey(), file.getValue(), RW_R_R);
      }
      if (d10) {
        write(root, DRUSH12_PATH, drushScript(12), RWX_RX_RX);
      }
      return root;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lay out the " + shape + " fixture platform in " + root, e);
    }
  }

  /**
   * Writes the Drush 8 stand-in (for {@link Shape#DRUPAL7} platforms) at {@code file}, mode 0755; its
   * missing parent directories are created 0755. Pass it as the {@code drush_path} property.
   *
   * @param file where the script goes
   * @return {@code file}
   * @throws UncheckedIOException when it cannot be written
   */
  public static Path drush8(Path file) {
    Objects.requireNonNull(file, "file");
    Path abs = file.toAbsolutePath();
    try {
      makeDirs(abs.getParent());
      Files.writeString(abs, drushScript(8));
      Files.setPosixFilePermissions(abs, PosixFilePermissions.fromString(RWX_RX_RX));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Drush 8 stand-in at " + file, e);
    }
  }

  private static List<Extension> extensionsOf(Shape shape) {
    if (shape == Shape.DRUPAL10) {
      return List.of(new Extension("system", "module", "core/modules/system", "System", null),
          new Extension("node", "module", "core/modules/node", "Node", null),
          new Extension("user", "module", "core/modules/user", "User", null),
          new Extension("olivero", "theme", "core/themes/olivero", "Olivero", null),
          new Extension("standard", "profile", "core/profiles/standard", "Standard", null),
          new Extension("minimal", "profile", "core/profiles/minimal", "Minimal", null),
          new Extension("token", "module", "modules/contrib/token", "Token", "8.x-1.13"));
    }
    return List.of(new Extension("system", "module", "modules/system", "System", null),
        new Extension("node", "module", "modules/node", "Node", null),
        new Extension("user", "module", "modules/user", "User", null),
        new Extension("bartik", "theme", "themes/bartik", "Bartik", null),
        new Extension("standard", "profile", "profiles/standard", "Standard", null),
        new Extension("minimal", "profile", "profiles/minimal", "Minimal", null),
        new Extension("token", "module", "sites/all/modules/token", "Token", "7.x-1.9"));
  }

  private static String infoYml(Extension e) {
    StringBuilder b = new StringBuilder("name: " + e.label() + "\ntype: " + e.type() + "\ndescription: 'Fixture "
        + e.type() + " of the Provision testkit.'\n");
    if (e.contribVersion() == null) {
      b.append(e.type().equals("module") ? "package: Core\n" : "").append("version: VERSION\n");
    } else {
      b.append("package: Other\ncore_version_requirement: ^9.2 || ^10 || ^11\n\n"
          + "# Information added by Drupal.org packaging script on 2024-02-01\nversion: '").append(e.contribVersion())
          .append("'\nproject: '").append(e.name()).append("'\ndatestamp: 1706817900\n");
    }
    return b.toString();
  }

  private static String info(Extension e, String coreVersion) {
    boolean core = e.contribVersion() == null;
    StringBuilder b = new StringBuilder("name = " + e.label() + "\ndescription = Fixture " + e.type()
        + " of the Provision testkit.\n");
    b.append(e.type().equals("module") ? "package = " + (core ? "Core" : "Other") + "\n" : "");
    b.append(core ? "version = VERSION\n" : "").append("core = 7.x\n\n")
        .append("; Information added by Drupal.org packaging script on 2024-03-06\nversion = \"")
        .append(core ? coreVersion : e.contribVersion()).append("\"\nproject = \"").append(core ? "drupal" : e.name())
        .append("\"\ndatestamp = \"1709734591\"\n");
    return b.toString();
  }

  private static String systemInstall(Shape shape, Release release) {
    StringBuilder b = new StringBuilder("<?php\n\n/**\n * @file\n * Stand-in for system.install: the updates of release "
        + release + " (" + coreVersion(shape, release) + ") of the Provision testkit's " + shape + " fixture.\n */\n");
    OptionalInt failing = failingUpdate(shape, release);
    for (int n : updates(shape, release)) {
      boolean fails = failing.isPresent() && failing.getAsInt() == n;
      b.append("\n/**\n * Fixture update ").append(n).append(fails ? ": fails on purpose." : ": changes nothing.")
          .append("\n */\nfunction system_update_").append(n).append("() {\n");
      if (fails) {
        b.append("  throw new \\RuntimeException('Fixture update ").append(n).append(" fails on purpose (release ")
            .append(release).append(").');\n");
      } else {
        b.append("  return 'Fixture update ").append(n).append(" applied.';\n");
      }
      b.append("}\n");
    }
    return b.toString();
  }

  private static String drushScript(int major) {
    String script = resource(BASE + "drush.php");
    String marker = "@DRUSH_MAJOR@";
    if (!script.contains(marker)) {
      throw new IllegalStateException("the testkit resource " + BASE + "drush.php lacks " + marker);
    }
    return script.replace(marker, Integer.toString(major));
  }

  /** A resource of this package, by its name relative to the package. */
  private static String resource(String name) {
    try (InputStream in = DrupalFixtures.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the testkit resource " + name + " is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the testkit resource " + name, e);
    }
  }

  private static void write(Path root, String relative, String content, String mode) throws IOException {
    Path target = root.resolve(relative);
    makeDirs(target.getParent());
    Files.writeString(target, content);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(mode));
  }

  /** Creates {@code dir} and its missing parents, each it creates made 0755; existing ones stay as they are. */
  private static void makeDirs(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath();
    if (Files.isDirectory(abs)) {
      return;
    }
    makeDirs(abs.getParent());
    Files.createDirectory(abs);
    Files.setPosixFilePermissions(abs, PosixFilePermissions.fromString(RWX_RX_RX));
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
