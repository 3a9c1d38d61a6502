package net.aegirj.provision.api;

import java.util.Set;

/**
 * The name of a context, shared by all context types in one namespace.
 *
 * <p>Rules: leading {@code @} signs are dropped (the canonical text form has exactly one); ASCII
 * letters are folded to lower case; only {@code a-z}, {@code 0-9}, {@code .}, {@code -} and
 * {@code _} are allowed; the name starts and ends with a letter or digit, has no {@code ..}, is at
 * most {@value #MAX_LENGTH} characters long, and is not one of Aegir's reserved names
 * {@code @self} and {@code @none}. Anything else is refused with the rule it broke.
 */
public final class ContextName implements Comparable<ContextName> {
  /** The longest name accepted (the longest DNS name). */
  public static final int MAX_LENGTH = 253;

  /** The local server where Provision runs, {@code @server_master}. */
  public static final ContextName MASTER = new ContextName("server_master");

  private static final Set<String> RESERVED = Set.of("self", "none");

  private final String value;

  private ContextName(String value) {
    this.value = value;
  }

  /**
   * Parses and normalises a name.
   *
   * @param name the name with or without leading {@code @}
   * @return the normalised name
   * @throws InvalidContextException naming the broken rule
   */
  public static ContextName of(String name) {
    String n = name == null ? null : normalise(name);
    String problem = problemOfNormalised(n);
    if (problem != null) {
      throw new InvalidContextException(null, null,
          "invalid context name " + Text.quote(name) + ": " + problem);
    }
    return new ContextName(n);
  }

  /**
   * Tells whether a string is a valid context name, without throwing.
   *
   * @param name the candidate
   * @return true when {@link #of(String)} would accept it
   */
  public static boolean isValid(String name) {
    return problem(name) == null;
  }

  private static String normalise(String name) {
    int i = 0;
    while (i < name.length() && name.charAt(i) == '@') {
      i++;
    }
    if (i == 0 && !hasUpperCase(name)) {
      return name; // already normal: the common case, without a copy
    }
    // Fold ASCII letters only: Unicode case mapping would turn look-alikes such as the Kelvin
    // sign (U+212A) into ASCII letters.
    StringBuilder b = new StringBuilder(name.length() - i);
    for (int j = i; j < name.length(); j++) {
      char c = name.charAt(j);
      b.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
    }
    return b.toString();
  }

  /**
   * @param name a candidate
   * @return the first rule the candidate breaks, or null when it is valid
   */
  static String problem(String name) {
    return problemOfNormalised(name == null ? null : normalise(name));
  }

  private static boolean hasUpperCase(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        return true;
      }
    }
    return false;
  }

  private static String problemOfNormalised(String n) {
    if (n == null) {
      return "a name is required";
    }
    if (n.isEmpty()) {
      return "a name must not be empty";
    }
    if (n.length() > MAX_LENGTH) {
      return "a name is at most " + MAX_LENGTH + " characters long";
    }
    for (int i = 0; i < n.length(); i++) {
      char c = n.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'
          || c == '_';
      if (!ok) {
        return "only letters a-z, digits, '.', '-' and '_' are allowed (found "
            + Text.quote(String.valueOf(c)) + " at position " + (i + 1) + ")";
      }
    }
    if (!Character.isLetterOrDigit(n.charAt(0)) || !Character.isLetterOrDigit(n.charAt(n.length() - 1))) {
      return "a name must start and end with a letter or digit";
    }
    if (n.contains("..")) {
      return "a name must not contain '..'";
    }
    if (RESERVED.contains(n)) {
      return "'@" + n + "' is reserved by Aegir";
    }
    return null;
  }

  /** @return the name without the leading {@code @}, as used in file names and URIs */
  public String value() {
    return value;
  }

  /** @return true for {@code @server_master} */
  public boolean isMaster() {
    return this.equals(MASTER);
  }

  /** @return the name with its single leading {@code @} */
  @Override
  public String toString() {
    return "@" + value;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ContextName other && other.value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public int compareTo(ContextName o) {
    return value.compareTo(o.value);
  }
}
