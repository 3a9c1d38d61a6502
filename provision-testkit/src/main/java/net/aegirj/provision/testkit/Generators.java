package net.aegirj.provision.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InstallMethod;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.SslMode;

/**
 * Seeded generators of valid and hostile input, for property-based tests. Every method draws only
 * from the {@link Random} it is given, so a seed reproduces its value exactly:
 *
 * <pre>{@code
 * Random random = Generators.random(seed);
 * Server web = Generators.validServer(random);
 * Platform platform = Generators.validPlatform(random, web.name());
 * Site site = Generators.validSite(random, platform.name());
 * }</pre>
 *
 * <p>Valid values are built by construction from the rules of {@link Grammar}
 * and {@link Schema} (they never filter through the validators they are meant to test), and use
 * the canonical spelling of every value, so that a value survives a round trip through
 * {@link ContextProperties} unchanged.
 */
public final class Generators {
  private static final String LOWER = "abcdefghijklmnopqrstuvwxyz";
  private static final String DIGITS = "0123456789";
  private static final String ALNUM = LOWER + DIGITS;
  private static final String MIXED_ALNUM = ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  private static final String HEX = "0123456789abcdef";
  /** Characters of a path segment accepted by {@code Grammar.PATH}. */
  private static final String PATH_CHARS = MIXED_ALNUM + "._+@%-";
  /** Characters of {@code Grammar.TEXT}: printable ASCII without {@code '"\`$;|&<>}. */
  private static final String TEXT_CHARS;

  static {
    StringBuilder b = new StringBuilder();
    for (char c = 0x20; c <= 0x7e; c++) {
      if ("'\"\\`$;|&<>".indexOf(c) < 0) {
        b.append(c);
      }
    }
    TEXT_CHARS = b.toString();
  }

  private static final List<String> LANGUAGES = List.of("en", "de", "fr", "nl", "es", "pt-br", "pt-pt",
      "zh-hans", "zh-hant", "sr-latn-rs", "ast", "en-gb");
  private static final List<String> SERVICE_TYPES =
      List.of("apache", "apache_ssl", "nginx", "nginx_ssl", "mysql", "pgsql", "bind", "dnsmasq", "null", "NONE");
  private static final List<String> PROFILES = List.of("standard", "minimal", "demo_umami", "hostmaster");
  private static final List<String> EXTRA_KEYS = List.of("http_port", "http_ssl_port", "db_port",
      "db_grant_all_hosts", "dns_ttl", "php_fpm_socket", "nginx_has_http2", "php_version", "git_ref",
      "composer_flags", "backup_keep", "note");

  /**
   * Fragments that make any string refused as a context name and as a host name: control
   * characters, quotes, shell and SQL metacharacters, path traversal, spaces and Unicode
   * look-alikes. Each contains at least one character outside {@code [a-zA-Z0-9._@-]}.
   */
  private static final List<String> HARD_FRAGMENTS = List.of(
      // control characters and line breaks
      "\n", "\r", "\r\n", "\u0000", "\t", "\u000b", "\f", "\u001b[31m", "\u0007", "\u007f", "\u0085",
      "\u2028", "\u2029",
      // quotes and shell metacharacters
      "'", "\"", "`", ";", "$", "$(id)", "$(rm -rf /)", "${HOME}", "${IFS}", "`id`", "|", "||", "&",
      "&&", ">", "<", ">>", "\\", "*", "?", "#", "!", "~", "=", ",", ":", "/", "(", ")", "{", "}",
      "[", "]", "%", "+",
      // path traversal and encodings
      "../", "/../../etc/passwd", "..\\", "%2e%2e%2f", "%00", "%0a",
      // SQL injection
      "'; DROP TABLE hosting_site; --", "\" OR \"1\"=\"1", "' OR '1'='1",
      // white space
      " ", "  ", "\u00a0", "\u3000", "\u2003",
      // Unicode look-alikes and invisible characters
      "\u0430", "\u0435", "\u043e", "\u0440", "\u0441", "\u0445", "\u0455", "\u0456",
      "\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45", "\uff0e", "\uff0f", "\uff20", "\uff0d",
      "\u2024", "\u2010", "\u2011", "\u2212", "\u3002", "\u200b", "\u200c", "\u200d", "\u2060",
      "\ufeff", "\u202e", "\u202d", "\u0131", "\u0130", "\u212a", "\u00e9", "e\u0301", "\u00ad",
      "\ud83d\ude00", "\ud800", "\udc00", "\u00df", "\u017f");

