package net.aegirj.provision.services.drupal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.services.db.MySql;
import net.aegirj.provision.services.http.HttpServiceType;
import net.aegirj.provision.services.template.Templates;
import net.aegirj.provision.spi.Host;

/**
 * Renders a site's {@code settings.php} and {@code drushrc.php} from the templates
 * {@code templates/settings.php} and {@code templates/drushrc.php} beside this class, or the web
 * server's {@code <http_template_dir>/drupal/} overrides of them. Every value is held to its
 * grammar (none allows a quote or a backslash) before it goes into the model, since the templates
 * put them between single quotes.
 */
final class Settings {
  /** Drupal's templates, with the web server's {@code <http_template_dir>/drupal/} overriding them. */
  static final Templates TEMPLATES = new Templates(Settings.class, HttpServiceType.TEMPLATE_DIR, "drupal");

  private Settings() {}

  /**
   * @param local the host Provision runs on (where the operator's templates are)
   * @param web the site's web server, resolved (its {@code http_template_dir})
   * @param site the site, resolved
   * @param major the Drupal major version
   * @param salt the hash salt
   * @param includePath the master's {@code include_path}
   * @param extra the lines added at {@link Drupal#SETTINGS_EXTRA}, each already checked to be one
   *     printable line
   * @return the text of settings.php
   */
  static String settingsPhp(Host local, ResolvedContext web, ResolvedContext site, int major, String salt,
      String includePath, List<String> extra) {
    ContextName n = site.name();
    String uri = Grammar.HOST.check(n, "uri", site.get(SiteKeys.URI));
    Grammar.TOKEN.check(n, "hash_salt", salt);
    String root = Grammar.PATH.check(n, "root", site.get(SiteKeys.ROOT));
    String profile = Grammar.ID.check(n, "profile", site.get(SiteKeys.PROFILE));
    Map<String, Object> m = new HashMap<>();
    m.put("drupal", major >= 8 ? "8+" : "7");
    m.put("drupal8", major >= 8);
    m.put("uri", uri);
    m.put("hash_salt", salt);
    m.put("file_public_path", "sites/" + uri + "/files");
    m.put("file_private_path", "sites/" + uri + "/private/files");
    m.put("file_temp_path", "sites/" + uri + "/private/temp");
    m.put("config_sync_directory", "sites/" + uri + "/private/config/sync");
    m.put("profile", profile);
    List<String> patterns = new ArrayList<>();
    for (String host : hosts(site, uri)) {
      patterns.add("^" + host.replace(".", "\\.") + "$");
    }
    m.put("trusted_host_patterns", patterns);
    m.put("maintenance", !site.get(SiteKeys.SITE_ENABLED));
    m.put("settings_extra", List.copyOf(extra));
    m.put("includes", List.of(Grammar.PATH.check(n, "include_path", includePath + "/global.inc"),
        Grammar.PATH.check(n, "root", root + "/sites/all/platform.settings.php")));
    return TEMPLATES.render(local, web, HttpServiceType.operatorTemplateDir(web), "settings.php", m);
  }

  private static List<String> hosts(ResolvedContext site, String uri) {
    List<String> out = new ArrayList<>();
    out.add(uri);
    for (String alias : site.find(SiteKeys.ALIASES).orElse(List.of())) {
      String host = alias.contains("/") ? alias.substring(0, alias.indexOf('/')) : alias;
      if (Grammar.HOST.accepts(host) && !out.contains(host)) {
        out.add(host);
      }
    }
    return out;
  }

  /**
   * @param local the host Provision runs on (where the operator's templates are)
   * @param web the site's web server, resolved (its {@code http_template_dir})
   * @param site the site, resolved
   * @return the text of the site's drushrc.php (it holds the database password)
   */
  static String drushrc(Host local, ResolvedContext web, ResolvedContext site) {
    ContextName n = site.name();
    Map<String, Object> m = new HashMap<>();
    Optional<Map<String, Object>> db = Optional.empty();
    if (site.find(SiteKeys.DB_NAME).isPresent()) {
      Map<String, Object> d = new HashMap<>();
      d.put("db_type", Grammar.ID.check(n, "db_type", site.get(SiteKeys.DB_TYPE)));
      d.put("db_name", Grammar.DB_NAME.check(n, "db_name", site.get(SiteKeys.DB_NAME)));
      d.put("db_user", Grammar.DB_NAME.check(n, "db_user", site.get(SiteKeys.DB_USER)));
      d.put("db_passwd", Grammar.TOKEN.check(n, "db_passwd", site.get(SiteKeys.DB_PASSWD)));
      d.put("db_host", Grammar.HOST_OR_IP.check(n, "db_host", site.get(SiteKeys.DB_HOST)));
      d.put("db_port", MySql.sitePort(site));
      db = Optional.of(d);
    }
    m.put("db", db);
    m.put("uri", Grammar.HOST.check(n, "uri", site.get(SiteKeys.URI)));
    m.put("profile", Grammar.ID.check(n, "profile", site.get(SiteKeys.PROFILE)));
    m.put("language", Grammar.LANGUAGE.check(n, "language", site.get(SiteKeys.LANGUAGE)));
    return TEMPLATES.render(local, web, HttpServiceType.operatorTemplateDir(web), "drushrc.php", m);
  }
}
