package net.aegirj.provision.services.drupal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.services.http.HttpServiceType;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.StepContext;

/**
 * {@code sites/sites.php} of a Drupal 8+ platform: one {@code $sites['<alias>'] = '<uri>';} line per
 * alias, each marked with the site it belongs to, so that a site's entries are replaced without
 * touching the others'. The head of a new file and the entries come from the template
 * {@code templates/sites.php} beside this class, or the web server's
 * {@code <http_template_dir>/drupal/sites.php}; each entry's line must end in {@code {{marker}}}.
 * Writers of one file are serialised (Aegir's flock was broken).
 */
final class SitesPhp {
  private static final ConcurrentHashMap<Path, Object> LOCKS = new ConcurrentHashMap<>();

  private SitesPhp() {}

  private static Path file(ResolvedContext site) {
    return Path.of(site.get(SiteKeys.ROOT)).resolve("sites/sites.php");
  }

  private static String marker(String uri) {
    return " // provision:" + uri;
  }

  static void update(StepContext ctx, Host h, ResolvedContext site) {
    update(ctx.localHost(), Drupal.webServer(ctx, site), h, site);
  }

  /**
   * Replaces the site's entries.
   *
   * @param local the host Provision runs on (where the operator's templates are)
   * @param web the site's web server, resolved (its {@code http_template_dir})
   * @param h the host holding the platform
   * @param site the site, resolved
   */
  static void update(Host local, ResolvedContext web, Host h, ResolvedContext site) {
    String uri = Grammar.HOST.check(site.name(), "uri", site.get(SiteKeys.URI));
    List<Map<String, String>> entries = new ArrayList<>();
    for (String a : site.find(SiteKeys.ALIASES).orElse(List.of())) {
      String alias = Grammar.ALIAS.check(site.name(), "aliases", a);
      if (!alias.equals(uri)) {
        entries.add(Map.of("alias", alias.replace('/', '.'), "uri", uri, "marker", marker(uri)));
      }
    }
    rewrite(h, site, uri, entries.isEmpty() ? null : newFile -> render(local, web, uri, newFile, entries));
  }

  static void remove(StepContext ctx, Host h, ResolvedContext site) {
    rewrite(h, site, site.get(SiteKeys.URI), null);
  }

  /**
   * The template's text for the site's entries, after the file's head when the file is new. Each
   * entry must end in its marker, or a later rewrite could not find it.
   */
  private static String render(Host local, ResolvedContext web, String uri, boolean newFile,
      List<Map<String, String>> entries) {
    String text = Settings.TEMPLATES.render(local, web, HttpServiceType.operatorTemplateDir(web), "sites.php",
        Map.of("new_file", newFile, "entries", entries));
    int marked = text.split(Pattern.quote(marker(uri)) + "\n", -1).length - 1;
    if (marked != entries.size()) {
      throw new InvalidContextException(web.name().toString(), HttpServiceType.TEMPLATE_DIR, "the sites.php "
          + "template must end each entry's line with {{marker}} (" + entries.size() + " entries, " + marked
          + " marked lines), or Provision cannot replace the entries later");
    }
    return text;
  }

  /**
   * Drops the site's lines and appends what {@code entries} renders ({@code null}: nothing);
   * rendering happens before anything is written.
   */
  private static void rewrite(Host h, ResolvedContext site, String uri, Function<Boolean, String> entries) {
    Path f = file(site);
    synchronized (LOCKS.computeIfAbsent(f, k -> new Object())) {
      var old = h.read(f);
      if (old.isEmpty() && entries == null) {
        return;
      }
      String added = entries == null ? "" : entries.apply(old.isEmpty());
      List<String> out = new ArrayList<>();
      if (old.isPresent()) {
        for (String line : new String(old.get(), StandardCharsets.UTF_8).split("\n", -1)) {
          if (!line.endsWith(marker(uri))) {
            out.add(line);
          }
        }
        while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
          out.remove(out.size() - 1);
        }
      }
      String text = out.isEmpty() ? (added.isEmpty() ? "\n" : added) : String.join("\n", out) + "\n" + added;
      h.write(f, text.getBytes(StandardCharsets.UTF_8), FileMode.of(0644));
    }
  }
}
