package net.aegirj.provision.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The directories that can never be a platform's {@code root}. A platform's sites are created
 * under {@code <root>/sites/} and its root is served over HTTP, so a root of {@code /etc} would
 * put sites under {@code /etc/sites/} and serve {@code /etc/passwd}. Refused at save and again
 * before a site is installed or deployed on a platform (a context saved before this check, or
 * written by hand, is caught there).
 *
 * <ul>
 *   <li>{@link #SYSTEM_DIRECTORIES}: these directories themselves: {@code /}, the top-level
 *       system directories, and the shared trees below {@code /usr} and {@code /var} that hold
 *       the system's own files;
 *   <li>{@link #SYSTEM_TREES}: these and everything under them: the kernel's and the devices'
 *       file systems ({@code /proc}, {@code /sys}, {@code /dev}, {@code /run}), the boot files
 *       and the system configuration ({@code /etc}).
 * </ul>
 *
 * <p>A code base below the others ({@code /var/aegir/platforms/d10}, {@code /srv/www/d10},
 * {@code /usr/share/drupal7}) is accepted; whether it is a Drupal code base is decided by the
 * platform check that runs before any site is installed.
 */
public final class PlatformRoots {
  /** Refused as a root; the directories below them are not (unless in {@link #SYSTEM_TREES}). */
  public static final List<String> SYSTEM_DIRECTORIES = List.of("/", "/bin", "/boot", "/dev", "/etc", "/home",
      "/lib", "/lib32", "/lib64", "/libx32", "/lost+found", "/media", "/mnt", "/opt", "/proc", "/root", "/run",
      "/sbin", "/snap", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/include", "/usr/lib", "/usr/lib32",
      "/usr/lib64", "/usr/libexec", "/usr/local", "/usr/local/bin", "/usr/local/lib", "/usr/local/sbin",
      "/usr/sbin", "/usr/share", "/usr/src", "/var", "/var/backups", "/var/cache", "/var/lib", "/var/local",
      "/var/log", "/var/mail", "/var/opt", "/var/spool", "/var/tmp");
  /** Refused as a root, and so is every directory below them. */
  public static final List<String> SYSTEM_TREES = List.of("/boot", "/dev", "/etc", "/proc", "/run", "/sys");

  private PlatformRoots() {}

  /**
   * @param root a platform's root, absolute
   * @return why it cannot be a platform's root, or empty when it may be one
   */
  public static Optional<String> refusal(Path root) {
    Path r = root.toAbsolutePath().normalize();
    String text = r.toString();
    for (String tree : SYSTEM_TREES) {
      if (!text.equals(tree) && r.startsWith(tree)) {
        return Optional.of(text + " is inside the system directory " + tree
            + "; a platform's sites are created and served under its root: put the code base elsewhere,"
            + " e.g. under <aegir_root>/platforms/");
      }
    }
    if (SYSTEM_DIRECTORIES.contains(text)) {
      return Optional.of(text + " is a system directory; a platform's sites are created and served under its"
          + " root: put the code base in a directory of its own, e.g. under <aegir_root>/platforms/");
    }
    return Optional.empty();
  }

  /**
   * @param context the platform's name, for the message
   * @param root its root
   * @return {@code root}
   * @throws InvalidContextException naming the platform and {@code root} when it is refused
   */
  public static Path check(Object context, Path root) {
    Optional<String> why = refusal(root);
    if (why.isPresent()) {
      throw new InvalidContextException(context == null ? null : context.toString(), "root", why.get());
    }
    return root;
  }
}
