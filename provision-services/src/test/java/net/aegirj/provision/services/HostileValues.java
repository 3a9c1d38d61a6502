package net.aegirj.provision.services;

import java.util.List;
import java.util.Random;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.testkit.Generators;

/**
 * Nasty property values for the torture tests, drawn only from the {@link Random} given so that a
 * seed reproduces a value: {@link Generators#hostileString(Random)}, valid values of a property
 * with control characters, quotes, shell and SQL metacharacters, template markers, path traversal
 * or Unicode look-alikes inserted, look-alike spellings of valid values, absolute paths,
 * injections after a line break, and (rarely) values of one megabyte.
 */
final class HostileValues {
  /** One megabyte: the size of the huge values. */
  static final int HUGE = 1 << 20;

  /** Fragments inserted into otherwise valid values. */
  static final List<String> FRAGMENTS = List.of(
      // control characters, line breaks, NUL
      "\u0000", "\n", "\r", "\r\n", "\t", "\u000b", "\f", "\u001b[2J", "\u0007", "\u007f", "\u0085",
      "\u2028", "\u2029",
      // quotes
      "'", "\"", "`", "''", "\\'", "\\",
      // shell
      "$(id)", "$(rm -rf /)", "${IFS}", "`id`", ";", "; reboot", "|", "| sh", "&", "&& id", "<", ">",
      ">/etc/passwd", "<<EOF", "*", "?", "~", "!", "#", " ",
      // SQL
      "'; DROP DATABASE mysql; --", "' OR '1'='1", "\"; DROP TABLE users; --", "%' --", "\\'; --",
      "/*", "*/", "-- ", "`; DROP",
      // templates and config syntax
      "{{", "}}", "{{root}}", "{{#each}}", "%", "%s", "%n", "%1", "%{HTTP_HOST}", "{", "}",
      "server { listen 80; }", "</VirtualHost>", "<?php system('id'); ?>", "include /etc/*;",
      // path traversal
      "../", "..", "/..", "/../../etc/passwd", "..\\..\\", "%2e%2e%2f", "%00", "%0a", "/etc/shadow",
      "/./", "//",
      // Unicode look-alikes and invisible characters
      "\uff0e", "\uff0f", "\u2024", "\u2215", "\u2044", "\uff1b", "\uff07", "\u02bc", "\u2018",
      "\u201c", "\u0430", "\u0435", "\u043e", "\u212a", "\u202e", "\u202d", "\u200b", "\u200c",
      "\u200d", "\u2060", "\ufeff", "\u00a0", "\u3000", "\ud83d\ude00", "\ud800", "\u0131",
      "e\u0301", "\u00ad");

  private static final List<String> WHOLE = List.of(
      "", " ", "..", ".", "/", "//", "../../../etc/passwd", "/etc/passwd", "/var/aegir/../../etc",
      "/var/aegir/platforms/x/../../../root", "C:\\Windows\\System32", "\\\\server\\share", "~root",
      "$HOME", "-rf", "--help", "-oProxyCommand=id", "'", "\"", "`", "%", "{{root}}", "null ",
      "NULL", "\u202eexample.com", "example.com\u200d", "exa\u0441mple.com",
      "\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d", "x'; DROP DATABASE mysql; --",
      "a\nb", "\r\n", "\u0000");

  private HostileValues() {}

