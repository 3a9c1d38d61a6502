package net.aegirj.provision.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Seeded text-level property changes for property-based tests of save and merge. */
final class RandomContexts {
  static final List<String> HOSTS = List.of("a.example.com", "www.example.org", "shop.example.net",
      "x1.test", "deep.sub.example.co.uk", "localhost", "b-2.example.com");
  static final List<String> HOSTILE = List.of("a\nb", "a\rb", "x'y", "x\"y", "a;rm -rf /", "$(id)",
      "${HOME}", "`id`", "../../etc/passwd", "/var/../etc", "a|b", "a&b", "a<b>", "nul\0byte",
      "\u0430pple.com", "ex\u0430mple.com", "\uff45xample.com", " lead", "trail ", "tab\there",
      "x".repeat(5000), "", "   ", "a b", "back\\slash", "%0a", "\u202eevil", "a,b\nc");

  private RandomContexts() {}

  static <T> T pick(Random r, List<T> from) {
    return from.get(r.nextInt(from.size()));
  }

  static String aliases(Random r) {
    List<String> out = new ArrayList<>();
    int n = r.nextInt(4);
    for (int i = 0; i < n; i++) {
      out.add(pick(r, HOSTS));
    }
    return String.join(",", out);
  }

  /** Random valid text changes for an existing site; each property present with probability 1/2. */
  static Map<String, String> siteChanges(Random r) {
    Map<String, String> m = new LinkedHashMap<>();
    maybe(r, m, "language", pick(r, List.of("en", "de", "pt-br", "zh-hans")));
    maybe(r, m, "client_name", pick(r, List.of("acme", "bob", "Client.1", "c-2")));
    maybe(r, m, "aliases", aliases(r));
    maybe(r, m, "redirection", "site.example.com"); // its own uri: always one of its names
    maybe(r, m, "profile", pick(r, List.of("standard", "minimal", "hostmaster")));
    maybe(r, m, "site_enabled", pick(r, List.of("0", "1", "true", "false", "yes", "off")));
    maybe(r, m, "ssl_enabled", pick(r, List.of("0", "1", "2", "on", "required")));
    maybe(r, m, "ssl_key", pick(r, List.of("default", "example.com", "k_1")));
    maybe(r, m, "install_method", pick(r, List.of("profile", "manual")));
    maybe(r, m, "cron_key", pick(r, List.of("abc", "Zx_9-q", "k".repeat(64))));
    maybe(r, m, "drush_aliases", pick(r, List.of("hm", "hm,hostmaster", "@x1")));
    maybe(r, m, "ip_addresses", pick(r, List.of("server_master=127.0.0.1", "@server_web=::1,server_x=*")));
    maybe(r, m, "dns_zone", pick(r, HOSTS));
    maybe(r, m, "dns_zone_subdomain", pick(r, List.of("@", "www", "a.b")));
    return m;
  }

  private static void maybe(Random r, Map<String, String> m, String key, String value) {
    if (r.nextBoolean()) {
      m.put(key, value);
    }
  }
}
