package net.aegirj.provision.services.drupal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.spi.Host;

/**
 * Detects the Drupal version of a code base: {@code core/lib/Drupal.php} ({@code const VERSION})
 * for 8 and later, {@code includes/bootstrap.inc} ({@code define('VERSION', …)}) for 7 and
 * earlier.
 *
 * @param version the full version, e.g. {@code 10.3.0}
 * @param major the major version, e.g. 10
 */
public record DrupalVersion(String version, int major) {
  private static final Pattern D8 = Pattern.compile("const\\s+VERSION\\s*=\\s*'([0-9][^']*)'");
  private static final Pattern D7 = Pattern.compile("define\\(\\s*'VERSION'\\s*,\\s*'([0-9][^']*)'\\s*\\)");

  /** The files looked at, for error messages. */
  public static final String LOOKED_FOR = "core/lib/Drupal.php (Drupal 8+) or includes/bootstrap.inc (Drupal 7)";

  /**
   * @param host where the code base is
   * @param root the platform root
   * @return the version, or empty when the root does not hold Drupal
   */
  public static Optional<DrupalVersion> detect(Host host, Path root) {
    Optional<DrupalVersion> v = find(host, root.resolve("core/lib/Drupal.php"), D8);
    return v.isPresent() ? v : find(host, root.resolve("includes/bootstrap.inc"), D7);
  }

  private static Optional<DrupalVersion> find(Host host, Path file, Pattern p) {
    return host.read(file).flatMap(bytes -> {
      Matcher m = p.matcher(new String(bytes, StandardCharsets.UTF_8));
      if (!m.find()) {
        return Optional.empty();
      }
      String version = m.group(1);
      String major = version.split("\\.", 2)[0].replaceAll("[^0-9].*", "");
      return major.isEmpty() ? Optional.empty() : Optional.of(new DrupalVersion(version, Integer.parseInt(major)));
    });
  }
}
