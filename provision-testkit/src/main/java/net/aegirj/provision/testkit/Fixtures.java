package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;

/**
 * Code bases for tests that serve real requests, copied from the testkit's resources.
 *
 * <p>{@link #phpPlatform(Path)} is a tiny PHP application that looks like a Drupal 10 platform to
 * Provision ({@code core/lib/Drupal.php} says {@code const VERSION = '10.3.0'}) and whose
 * {@code index.php} answers every request with one line of {@code text/plain}:
 *
 * <pre>
 * host=&lt;HTTP_HOST&gt; site=&lt;site directory or none&gt; db=&lt;current database, none or error:message&gt;
 * </pre>
 *
 * <p>The site directory is the request's host name (port removed, lower case) when
 * {@code sites/<host>/} exists. The database is the result of {@code SELECT DATABASE()} over PDO
 * with the connection the web server passes in {@code db_type}, {@code db_host}, {@code db_port},
 * {@code db_name}, {@code db_user} and {@code db_passwd} (FastCGI parameters or {@code SetEnv}, as
 * Aegir's vhosts do), when {@code db_name} is set. Besides, {@code .htaccess} holds a
 * Drupal-like front-controller rewrite that is valid inside a {@code <Directory>} block.
 */
public final class Fixtures {
  private static final String BASE = "fixture-platform/";
  private static final List<String> PHP_FILES = List.of(".htaccess", "index.php", "core/lib/Drupal.php",
      "sites/default/default.settings.php", "sites/all/modules/.keep");

  private Fixtures() {}

  /** @return the files of {@link #phpPlatform(Path)}, relative to its root, with {@code /} */
  public static List<String> phpFiles() {
    return PHP_FILES;
  }

  /**
   * Copies the fixture PHP platform into {@code root} (created when missing; files that exist are
   * replaced). Files are made mode 0644 and directories 0755, {@code root} included, so that web
   * server workers running as {@code www-data} can read them; the directories above {@code root}
   * must be searchable by them too.
   *
   * @param root the platform's root directory
   * @return {@code root}
   * @throws UncheckedIOException when a file cannot be written
   */
  public static Path phpPlatform(Path root) {
    Objects.requireNonNull(root, "root");
    try {
      makeDir(root);
      for (String file : PHP_FILES) {
        Path target = root.resolve(file);
        Path dir = root;
        for (Path part : root.relativize(target.getParent())) {
          if (!part.toString().isEmpty()) {
            dir = dir.resolve(part.toString());
            makeDir(dir);
          }
        }
        try (InputStream in = Fixtures.class.getResourceAsStream(BASE + file)) {
          if (in == null) {
            throw new IllegalStateException("the testkit resource " + BASE + file + " is missing");
          }
          Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
      }
      return root;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the fixture PHP platform into " + root, e);
    }
  }

  private static void makeDir(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