  /** Look-alikes of ASCII letters, by the letter they imitate. */
  private static final Map<Character, String> HOMOGLYPHS = Map.of(
      'a', "\u0430", 'e', "\u0435", 'o', "\u043e", 'p', "\u0440", 'c', "\u0441", 'x', "\u0445",
      's', "\u0455", 'i', "\u0456", 'k', "\u212a", 'l', "\u04cf");

  /** Whole strings that break a naming rule, each refused as a context name and as a host name. */
  private static final List<String> SPECIALS = List.of(
      "", " ", "   ", "\t", "\n", "\r\n", " \t\r\n ", "\u00a0", "\u3000", "\u200b", "\u0000",
      "@", "@@", "@@@", "-", ".", "..", "...", "_", "/", "@self", "@none", "SELF", "None", "@@self",
      "-foo", "foo-", ".foo", "foo.", "_foo", "foo_", "a..b", "@-a", "foo..", "..foo", "../..",
      "self.", "none-", "*", "?", "$", "${}", "$()", "`", "'", "\"", ";", "|", "&", "~", "%",
      "\u212aey", "server\u2010master", "\uff53\uff45\uff52\uff56\uff45\uff52");

  private Generators() {}

  /**
   * A {@link Random} for a seed, with nearby seeds spread apart: {@code new Random(0)},
   * {@code new Random(1)}, ... start with strongly correlated values (the first
   * {@code nextInt(8)} is nearly always the same), so loops over sequential seeds should use this
   * instead.
   *
   * @param seed any seed
   * @return a random source determined by the seed
   */
  public static Random random(long seed) {
    long z = seed * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return new Random(z ^ (z >>> 31));
  }

