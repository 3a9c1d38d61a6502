package net.aegirj.provision.core.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.Set;
import net.aegirj.provision.api.ProvisionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The modes of the home's state: the directories that only Provision reads ({@code contexts},
 * {@code locks} with its {@code reload-owed}) are 0700 and their files 0600, so that no other
 * local user reads a secret from them or takes a lock that stalls a task. What the web server must
 * read ({@code config}, the platforms) is not state and keeps the modes Aegir gives it.
 *
 * <p>A state directory is created 0700. One found wider (made by an earlier version, or by hand)
 * is repaired when it is opened: the directory to 0700, and then every file and directory in it
 * that this user owns to 0600 and 0700. One glance per directory per process when nothing is
 * wrong: its files are only walked when the directory itself was open to others.
 */
public final class PrivateState {
  private static final Logger LOG = LoggerFactory.getLogger(PrivateState.class);
  /** The mode of a state directory: 0700. */
  public static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
  /** The mode of a state file: 0600. */
  public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private PrivateState() {}

  /** @return the attribute that creates a file 0600 */
  public static FileAttribute<Set<PosixFilePermission>> fileAttribute() {
    return PosixFilePermissions.asFileAttribute(FILE);
  }

  /** @return the attribute that creates a directory 0700 */
  public static FileAttribute<Set<PosixFilePermission>> directoryAttribute() {
    return PosixFilePermissions.asFileAttribute(DIRECTORY);
  }

  /**
   * Makes a state directory private: creates it (and missing parents) 0700, or repairs one found
   * open to other users, with what it holds.
   *
   * @param dir the directory
   * @return the directory
   * @throws ProvisionException when it cannot be created
   */
  public static Path directory(Path dir) {
    try {
      Files.createDirectory(dir, directoryAttribute());
      Files.setPosixFilePermissions(dir, DIRECTORY); // the umask may have taken bits away: exactly 0700
      return dir;
    } catch (FileAlreadyExistsException e) {
      repair(dir);
      return dir;
    } catch (NoSuchFileException e) {
      try {
        Files.createDirectories(dir.getParent());
      } catch (IOException p) {
        throw new ProvisionException("cannot create " + dir.getParent() + ": " + p.getMessage(), p);
      }
      return directory(dir);
    } catch (IOException e) {
      throw new ProvisionException("cannot create the state directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Repairs a state directory found open to other users: 0700, and what this user owns in it 0600
   * (files) and 0700 (directories), recursively. A directory already private is left as it is,
   * unread. What cannot be repaired is logged, never thrown: the task that needs it says why.
   *
   * @param dir an existing directory
   */
  public static void repair(Path dir) {
    try {
      PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isDirectory() || !openToOthers(a.permissions())) {
        return;
      }
      UserPrincipal me = dir.getFileSystem().getUserPrincipalLookupService()
          .lookupPrincipalByName(System.getProperty("user.name"));
      if (!a.owner().equals(me)) {
        LOG.warn("{} is open to other users (mode {}) and owned by {}, not by {}: make it {}'s, mode 0700",
            dir, PosixFilePermissions.toString(a.permissions()), a.owner().getName(), me.getName(), me.getName());
        return;
      }
      Files.setPosixFilePermissions(dir, DIRECTORY);
      int files = repairContents(dir, me);
      LOG.info("{} was open to other users (mode {}): made it 0700, and {} entr{} in it private", dir,
          PosixFilePermissions.toString(a.permissions()), files, files == 1 ? "y" : "ies");
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn("cannot make {} private: {}", dir, e.getMessage());
    }
  }

  private static int repairContents(Path dir, UserPrincipal me) throws IOException {
    int n = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.owner().equals(me) || a.isSymbolicLink() || !openToOthers(a.permissions())) {
          if (a.isDirectory() && a.owner().equals(me)) {
            n += repairContents(p, me);
          }
          continue;
        }
        if (a.isDirectory()) {
          Files.setPosixFilePermissions(p, DIRECTORY);
          n += 1 + repairContents(p, me);
        } else if (a.isRegularFile()) {
          Files.setPosixFilePermissions(p, FILE);
          n++;
        }
      }
    }
    return n;
  }

  private static boolean openToOthers(Set<PosixFilePermission> permissions) {
    for (PosixFilePermission p : permissions) {
      if (OTHERS.contains(p)) {
        return true;
      }
    }
    return false;
  }
}
