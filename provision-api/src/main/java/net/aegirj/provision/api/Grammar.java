package net.aegirj.provision.api;

import java.util.regex.Pattern;

/**
 * The grammars that property values must match before they are stored. Every value that later
 * reaches a configuration file, an SQL statement or a shell command is first held to one of these,
 * so that quoting for the target only ever sees well-formed input. All grammars are ASCII-only:
 * Unicode look-alikes, control characters, quotes, spaces and shell or SQL metacharacters are
 * refused everywhere except where a grammar names them.
 */
public enum Grammar {
  /** A DNS host name: lower-case labels of letters, digits and inner hyphens, joined by dots. */
  HOST("a lower-case host name (letters, digits, inner '-', labels of 1-63 characters joined by '.')") {
    @Override
    boolean matches(String v) {
      return isHost(v);
    }
  },
  /** A host name or an IPv4/IPv6 address literal. */
  HOST_OR_IP("a lower-case host name or an IP address") {
    @Override
    boolean matches(String v) {
      return isHost(v) || (isIp(v) && !v.equals("*"));
    }
  },
  /** An IPv4 or IPv6 address literal, or {@code *}. */
  IP("an IPv4 or IPv6 address") {
    @Override
    boolean matches(String v) {
      return isIp(v);
    }
  },
  /** An absolute path of safe characters, with no {@code .} or {@code ..} segment. */
  PATH("an absolute path of letters, digits and '._+@%-/' with no '.' or '..' segment") {
    @Override
    boolean matches(String v) {
      return isPath(v);
    }
  },
  /** A POSIX user or group name. */
  USER("a user name (lower-case letter or '_', then up to 31 of a-z, 0-9, '_', '-')") {
    @Override
    boolean matches(String v) {
      return USER_RE.matcher(v).matches();
    }
  },
  /** A plain e-mail address. */
  EMAIL("an e-mail address (local part of letters, digits and '._%+-', '@', a host name)") {
    @Override
    boolean matches(String v) {
      int at = v.lastIndexOf('@');
      return at > 0 && LOCAL_RE.matcher(v.substring(0, at)).matches() && isHost(v.substring(at + 1));
    }
  },
  /** An {@code http} or {@code https} URL with a host, an optional port and a safe path. */
  URL("an http(s) URL: scheme, host name, optional port, path of letters, digits and '._~/+-' (at most 2048 characters)") {
    @Override
    boolean matches(String v) {
      if (v.length() > MAX_URL) {
        return false;
      }
      var m = URL_RE.matcher(v);
      return m.matches() && (isHost(m.group(1)) || isIp(m.group(1)));
    }
  },
  /** An absolute path or an http(s) URL. */
  PATH_OR_URL("an absolute path or an http(s) URL") {
    @Override
    boolean matches(String v) {
      return PATH.matches(v) || URL.matches(v);
    }
  },
  /** A machine identifier: a lower-case letter, then lower-case letters, digits and {@code _}. */
  ID("an identifier (a lower-case letter, then letters a-z, digits and '_', at most 64)") {
    @Override
    boolean matches(String v) {
      return ID_RE.matcher(v).matches();
    }
  },
  /** A service type id ({@link #ID}), or Aegir's {@code NONE} for the null service. */
  SERVICE_TYPE("a service type id (a lower-case letter, then letters a-z, digits and '_'), or NONE") {
    @Override
    boolean matches(String v) {
      return v.equals("NONE") || ID_RE.matcher(v).matches();
    }
  },
  /** A name made of letters, digits, {@code .}, {@code -} and {@code _}, starting with a letter or digit. */
  NAME("a name (a letter or digit, then letters, digits, '.', '-', '_', at most 64)") {
    @Override
    boolean matches(String v) {
      return NAME_RE.matcher(v).matches();
    }
  },
  /** A language code such as {@code en}, {@code pt-br} or {@code zh-hans}. */
  LANGUAGE("a language code such as 'en', 'pt-br' or 'zh-hans'") {
    @Override
    boolean matches(String v) {
      return LANG_RE.matcher(v).matches();
    }
  },
  /** An opaque token of URL-safe characters. */
  TOKEN("a token of letters, digits, '_' and '-' (1-128 characters)") {
    @Override
    boolean matches(String v) {
      return TOKEN_RE.matcher(v).matches();
    }
  },
  /** A site alias: a host name, optionally followed by a sub-directory path ({@code host/sub}). */
  ALIAS("a host name, optionally followed by '/' and a sub-directory of letters, digits, '._-' (no '.' or '..' segment)") {
    @Override
    boolean matches(String v) {
      int slash = v.indexOf('/');
      if (slash < 0) {
        return isHost(v);
      }
      String sub = v.substring(slash + 1);
      if (!isHost(v.substring(0, slash)) || !SUBDIR_RE.matcher(sub).matches()) {
        return false;
      }
      for (String seg : sub.split("/", -1)) {
        if (seg.equals(".") || seg.equals("..")) {
          return false;
        }
      }
      return true;
    }
  },
  /** A DNS owner name inside a zone: {@code @} or relative labels. */
  ZONE_NAME("'@' or relative host labels") {
    @Override
    boolean matches(String v) {
      return v.equals("@") || isHost(v);
    }
  },
  /** A context name, with or without the leading {@code @}. */
  CONTEXT_NAME("a context name") {
    @Override
    boolean matches(String v) {
      return ContextName.isValid(v);
    }
  },
  /** A database or database user name: letters, digits and {@code _}, 1 to 64 characters. */
  DB_NAME("a database name (letters, digits and '_', 1-64 characters)") {
    @Override
    boolean matches(String v) {
      return DB_NAME_RE.matcher(v).matches();
    }
  },
  /**
   * A database server URL {@code mysql://user:password@host[:port]}, user and password
   * URL-encoded (unreserved characters and {@code %XX} only).
   */
  DB_URL("mysql://user:password@host[:port], user and password URL-encoded") {
    @Override
    boolean matches(String v) {
      var m = DB_URL_RE.matcher(v);
      return m.matches() && (isHost(m.group(3)) || isIp(m.group(3))) && !m.group(3).equals("*")
          && (m.group(4) == null || Integer.parseInt(m.group(4)) <= 65535);
    }
  },
  /**
   * An operator's shell command (such as {@code http_restart_cmd}), run with {@code /bin/sh -c}:
   * one line of printable ASCII. Shell syntax is allowed on purpose; only the operator sets it.
   */
  COMMAND("one line of printable ASCII (an operator's shell command, at most 1024 characters)") {
    @Override
    boolean matches(String v) {
      return COMMAND_RE.matcher(v).matches();
    }
  },
  /** A FastCGI address: {@code host:port} or {@code unix:/absolute/path}. */
  FASTCGI("a FastCGI address: 'host:port' (e.g. 127.0.0.1:9000) or 'unix:' and an absolute path") {
    @Override
    boolean matches(String v) {
      if (v.startsWith("unix:")) {
        return isPath(v.substring(5));
      }
      int colon = v.lastIndexOf(':');
      if (colon <= 0) {
        return false;
      }
      String host = v.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      String port = v.substring(colon + 1);
      return (isHost(host) || isIp(host)) && !host.equals("*") && port.matches("[0-9]{1,5}")
          && Integer.parseInt(port) >= 1 && Integer.parseInt(port) <= 65535;
    }
  },
  /**
   * One line of printable ASCII text without quotes, backslashes or shell and SQL metacharacters;
   * for values that no narrower grammar describes.
   */
  TEXT("printable ASCII without quotes, '\\', '`', '$', ';', '|', '&', '<', '>' (at most 1024)") {
    @Override
    boolean matches(String v) {
      return TEXT_RE.matcher(v).matches();
    }
  },
  /**
   * An ACME directory: an {@code https} URL (as {@link #URL}), or Let's Encrypt's by name:
   * {@code production} or {@code staging}.
   */
  ACME_DIRECTORY("an https URL, or 'production' or 'staging' (Let's Encrypt's)") {
    @Override
    boolean matches(String v) {
      return v.equals("production") || v.equals("staging") || (v.startsWith("https://") && URL.matches(v));
    }
  };