  /**
   * A valid context name in canonical form (lower case, no {@code @}): dot-separated segments of
   * {@code a-z}, {@code 0-9}, {@code -} and {@code _} that start and end with a letter or digit,
   * at most {@value ContextName#MAX_LENGTH} characters, never {@code self} or {@code none}.
   *
   * @param random the source of randomness
   * @return a name accepted by {@link ContextName#of(String)}
   */
  public static String validContextName(Random random) {
    Objects.requireNonNull(random, "random");
    String name;
    switch (random.nextInt(10)) {
      case 0:
        name = "server_" + segment(random, 1 + random.nextInt(12));
        break;
      case 1:
        name = "platform_" + segment(random, 1 + random.nextInt(12));
        break;
      case 2: {
        // a long name, up to the maximum length
        int target = 200 + random.nextInt(ContextName.MAX_LENGTH - 200 + 1);
        StringBuilder b = new StringBuilder(segment(random, 1 + random.nextInt(60)));
        while (b.length() < target) {
          int room = target - b.length() - 1;
          if (room < 1) {
            break;
          }
          b.append('.').append(segment(random, 1 + random.nextInt(Math.min(room, 60))));
        }
        name = b.toString();
        break;
      }
      case 3:
        name = String.valueOf(ALNUM.charAt(random.nextInt(ALNUM.length())));
        break;
      default: {
        int segments = 1 + random.nextInt(4);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < segments; i++) {
          if (i > 0) {
            b.append('.');
          }
          b.append(segment(random, 1 + random.nextInt(20)));
        }
        name = b.toString();
      }
    }
    return avoidReserved(random, name);
  }

  /**
   * A valid host name: one to five lower-case labels of letters, digits and inner hyphens, each
   * 1-63 characters, at most 253 in all. It is also a valid context name (never {@code self} or
   * {@code none}), so it can name a site.
   *
   * @param random the source of randomness
   * @return a host name accepted by {@code Grammar.HOST}
   */
  public static String validHostName(Random random) {
    Objects.requireNonNull(random, "random");
    String host;
    switch (random.nextInt(8)) {
      case 0: {
        // the longest shape: four labels, 253 characters
        host = label(random, 63) + "." + label(random, 63) + "." + label(random, 63) + "."
            + label(random, 61);
        break;
      }
      case 1:
        host = label(random, 1 + random.nextInt(63));
        break;
      case 2:
        host = "www." + label(random, 1 + random.nextInt(20)) + "."
            + List.of("com", "org", "net", "io", "co.uk", "com.br").get(random.nextInt(6));
        break;
      default: {
        int labels = 2 + random.nextInt(4);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < labels; i++) {
          String next = label(random, 1 + random.nextInt(random.nextInt(8) == 0 ? 63 : 15));
          if (b.length() + 1 + next.length() > 253) {
            break;
          }
          if (i > 0) {
            b.append('.');
          }
          b.append(next);
        }
        host = b.toString();
      }
    }
    return avoidReserved(random, host);
  }

  /**
   * A hostile string: control characters, line breaks, NUL, quotes, shell and SQL
   * metacharacters, path traversal, Unicode look-alikes (Cyrillic {@code а}, fullwidth letters,
   * the Kelvin sign), invisible characters, lone surrogates, empty and white-space-only strings,
   * reserved names, and very long strings (up to 10,000 characters). Every result breaks at least
   * one documented rule of {@link ContextName} and of {@code Grammar.HOST}; many break
   * {@code Grammar.PATH} and {@code Grammar.TEXT} too.
   *
   * @param random the source of randomness
   * @return a string that must be refused as a context name and as a host name
   */
  public static String hostileString(Random random) {
    Objects.requireNonNull(random, "random");
    int shape = random.nextInt(10);
    if (shape == 0) {
      return pick(random, SPECIALS);
    }
    if (shape == 1) {
      return longString(random);
    }
    if (shape == 2) {
      return homograph(random);
    }
    String base = switch (random.nextInt(4)) {
      case 0 -> validContextName(random);
      case 1 -> "";
      case 2 -> validHostName(random).toUpperCase(Locale.ROOT);
      default -> validHostName(random);
    };
    StringBuilder b = new StringBuilder(base);
    int fragments = 1 + random.nextInt(3);
    for (int i = 0; i < fragments; i++) {
      b.insert(random.nextInt(b.length() + 1), pick(random, HARD_FRAGMENTS));
    }
    if (random.nextInt(8) == 0) {
      b.insert(0, "@");
    }
    return b.toString();
  }

  /**
   * A valid server: a random subset of the server properties, each value drawn from its grammar,
   * and a few extras. About one in five is {@code @server_master}, the only server that may set
   * {@code aegir_root}.
   *
   * @param random the source of randomness
   * @return a server
   */
  public static Server validServer(Random random) {
    Objects.requireNonNull(random, "random");
    boolean master = random.nextInt(5) == 0;
    Server.Builder b = Server.builder()
        .name(master ? ContextName.MASTER : ContextName.of(validContextName(random)));
    if (master && random.nextBoolean()) {
      b.aegirRoot(path(random));
    }
    if (random.nextBoolean()) {
      b.remoteHost(switch (random.nextInt(4)) {
        case 0 -> ipv4(random);
        case 1 -> ipv6(random);
        case 2 -> "localhost";
        default -> validHostName(random);
      });
    }
    if (random.nextBoolean()) {
      b.scriptUser(user(random));
    }
    if (random.nextBoolean()) {
      Set<String> ips = new LinkedHashSet<>();
      int n = 1 + random.nextInt(4);
      for (int i = 0; i < n; i++) {
        ips.add(ip(random));
      }
      b.ipAddresses(ips);
    }
    if (random.nextBoolean()) {
      b.masterUrl(url(random));
    }
    if (random.nextBoolean()) {
      b.adminEmail(email(random));
    }
    if (random.nextBoolean()) {
      b.httpServiceType(serviceType(random));
    }
    if (random.nextBoolean()) {
      b.dbServiceType(serviceType(random));
    }
    if (random.nextBoolean()) {
      b.dnsServiceType(serviceType(random));
    }
    if (random.nextBoolean()) {
      b.sshPort(switch (random.nextInt(4)) {
        case 0 -> 1;
        case 1 -> 65535;
        case 2 -> 22;
        default -> 1 + random.nextInt(65535);
      });
    }
    if (random.nextBoolean()) {
      b.sshUser(user(random));
    }
    if (random.nextBoolean()) {
      b.sshIdentity(Path.of(path(random)));
    }
    if (random.nextBoolean()) {
      b.sshKnownHosts(Path.of(path(random)));
    }
    if (random.nextBoolean()) {
      b.drushPath(path(random));
    }
    b.putAllExtras(extras(random, ContextType.SERVER));
    return b.build();
  }

  /**
   * A valid platform: {@code root} (required when a platform is first saved) and a random subset
   * of the other platform properties.
   *
   * @param random the source of randomness
   * @param webServer the {@code web_server}, or null to leave it unset (its default is
   *     {@code @server_master})
   * @return a platform
   */
  public static Platform validPlatform(Random random, ContextName webServer) {
    Objects.requireNonNull(random, "random");
    Platform.Builder b = Platform.builder().name(ContextName.of(validContextName(random)))
        .root(path(random));
    if (webServer != null) {
      b.webServer(webServer);
    }
    if (random.nextBoolean()) {
      // names only: a task checks that they are web servers, a save does not
      Set<String> webs = new LinkedHashSet<>();
      int n = 1 + random.nextInt(3);
      for (int i = 0; i < n; i++) {
        webs.add(ContextName.of(validContextName(random)).toString());
      }
      b.webServers(webs);
    }
    if (random.nextBoolean()) {
      b.makefile(random.nextBoolean() ? path(random) : url(random));
    }
    if (random.nextBoolean()) {
      b.makeWorkingCopy(random.nextBoolean());
    }
    if (random.nextBoolean()) {
      b.repoPath(Path.of(path(random)));
    }
    if (random.nextBoolean()) {
      b.locked(random.nextBoolean());
    }
    if (random.nextBoolean()) {
      b.drushPath(path(random));
    }
    b.putAllExtras(extras(random, ContextType.PLATFORM));
    return b.build();
  }

  /**
   * A valid site named after a generated host name, with a random subset of the site properties:
   * lists (aliases, drush aliases), maps (ip_addresses), booleans, enums (install_method,
   * ssl_enabled) and extras.
   *
   * @param random the source of randomness
   * @param platform the {@code platform}, or null to leave it unset (allowed when the value
   *     updates an existing site)
   * @return a site
   */
  public static Site validSite(Random random, ContextName platform) {
    Objects.requireNonNull(random, "random");
    String host = validHostName(random);
    Site.Builder b = Site.builder().name(ContextName.of(host));
    if (platform != null) {
      b.platform(platform);
    }
    if (random.nextInt(4) == 0) {
      b.uri(host);
    }
    if (random.nextBoolean()) {
      b.dbServer(random.nextInt(4) == 0 ? ContextName.MASTER : ContextName.of(validContextName(random)));
    }
    if (random.nextBoolean()) {
      b.siteEnabled(random.nextBoolean());
    }
    if (random.nextBoolean()) {
      b.language(random.nextInt(3) == 0 ? language(random) : pick(random, LANGUAGES));
    }
    if (random.nextBoolean()) {
      b.clientName(name(random));
    }
    if (random.nextBoolean()) {
      b.clientEmail(email(random));
    }
    if (random.nextBoolean()) {
      Set<String> aliases = new LinkedHashSet<>();
      int n = 1 + random.nextInt(6);
      for (int i = 0; i < n; i++) {
        aliases.add(alias(random));
      }
      b.aliases(aliases);
    }
    if (random.nextBoolean()) {
      b.redirection(validHostName(random));
    }
    if (random.nextBoolean()) {
      b.cronKey(token(random));
    }
    if (random.nextBoolean()) {
      Set<String> drush = new LinkedHashSet<>();
      int n = 1 + random.nextInt(4);
      for (int i = 0; i < n; i++) {
        drush.add(validContextName(random));
      }
      b.drushAliases(drush);
    }
    if (random.nextBoolean()) {
      b.profile(random.nextBoolean() ? pick(random, PROFILES) : id(random));
    }
    if (random.nextBoolean()) {
      b.installMethod(InstallMethod.values()[random.nextInt(InstallMethod.values().length)]);
    }
    if (random.nextBoolean()) {
      b.sslEnabled(SslMode.values()[random.nextInt(SslMode.values().length)]);
    }
    if (random.nextBoolean()) {
      b.sslKey(name(random));
    }
    if (random.nextBoolean()) {
      Map<String, String> ips = new LinkedHashMap<>();
      int n = 1 + random.nextInt(3);
      for (int i = 0; i < n; i++) {
        ips.put(validContextName(random), ip(random));
      }
      b.putAllIpAddresses(ips);
    }
    if (random.nextBoolean()) {
      b.dnsZone(validHostName(random));
    }
    if (random.nextBoolean()) {
      b.dnsZoneSubdomain(random.nextInt(3) == 0 ? "@" : validHostName(random));
    }
    if (random.nextBoolean()) {
      b.installed(random.nextBoolean());
    }
    if (random.nextBoolean()) {
      String db = "db" + Integer.toString(random.nextInt(1 << 20), 36) + (random.nextBoolean() ? "_" + random.nextInt(100) : "");
      b.dbName(db).dbUser(db).dbPasswd(token(random));
    }
    b.putAllExtras(extras(random, ContextType.SITE));
    return b.build();
  }

  /**
   * A value of {@code Grammar.TEXT}: one line of printable ASCII without quotes, backslashes or
   * shell metacharacters, including leading, trailing and repeated spaces; sometimes empty,
   * sometimes the maximum 1,024 characters.
   *
   * @param random the source of randomness
   * @return a text value, as taken by extras
   */
  public static String validText(Random random) {
    Objects.requireNonNull(random, "random");
    int length = switch (random.nextInt(10)) {
      case 0 -> 0;
      case 1 -> 1024;
      case 2 -> 100 + random.nextInt(925);
      default -> 1 + random.nextInt(40);
    };
    return chars(random, TEXT_CHARS, length);
  }

  /**
   * An absolute path accepted by {@code Grammar.PATH}, in the form {@link Path}
   * prints it (no trailing or doubled {@code /}, no {@code .} or {@code ..} segment).
   *
   * @param random the source of randomness
   * @return a path
   */
  public static String path(Random random) {
    Objects.requireNonNull(random, "random");
    if (random.nextInt(50) == 0) {
      return "/";
    }
    int segments = 1 + random.nextInt(6);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < segments; i++) {
      String seg;
      do {
        seg = chars(random, PATH_CHARS, 1 + random.nextInt(random.nextInt(10) == 0 ? 60 : 16));
      } while (seg.equals(".") || seg.equals(".."));
      b.append('/').append(seg);
    }
    return b.toString();
  }

  /**
   * An IPv4 address, an IPv6 address (full or with {@code ::}) or {@code *}, as accepted by
   * {@code Grammar.IP}.
   *
   * @param random the source of randomness
   * @return an address
   */
  public static String ip(Random random) {
    Objects.requireNonNull(random, "random");
    int shape = random.nextInt(10);
    if (shape == 0) {
      return "*";
    }
    return shape < 6 ? ipv4(random) : ipv6(random);
  }

  // ---------------------------------------------------------------------------------------------

  private static String avoidReserved(Random random, String name) {
    if (name.equals("self") || name.equals("none")) {
      return name + DIGITS.charAt(random.nextInt(10));
    }
    return name;
  }

  /** A context name segment: starts and ends with a letter or digit, inner '-' and '_'. */
  private static String segment(Random random, int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      boolean edge = i == 0 || i == length - 1;
      if (!edge && random.nextInt(6) == 0) {
        b.append(random.nextBoolean() ? '-' : '_');
      } else {
        b.append(ALNUM.charAt(random.nextInt(ALNUM.length())));
      }
    }
    return b.toString();
  }

  /** A DNS label: starts and ends with a letter or digit, inner '-'. */
  private static String label(Random random, int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      boolean edge = i == 0 || i == length - 1;
      if (!edge && random.nextInt(8) == 0) {
        b.append('-');
      } else {
        b.append(ALNUM.charAt(random.nextInt(ALNUM.length())));
      }
    }
    return b.toString();
  }

  private static String chars(Random random, String alphabet, int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return b.toString();
  }

  private static <T> T pick(Random random, List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  private static String longString(Random random) {
    int length = random.nextInt(4) == 0 ? 10_000 : 254 + random.nextInt(10_000 - 254 + 1);
    StringBuilder b = new StringBuilder(length + 64);
    switch (random.nextInt(3)) {
      case 0 -> b.append("a".repeat(length));
      case 1 -> {
        while (b.length() < length) {
          b.append(label(random, 1 + random.nextInt(63))).append('.');
        }
      }
      default -> {
        while (b.length() < length) {
          b.append(random.nextInt(3) == 0 ? pick(random, HARD_FRAGMENTS)
              : String.valueOf(ALNUM.charAt(random.nextInt(ALNUM.length()))));
        }
      }
    }
    b.setLength(length);
    return b.toString();
  }

  /** A valid host name with one letter replaced by a Unicode look-alike. */
  private static String homograph(Random random) {
    String host = validHostName(random);
    List<Integer> candidates = new ArrayList<>();
    for (int i = 0; i < host.length(); i++) {
      if (HOMOGLYPHS.containsKey(host.charAt(i))) {
        candidates.add(i);
      }
    }
    if (candidates.isEmpty()) {
      return "ex\u0430mple." + host;
    }
    int at = pick(random, candidates);
    return host.substring(0, at) + HOMOGLYPHS.get(host.charAt(at)) + host.substring(at + 1);
  }

  private static String ipv4(Random random) {
    return random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256) + "."
        + random.nextInt(256);
  }

  private static String ipv6(Random random) {
    if (random.nextBoolean()) {
      List<String> groups = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        groups.add(chars(random, HEX, 1 + random.nextInt(4)));
      }
      return String.join(":", groups);
    }
    int before = random.nextInt(4);
    int after = random.nextInt(4);
    List<String> head = new ArrayList<>();
    List<String> tail = new ArrayList<>();
    for (int i = 0; i < before; i++) {
      head.add(chars(random, HEX, 1 + random.nextInt(4)));
    }
    for (int i = 0; i < after; i++) {
      tail.add(chars(random, HEX, 1 + random.nextInt(4)));
    }
    return String.join(":", head) + "::" + String.join(":", tail);
  }

  private static String url(Random random) {
    StringBuilder b = new StringBuilder(random.nextBoolean() ? "https://" : "http://");
    b.append(random.nextInt(4) == 0 ? ipv4(random) : validHostName(random));
    if (random.nextBoolean()) {
      b.append(':').append(1 + random.nextInt(65535));
    }
    if (random.nextBoolean()) {
      b.append('/').append(chars(random, MIXED_ALNUM + "._~/+-", random.nextInt(30)));
    }
    return b.toString();
  }

  private static String email(Random random) {
    return chars(random, MIXED_ALNUM + "._%+-", 1 + random.nextInt(random.nextInt(10) == 0 ? 64 : 12))
        + "@" + validHostName(random);
  }

  private static String user(Random random) {
    return chars(random, LOWER + "_", 1) + chars(random, LOWER + DIGITS + "_-", random.nextInt(32));
  }

  private static String serviceType(Random random) {
    return random.nextInt(4) == 0 ? id(random) : pick(random, SERVICE_TYPES);
  }

  private static String id(Random random) {
    return chars(random, LOWER, 1) + chars(random, LOWER + DIGITS + "_", random.nextInt(random.nextInt(8) == 0 ? 64 : 16));
  }

  private static String name(Random random) {
    return chars(random, MIXED_ALNUM, 1) + chars(random, MIXED_ALNUM + "._-", random.nextInt(random.nextInt(8) == 0 ? 64 : 16));
  }

  private static String token(Random random) {
    return chars(random, MIXED_ALNUM + "_-", 1 + random.nextInt(random.nextInt(8) == 0 ? 128 : 32));
  }

  private static String language(Random random) {
    StringBuilder b = new StringBuilder(chars(random, LOWER, 2 + random.nextInt(2)));
    int subtags = random.nextInt(3);
    for (int i = 0; i < subtags; i++) {
      b.append('-').append(chars(random, LOWER + DIGITS, 2 + random.nextInt(7)));
    }
    return b.toString();
  }

  private static String alias(Random random) {
    String host = validHostName(random);
    if (random.nextInt(4) != 0) {
      return host;
    }
    int segments = 1 + random.nextInt(3);
    StringBuilder b = new StringBuilder(host);
    for (int i = 0; i < segments; i++) {
      String seg;
      do {
        seg = chars(random, LOWER + DIGITS + "._-", 1 + random.nextInt(12));
      } while (seg.equals(".") || seg.equals(".."));
      b.append('/').append(seg);
    }
    return b.toString();
  }

  private static Map<String, String> extras(Random random, ContextType type) {
    Map<String, String> extras = new LinkedHashMap<>();
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      String key = random.nextBoolean() ? pick(random, EXTRA_KEYS) : "x_" + id(random);
      if (key.length() > 64 || Schema.find(type, key).isPresent()) {
        continue;
      }
      extras.put(key, validText(random));
    }
    return extras;
  }
}
