package net.aegirj.provision.services.drupal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.StepContext;

/**
 * {@code sites/sites.php} of a Drupal 8+ platform: one {@code $sites['<alias>'] = '<uri>';} line per
 * alias, each marked with the site it belongs to, so that a site's entries are replaced without
 * touching the others'. Writers of one file are serialised (Aegir's flock was broken).
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
    String uri = site.get(SiteKeys.URI);
    List<String> lines = new ArrayList<>();
    for (String a : site.find(SiteKeys.ALIASES).orElse(List.of())) {
      String alias = Grammar.ALIAS.check(site.name(), "aliases", a);
      if (!alias.equals(uri)) {
        lines.add("$sites['" + alias.replace('/', '.') + "'] = '" + uri + "';" + marker(uri));
      }
    }
    rewrite(h, site, uri, lines);
  }

  static void remove(StepContext ctx, Host h, ResolvedContext site) {
    rewrite(h, site, site.get(SiteKeys.URI), List.of());
  }

  private static void rewrite(Host h, ResolvedContext site, String uri, List<String> add) {
    Path f = file(site);
    synchronized (LOCKS.computeIfAbsent(f, k -> new Object())) {
      var old = h.read(f);
      if (old.isEmpty() && add.isEmpty()) {
        return;
      }
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
      } else {
        out.add("<?php");
        out.add("// Host names of sites, maintained by Provision for Java.");
      }
      out.addAll(add);
      h.write(f, (String.join("\n", out) + "\n").getBytes(StandardCharsets.UTF_8), FileMode.of(0644));
    }
  }
}