  /** The longest URL accepted: what browsers and servers reliably handle. */
  private static final int MAX_URL = 2048;
  private static final Pattern USER_RE = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
  private static final Pattern LOCAL_RE = Pattern.compile("[A-Za-z0-9._%+-]{1,64}");
  private static final Pattern URL_RE =
      Pattern.compile("https?://([a-z0-9.:\\[\\]-]+?)(?::[0-9]{1,5})?(/[A-Za-z0-9._~/+-]*)?");
  private static final Pattern PATH_RE = Pattern.compile("/[A-Za-z0-9._+@%/-]{0,4095}");
  private static final Pattern ID_RE = Pattern.compile("[a-z][a-z0-9_]{0,63}");
  private static final Pattern NAME_RE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern LANG_RE = Pattern.compile("[a-z]{2,3}(-[a-z0-9]{2,8}){0,2}");
  private static final Pattern TOKEN_RE = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  private static final Pattern SUBDIR_RE = Pattern.compile("[a-z0-9._-]{1,64}(/[a-z0-9._-]{1,64}){0,7}");
  private static final Pattern TEXT_RE = Pattern.compile("[\\x20-\\x7e&&[^'\"\\\\`$;|&<>]]{0,1024}");
  private static final Pattern DB_NAME_RE = Pattern.compile("[A-Za-z0-9_]{1,64}");
  private static final Pattern DB_URL_RE = Pattern.compile(
      "mysql://([A-Za-z0-9._~%!*()+-]{1,128}):([A-Za-z0-9._~%!*()+-]{0,256})@([a-z0-9.:-]{1,253}?)(?::([0-9]{1,5}))?");
  private static final Pattern COMMAND_RE = Pattern.compile("[\\x20-\\x7e]{0,1024}");
  private static final Pattern IPV4 =
      Pattern.compile("((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-f:]{2,39}");

