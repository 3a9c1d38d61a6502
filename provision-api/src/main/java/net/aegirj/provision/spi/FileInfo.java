package net.aegirj.provision.spi;

import java.util.Optional;

/**
 * What a host knows about a path, without following a final symbolic link.
 *
 * @param type the kind of file
 * @param permissions the mode bits
 * @param owner the owning user's name
 * @param group the owning group's name
 * @param size the size in bytes (of a regular file)
 * @param linkTarget the target of a symbolic link
 */
public record FileInfo(Type type, int permissions, String owner, String group, long size,
    Optional<String> linkTarget) {
  /** Kinds of file. */
  public enum Type {
    /** A regular file. */
    FILE,
    /** A directory. */
    DIRECTORY,
    /** A symbolic link. */
    SYMLINK,
    /** Anything else (device, socket, pipe). */
    OTHER
  }

  /**
   * @param mode a required mode
   * @return true when permissions, and owner and group where required, match
   */
  public boolean matches(FileMode mode) {
    return permissions == mode.permissions()
        && mode.owner().map(owner::equals).orElse(true)
        && mode.group().map(group::equals).orElse(true);
  }
}
