package net.aegirj.provision.core.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.aegirj.provision.spi.Host;

/**
 * The exclude globs of {@link Host#sync}, matched against paths relative to the synced directory (segments
 * separated by {@code /}).
 *
 * <ul>
 *   <li>{@code *} matches any characters within one segment, {@code ?} one character;
 *   <li>a segment {@code **} matches any number of segments; at the end of a pattern at least one
 *       ({@code files/**} excludes everything under {@code files}, but not {@code files} itself);
 *   <li>a pattern with a {@code /} is anchored at the synced directory ({@code private/*}); one
 *       without matches a name at any depth ({@code *.tmp}), as in rsync and gitignore;
 *   <li>what a pattern excludes, it excludes with everything below it.
 * </ul>
 */
public final class SyncExcludes {
  private final List<String[]> anchored = new ArrayList<>();
  private final List<String> names = new ArrayList<>();
  private final Set<String> prunable = new TreeSet<>();

  /**
   * @param globs the patterns
   * @throws IllegalArgumentException for an empty or absolute pattern
   */
  public SyncExcludes(Set<String> globs) {
    for (String g : globs) {
      String p = g;
      while (p.startsWith("./")) {
        p = p.substring(2);
      }
      while (p.endsWith("/") && p.length() > 1) {
        p = p.substring(0, p.length() - 1);
      }
      if (p.isEmpty() || p.startsWith("/") || p.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("not a relative glob: '" + g + "'");
      }
      if (p.indexOf('/') < 0 && !p.equals("**")) {
        names.add(p);
        continue;
      }
      anchored.add(p.split("/+"));
      // Literal prefixes whose whole content is excluded need not be listed remotely.
      String prefix = p.endsWith("/**") ? p.substring(0, p.length() - 3)
          : p.endsWith("/*") ? p.substring(0, p.length() - 2) : p;
      if (!prefix.isEmpty() && !hasWildcard(prefix)) {
        prunable.add(prefix);
      }
    }
  }

  private static boolean hasWildcard(String s) {
    return s.indexOf('*') >= 0 || s.indexOf('?') >= 0;
  }

  /**
   * @param rel a relative path, e.g. {@code sites/all/x.tmp}
   * @return true when the path or one of its ancestors matches a pattern
   */
  public boolean excludes(String rel) {
    if (rel.isEmpty()) {
      return false;
    }
    String[] segs = rel.split("/");
    for (int n = 1; n <= segs.length; n++) {
      for (String name : names) {
        if (matchSegment(name, 0, segs[n - 1], 0)) {
          return true;
        }
      }
      for (String[] p : anchored) {
        if (matchSegments(p, 0, segs, 0, n)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * @return relative paths below which everything is excluded, and that have no wildcard: the
   *     remote listing does not descend into them
   */
  Set<String> prunable() {
    return prunable;
  }

  private static boolean matchSegments(String[] p, int pi, String[] s, int si, int sn) {
    if (pi == p.length) {
      return si == sn;
    }
    if (p[pi].equals("**")) {
      int min = pi == p.length - 1 ? 1 : 0;
      for (int k = si + min; k <= sn; k++) {
        if (matchSegments(p, pi + 1, s, k, sn)) {
          return true;
        }
      }
      return false;
    }
    return si < sn && matchSegment(p[pi], 0, s[si], 0) && matchSegments(p, pi + 1, s, si + 1, sn);
  }

  /** Matches one segment: {@code *} any run of characters, {@code ?} one character. */
  static boolean matchSegment(String p, int pi, String s, int si) {
    while (pi < p.length()) {
      char c = p.charAt(pi);
      if (c == '*') {
        while (pi < p.length() && p.charAt(pi) == '*') {
          pi++;
        }
        if (pi == p.length()) {
          return true;
        }
        for (int k = si; k <= s.length(); k++) {
          if (matchSegment(p, pi, s, k)) {
            return true;
          }
        }
        return false;
      }
      if (si >= s.length() || (c != '?' && c != s.charAt(si))) {
        return false;
      }
      pi++;
      si++;
    }
    return si == s.length();
  }
}