  /**
   * @param random the source of randomness
   * @param spec the property the value is meant for
   * @return a nasty value for it
   */
  static String value(Random random, PropertySpec spec) {
    switch (random.nextInt(16)) {
      case 0:
        return random.nextInt(64) == 0 ? huge(random, spec) : Generators.hostileString(random);
      case 1:
      case 2:
        return Generators.hostileString(random);
      case 3:
        return WHOLE.get(random.nextInt(WHOLE.size()));
      case 4:
        return lookAlike(random, valid(random, spec));
      case 5:
        return valid(random, spec) + List.of("\n", "\r\n", "\r", "\u0085", "\u2028").get(random.nextInt(5))
            + List.of("server { listen 80; }", "DROP DATABASE mysql;", "id", "include /etc/passwd;",
                "Include /etc/apache2/*").get(random.nextInt(5));
      case 6:
        return valid(random, spec) + "," + Generators.hostileString(random);
      default: {
        StringBuilder b = new StringBuilder(valid(random, spec));
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
          b.insert(random.nextInt(b.length() + 1), FRAGMENTS.get(random.nextInt(FRAGMENTS.size())));
        }
        return b.toString();
      }
    }
  }

  /** A valid value with one megabyte of more characters (valid ones or a repeated fragment). */
  static String huge(Random random, PropertySpec spec) {
    String base = valid(random, spec);
    StringBuilder b = new StringBuilder(HUGE + base.length());
    b.append(base);
    String filler = random.nextBoolean() ? "a" : FRAGMENTS.get(random.nextInt(FRAGMENTS.size()));
    while (b.length() < HUGE) {
      b.append(filler);
    }
    return b.toString();
  }

  /** A spelling of the value with look-alikes for dots, slashes, colons and some letters. */
  static String lookAlike(Random random, String value) {
    StringBuilder b = new StringBuilder(value.length());
    boolean changed = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      String swap = switch (c) {
        case '.' -> List.of("\uff0e", "\u2024", "\u3002", "\u00b7").get(random.nextInt(4));
        case '/' -> List.of("\uff0f", "\u2215", "\u2044").get(random.nextInt(3));
        case ':' -> "\uff1a";
        case '-' -> List.of("\u2010", "\u2011", "\u2212").get(random.nextInt(3));
        case 'a' -> "\u0430";
        case 'e' -> "\u0435";
        case 'o' -> "\u043e";
        case 'k' -> "\u212a";
        default -> null;
      };
      if (swap != null && (random.nextBoolean() || !changed)) {
        b.append(swap);
        changed = true;
      } else {
        b.append(c);
      }
    }
    return changed ? b.toString() : "\u202e" + value;
  }

  /**
   * @param random the source of randomness
   * @param spec a property
   * @return a value of its grammar (which the context may still refuse for other reasons)
   */
  static String valid(Random random, PropertySpec spec) {
    if (!spec.allowed().isEmpty()) {
      return spec.allowed().get(random.nextInt(spec.allowed().size()));
    }
    switch (spec.kind()) {
      case BOOLEAN:
        return random.nextBoolean() ? "true" : "0";
      case INTEGER:
        return Integer.toString(1 + random.nextInt(9000));
      case REFERENCE:
        return switch (spec.referenceType().orElseThrow()) {
          case SERVER -> "@server_master";
          case PLATFORM -> "@platform_x";
          case SITE -> "@example.com";
        };
      case MAP:
        return "server_master=" + Generators.ip(random);
      default:
        break;
    }
    Grammar g = spec.grammar().orElse(Grammar.COMMAND);
    return switch (g) {
      case HOST, HOST_OR_IP, ZONE_NAME, CONTEXT_NAME -> Generators.validHostName(random);
      case ALIAS -> random.nextBoolean() ? "www.example.org" : "example.org/shop";
      case IP -> Generators.ip(random);
      case PATH -> Generators.path(random);
      case PATH_OR_URL -> random.nextBoolean() ? Generators.path(random) : "https://example.org/x.make";
      case USER -> "aegir";
      case EMAIL -> "admin@example.com";
      case URL -> "http://example.com/hosting/disabled";
      case ID -> "standard";
      case SERVICE_TYPE -> "null";
      case NAME -> "client1";
      case LANGUAGE -> "pt-br";
      case TOKEN -> "abcDEF123_-xyz";
      case DB_NAME -> "exampledb";
      case DB_URL -> "mysql://root:secret@127.0.0.1:3306";
      case FASTCGI -> random.nextBoolean() ? "127.0.0.1:9000" : "unix:/run/php/php8.2-fpm.sock";
      case COMMAND -> "true";
      case TEXT -> "plain text";
      case ACME_DIRECTORY -> random.nextBoolean() ? "staging" : "https://acme.example.org/directory";
    };
  }
}