  private final String description;

  Grammar(String description) {
    this.description = description;
  }

  abstract boolean matches(String value);

  /** @return what a value of this grammar looks like, for error messages */
  public String description() {
    return description;
  }

  /**
   * @param value a candidate value
   * @return true when the value matches this grammar
   */
  public boolean accepts(String value) {
    return value != null && matches(value);
  }

  /**
   * Checks a value and names the context and property when it is refused.
   *
   * @param context the context the value belongs to, for the message
   * @param property the property name, for the message
   * @param value the candidate
   * @return the value, unchanged
   * @throws InvalidContextException when the value does not match
   */
  public String check(Object context, String property, String value) {
    if (!accepts(value)) {
      throw new InvalidContextException(context == null ? null : context.toString(), property,
          Text.quote(value) + " is not " + description);
    }
    return value;
  }

  static boolean isHost(String v) {
    if (v.isEmpty() || v.length() > 253 || v.endsWith(".")) {
      return false;
    }
    // Labels of 1-63 of [a-z0-9-], neither starting nor ending with '-'; a loop, as this runs for
    // every host value of every context loaded.
    int start = 0;
    for (int i = 0; i <= v.length(); i++) {
      char c = i < v.length() ? v.charAt(i) : '.';
      if (c == '.') {
        int len = i - start;
        if (len < 1 || len > 63 || v.charAt(start) == '-' || v.charAt(i - 1) == '-') {
          return false;
        }
        start = i + 1;
      } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
    return true;
  }

  static boolean isPath(String v) {
    if (!PATH_RE.matcher(v).matches()) {
      return false;
    }
    for (String seg : v.split("/", -1)) {
      if (seg.equals(".") || seg.equals("..")) {
        return false;
      }
    }
    return true;
  }

  static boolean isIp(String v) {
    if (v.equals("*")) {
      return true;
    }
    if (IPV4.matcher(v).matches()) {
      return true;
    }
    if (!IPV6_CHARS.matcher(v).matches() || !v.contains(":")) {
      return false;
    }
    // A colon-hex literal with at most one '::' and 1-8 groups of 1-4 digits.
    int dbl = v.indexOf("::");
    if (dbl >= 0 && v.indexOf("::", dbl + 1) >= 0) {
      return false;
    }
    String[] groups = v.split(":", -1);
    int count = 0;
    for (int i = 0; i < groups.length; i++) {
      String g = groups[i];
      if (g.isEmpty()) {
        boolean edgeOfDouble = dbl >= 0;
        if (!edgeOfDouble) {
          return false;
        }
        continue;
      }
      if (g.length() > 4) {
        return false;
      }
      count++;
    }
    return dbl >= 0 ? count <= 7 : count == 8;
  }
}
