package net.aegirj.provision.services.drupal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.StepContext;

/**
 * Import of a running site: its database credentials come from {@code drushrc.php}
 * ({@code $options['db_name'] = '…';}, what Aegir and we write) or from a literal
 * {@code $databases['default']['default']} in {@code settings.php}; only quoted literals are read,
 * nothing is evaluated. The site's files are not changed.
 */
final class SiteImport {
  private static final Pattern OPTION = Pattern.compile("\\$options\\['(db_name|db_user|db_passwd|profile)'\\]\\s*=\\s*'([^'\\\\]*)'\\s*;");
  private static final Pattern DB_KEY = Pattern.compile("'(database|username|password|host|port)'\\s*=>\\s*'([^'\\\\]*)'");

  private SiteImport() {}

  static void run(StepContext ctx, ResolvedContext site) {
    ContextName n = site.name();
    Host h = Drupal.host(ctx, site);
    Path path = Drupal.sitePath(site);
    if (h.stat(path.resolve("settings.php")).isEmpty()) {
      throw new ProvisionException(n + ": " + path + "/settings.php does not exist; there is no site to import"
          + " (install it instead)");
    }
    Map<String, String> found = new LinkedHashMap<>();
    h.read(path.resolve("drushrc.php")).ifPresent(b -> {
      Matcher m = OPTION.matcher(new String(b, StandardCharsets.UTF_8));
      while (m.find()) {
        found.putIfAbsent(m.group(1), m.group(2));
      }
    });
    if (!found.containsKey("db_name")) {
      String settings = new String(h.read(path.resolve("settings.php")).orElseThrow(), StandardCharsets.UTF_8);
      int at = settings.indexOf("$databases['default']['default']");
      if (at >= 0) {
        Matcher m = DB_KEY.matcher(settings.substring(at, Math.min(settings.length(), at + 2000)));
        while (m.find()) {
          switch (m.group(1)) {
            case "database" -> found.putIfAbsent("db_name", m.group(2));
            case "username" -> found.putIfAbsent("db_user", m.group(2));
            case "password" -> found.putIfAbsent("db_passwd", m.group(2));
            default -> found.putIfAbsent("db_" + m.group(1), m.group(2));
          }
        }
      }
    }
    for (String key : new String[] {"db_name", "db_user", "db_passwd"}) {
      if (!found.containsKey(key)) {
        throw new ProvisionException(n + ": no " + key + " in " + path + "/drushrc.php or a literal $databases array in"
            + " settings.php; cannot import the site");
      }
    }
    Grammar.DB_NAME.check(n, "db_name", found.get("db_name"));
    Grammar.DB_NAME.check(n, "db_user", found.get("db_user"));
    if (!Grammar.TOKEN.accepts(found.get("db_passwd"))) {
      throw new ProvisionException(n + ": the site's database password has characters that cannot be passed to PHP"
          + " and the database client safely (letters, digits, '_' and '-' only); change it, then import again");
    }
    Optional<String> host = Optional.ofNullable(found.get("db_host"));
    String dbHost = site.find(SiteKeys.DB_HOST).orElse("");
    if (host.isPresent() && !host.get().equals(dbHost)) {
      ctx.warn(n + ": the site's settings name database host " + host.get() + ", its db_server has " + dbHost
          + "; the db_server wins from now on");
    }
    PropertyChanges.Builder changes = PropertyChanges.builder().set(SiteKeys.DB_NAME, found.get("db_name"))
        .set(SiteKeys.DB_USER, found.get("db_user")).set(SiteKeys.DB_PASSWD, found.get("db_passwd"))
        .set(SiteKeys.INSTALLED, true);
    if (found.containsKey("profile") && Grammar.ID.accepts(found.get("profile"))) {
      changes.set(SiteKeys.PROFILE, found.get("profile"));
    }
    ctx.save(n, changes.build());
  }
}
