package net.aegirj.provision.spi;

import java.util.Optional;

/**
 * Permissions (octal, including setuid, setgid and sticky bits) and optionally the owner and
 * group a file or directory must have.
 *
 * @param permissions the mode bits, e.g. {@code 0711} or {@code 02770}
 * @param owner the owning user, when it matters
 * @param group the owning group, when it matters
 */
public record FileMode(int permissions, Optional<String> owner, Optional<String> group) {
  /** Checks the invariants. */
  public FileMode {
    if (permissions < 0 || permissions > 07777) {
      throw new IllegalArgumentException("permissions out of range: " + Integer.toOctalString(permissions));
    }
  }

  /**
   * @param permissions the mode bits
   * @return a mode with no owner or group requirement
   */
  public static FileMode of(int permissions) {
    return new FileMode(permissions, Optional.empty(), Optional.empty());
  }

  /**
   * @param group the group
   * @return a copy that also requires the group
   */
  public FileMode withGroup(String group) {
    return new FileMode(permissions, owner, Optional.of(group));
  }

  /**
   * @param owner the owner
   * @return a copy that also requires the owner
   */
  public FileMode withOwner(String owner) {
    return new FileMode(permissions, Optional.of(owner), group);
  }

  /** @return the mode as four octal digits, e.g. {@code 0711} */
  public String octal() {
    return String.format("%04o", permissions);
  }

  @Override
  public String toString() {
    return octal() + owner.map(o -> " owner " + o).orElse("") + group.map(g -> " group " + g).orElse("");
  }
}
