package net.aegirj.provision.services.drupal;

import java.util.ArrayList;
import java.util.List;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.services.db.MySql;

/**
 * Renders a site's {@code settings.php} and {@code drushrc.php}. Every value is held to its grammar
 * (none allows a quote or a backslash) before it goes between single quotes.
 */
final class Settings {
  private Settings() {}

  private static String q(ContextName n, String property, Grammar g, String value) {
    return "'" + g.check(n, property, value) + "'";
  }

  static String settingsPhp(ResolvedContext site, int major, String salt, String includePath) {
    ContextName n = site.name();
    String uri = site.get(SiteKeys.URI);
    Grammar.HOST.check(n, "uri", uri);
    Grammar.TOKEN.check(n, "hash_salt", salt);
    String root = Grammar.PATH.check(n, "root", site.get(SiteKeys.ROOT));
    String profile = Grammar.ID.check(n, "profile", site.get(SiteKeys.PROFILE));
    boolean enabled = site.get(SiteKeys.SITE_ENABLED);
    StringBuilder b = new StringBuilder();
    b.append("<?php\n");
    b.append("/**\n * @file\n * Drupal ").append(major >= 8 ? "8+" : "7").append(" settings for ").append(uri)
        .append(", written by Provision for Java.\n");
    b.append(" *\n * Changes will be lost on the next verify: put your own settings in\n");
    b.append(" * local.settings.php beside this file.\n */\n\n");
    b.append("// Database credentials come from the web server (the vhost passes them as request\n");
    b.append("// environment), or from drushrc.php on the command line.\n");
    b.append("$provision_db = [];\n");
    b.append("if (isset($_SERVER['db_name'])) {\n");
    b.append("  foreach (['db_type', 'db_name', 'db_user', 'db_passwd', 'db_host', 'db_port'] as $key) {\n");
    b.append("    $provision_db[$key] = $_SERVER[$key] ?? '';\n");
    b.append("    unset($_SERVER[$key], $_SERVER['REDIRECT_' . $key]);\n");
    b.append("    if (function_exists('apache_setenv')) {\n      apache_setenv($key, '');\n    }\n");
    b.append("  }\n");
    b.append("}\nelseif (is_readable(__DIR__ . '/drushrc.php')) {\n");
    b.append("  $options = [];\n  include __DIR__ . '/drushrc.php';\n");
    b.append("  foreach (['db_type', 'db_name', 'db_user', 'db_passwd', 'db_host', 'db_port'] as $key) {\n");
    b.append("    $provision_db[$key] = $options[$key] ?? '';\n  }\n}\n");
    b.append("if (!empty($provision_db['db_name'])) {\n");
    b.append("  $databases['default']['default'] = [\n");
    b.append("    'driver' => $provision_db['db_type'] === 'mysqli' ? 'mysql' : $provision_db['db_type'],\n");
    b.append("    'database' => $provision_db['db_name'],\n    'username' => $provision_db['db_user'],\n");
    b.append("    'password' => $provision_db['db_passwd'],\n    'host' => $provision_db['db_host'],\n");
    b.append("    'port' => (string) $provision_db['db_port'],\n");
    b.append("    'charset' => 'utf8mb4',\n    'collation' => 'utf8mb4_general_ci',\n  ];\n}\n");
    b.append("unset($provision_db);\n\n");
    String files = "sites/" + uri + "/files";
    String privateFiles = "sites/" + uri + "/private/files";
    String temp = "sites/" + uri + "/private/temp";
    if (major >= 8) {
      b.append("$settings['hash_salt'] = '").append(salt).append("';\n");
      b.append("$settings['file_public_path'] = '").append(files).append("';\n");
      b.append("$settings['file_private_path'] = '").append(privateFiles).append("';\n");
      b.append("$settings['file_temp_path'] = '").append(temp).append("';\n");
      b.append("$settings['config_sync_directory'] = 'sites/").append(uri).append("/private/config/sync';\n");
      b.append("$settings['install_profile'] = ").append(q(n, "profile", Grammar.ID, profile)).append(";\n");
      b.append("$settings['allow_authorize_operations'] = FALSE;\n");
      b.append("$settings['container_yamls'][] = $app_root . '/' . $site_path . '/services.yml';\n");
      b.append("$settings['trusted_host_patterns'] = [\n");
      for (String host : hosts(site, uri)) {
        b.append("  '^").append(host.replace(".", "\\.")).append("$',\n");
      }
      b.append("  '^localhost$',\n];\n");
      if (!enabled) {
        b.append("$settings['maintenance_mode'] = 1;\n");
      }
    } else {
      b.append("$drupal_hash_salt = '").append(salt).append("';\n");
      b.append("$conf['file_public_path'] = '").append(files).append("';\n");
      b.append("$conf['file_private_path'] = '").append(privateFiles).append("';\n");
      b.append("$conf['file_temporary_path'] = '").append(temp).append("';\n");
      b.append("$conf['install_profile'] = ").append(q(n, "profile", Grammar.ID, profile)).append(";\n");
      b.append("$conf['clean_url'] = 1;\n");
      if (!enabled) {
        b.append("$conf['maintenance_mode'] = 1;\n");
      }
    }
    b.append("\n// Extra settings, in this order, when they exist.\n");
    b.append("foreach ([\n");
    b.append("  ").append(q(n, "include_path", Grammar.PATH, includePath + "/global.inc")).append(",\n");
    b.append("  ").append(q(n, "root", Grammar.PATH, root + "/sites/all/platform.settings.php")).append(",\n");
    b.append("  __DIR__ . '/local.settings.php',\n] as $provision_file) {\n");
    b.append("  if (is_readable($provision_file)) {\n    include $provision_file;\n  }\n}\n");
    b.append("unset($provision_file);\n");
    return b.toString();
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

  static String drushrc(ResolvedContext site) {
    ContextName n = site.name();
    StringBuilder b = new StringBuilder("<?php\n");
    b.append("// Site options for command-line use, written by Provision for Java. Holds secrets: 0440.\n");
    if (site.find(SiteKeys.DB_NAME).isPresent()) {
      b.append("$options['db_type'] = ").append(q(n, "db_type", Grammar.ID, site.get(SiteKeys.DB_TYPE))).append(";\n");
      b.append("$options['db_name'] = ").append(q(n, "db_name", Grammar.DB_NAME, site.get(SiteKeys.DB_NAME))).append(";\n");
      b.append("$options['db_user'] = ").append(q(n, "db_user", Grammar.DB_NAME, site.get(SiteKeys.DB_USER))).append(";\n");
      b.append("$options['db_passwd'] = ").append(q(n, "db_passwd", Grammar.TOKEN, site.get(SiteKeys.DB_PASSWD))).append(";\n");
      b.append("$options['db_host'] = ").append(q(n, "db_host", Grammar.HOST_OR_IP, site.get(SiteKeys.DB_HOST))).append(";\n");
      b.append("$options['db_port'] = '").append(MySql.sitePort(site)).append("';\n");
    }
    b.append("$options['uri'] = ").append(q(n, "uri", Grammar.HOST, site.get(SiteKeys.URI))).append(";\n");
    b.append("$options['profile'] = ").append(q(n, "profile", Grammar.ID, site.get(SiteKeys.PROFILE))).append(";\n");
    b.append("$options['language'] = ").append(q(n, "language", Grammar.LANGUAGE, site.get(SiteKeys.LANGUAGE))).append(";\n");
    return b.toString();
  }
}
