package net.aegirj.provision.services.drupal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.Host;

/**
 * The packages of a code base (modules, themes, install profiles with their versions), read from
 * their info files: {@code <name>.info.yml} (Drupal 8 and later) and {@code <name>.info}
 * (Drupal 7). Only the places Drupal looks in are walked ({@code modules}, {@code themes},
 * {@code profiles}, their {@code core/} and {@code sites/all/} counterparts, and those of a site
 * directory), to a bounded depth and number of entries; a file that is not a readable, small info
 * file is passed over. Nothing of a file is executed or trusted beyond a name and a version of
 * printable characters.
 */
final class Packages {
  /** The deepest directory walked below a starting place. */
  static final int MAX_DEPTH = 6;
  /** The most directory entries looked at in one scan. */
  static final int MAX_ENTRIES = 50_000;
  private static final int MAX_INFO_BYTES = 64 * 1024;
  private static final Pattern MACHINE_NAME = Pattern.compile("[a-z][a-z0-9_]{0,127}");
  private static final Pattern YML_LINE = Pattern.compile("^(type|version)\\s*:\\s*['\"]?([\\x21-\\x7e ]{0,64}?)['\"]?\\s*$");
  private static final Pattern INFO_LINE = Pattern.compile("^(version|engine)\\s*=\\s*['\"]?([\\x21-\\x7e ]{0,64}?)['\"]?\\s*$");
  private static final List<String> PLACES = List.of("modules", "themes", "profiles", "core/modules", "core/themes",
      "core/profiles", "sites/all/modules", "sites/all/themes");

  /**
   * A package.
   *
   * @param type {@code module}, {@code theme} or {@code profile}
   * @param version its version, or empty when the info file names none
   */
  record Package(String type, String version) {}

  private Packages() {}

  /**
   * @param host the host the code base is on
   * @param root a platform root or a site directory
   * @return the packages found, by machine name, sorted
   */
  static Map<String, Package> scan(Host host, Path root) {
    Map<String, Package> out = new TreeMap<>();
    int[] budget = {MAX_ENTRIES};
    for (String place : PLACES) {
      Path start = root.resolve(place);
      if (host.stat(start).filter(i -> i.type() == FileInfo.Type.DIRECTORY).isEmpty()) {
        continue;
      }
      String kind = place.endsWith("themes") ? "theme" : place.endsWith("profiles") ? "profile" : "module";
      Deque<Path> dirs = new ArrayDeque<>();
      dirs.add(start);
      while (!dirs.isEmpty() && budget[0] > 0) {
        Path dir = dirs.poll();
        int depth = dir.equals(start) ? 0 : start.relativize(dir).getNameCount();
        for (String name : host.list(dir)) {
          if (--budget[0] <= 0) {
            break;
          }
          if (name.startsWith(".")) {
            continue;
          }
          Path child = dir.resolve(name);
          if (name.endsWith(".info.yml") || name.endsWith(".info")) {
            String machine = name.substring(0, name.length() - (name.endsWith(".yml") ? 9 : 5));
            if (MACHINE_NAME.matcher(machine).matches() && !out.containsKey(machine)) {
              // In profiles/, only <p>/<p>.info(.yml) is the profile; what lies deeper is its modules.
              String k = !kind.equals("profile") ? kind
                  : depth == 1 && dir.getFileName().toString().equals(machine) ? "profile" : "module";
              read(host, child, k, name.endsWith(".yml")).ifPresent(p -> out.put(machine, p));
            }
          } else if (depth < MAX_DEPTH && !name.equals("tests") && !name.equals("vendor")
              && !name.equals("node_modules")) {
            host.stat(child).filter(i -> i.type() == FileInfo.Type.DIRECTORY).ifPresent(i -> dirs.add(child));
          }
        }
      }
    }
    return out;
  }

  private static Optional<Package> read(Host host, Path file, String kind, boolean yml) {
    Optional<FileInfo> info = host.stat(file);
    if (info.isEmpty() || info.get().type() != FileInfo.Type.FILE || info.get().size() > MAX_INFO_BYTES) {
      return Optional.empty();
    }
    Optional<byte[]> bytes = host.read(file);
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    String type = kind;
    String version = "";
    for (String line : new String(bytes.get(), StandardCharsets.UTF_8).split("\n")) {
      Matcher m = (yml ? YML_LINE : INFO_LINE).matcher(line.stripTrailing());
      if (!m.matches()) {
        continue;
      }
      String value = m.group(2).strip();
      switch (m.group(1)) {
        case "type" -> {
          if (value.equals("module") || value.equals("theme") || value.equals("profile")) {
            type = value;
          }
        }
        case "engine" -> type = "theme";
        default -> version = value;
      }
    }
    return Optional.of(new Package(type, version));
  }

  /**
   * @param packages packages by name
   * @param type a type
   * @return the names of that type, sorted
   */
  static List<String> named(Map<String, Package> packages, String type) {
    List<String> out = new ArrayList<>();
    packages.forEach((n, p) -> {
      if (p.type().equals(type)) {
        out.add(n);
      }
    });
    return out;
  }

  /**
   * @param packages packages by name
   * @param type a type
   * @param coreVersion the version of the code base's Drupal core
   * @return {@code name version} of each package of that type, comma-separated, sorted by name
   */
  static String summary(Map<String, Package> packages, String type, String coreVersion) {
    List<String> out = new ArrayList<>();
    packages.forEach((n, p) -> {
      if (p.type().equals(type)) {
        // Core's own extensions say VERSION: the version of the core they ship with.
        String v = p.version().equals("VERSION") ? coreVersion : p.version();
        out.add(v.isEmpty() ? n : n + " " + v);
      }
    });
    return String.join(", ", out);
  }
}
