package net.aegirj.provision.core.host;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.SftpATTRS;
import com.jcraft.jsch.SftpException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import net.aegirj.provision.api.HostException;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file operations of an {@link SshHost} on its open SFTP channel: files written to a
 * temporary name beside the target and renamed over it, modes and owners applied (owners with
 * {@code chown}/{@code chgrp} over exec, set-id bits with {@code chmod} where SFTP leaves them out).
 */
final class SftpFiles {
  private static final Logger LOG = LoggerFactory.getLogger(SshHost.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String name;
  private final SshConnection connection;
  private final SshExec exec;
  private final SshOwners owners;

  SftpFiles(String name, SshConnection connection, SshExec exec, SshOwners owners) {
    this.name = name;
    this.connection = connection;
    this.exec = exec;
    this.owners = owners;
  }

  /** @return the path as JSch takes it literally */
  static String lit(String path) {
    return SshShell.sftpLiteral(path);
  }

  /** @return the attributes of the path itself (not a link's target), or null when it does not exist */
  static SftpATTRS lstatOrNull(ChannelSftp c, String p) throws SftpException {
    try {
      return c.lstat(lit(p));
    } catch (SftpException e) {
      if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE) {
        return null;
      }
      throw e;
    }
  }

  /** @return the type of a file with these attributes */
  static FileInfo.Type type(SftpATTRS a) {
    return a.isLink() ? FileInfo.Type.SYMLINK
        : a.isDir() ? FileInfo.Type.DIRECTORY
        : a.isReg() ? FileInfo.Type.FILE : FileInfo.Type.OTHER;
  }

  /** @return the type of a file with these attributes, for messages */
  static String kind(SftpATTRS a) {
    return type(a).name().toLowerCase(Locale.ROOT);
  }

  /** @return the mode in four octal digits */
  private static String octal(int mode) {
    return String.format("%04o", mode);
  }

  /** @return a fresh name beside the path, hidden, for writing it in full before the rename */
  static String tempName(Path path) {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    String base = path.getFileName().toString();
    if (base.length() > 80) {
      base = base.substring(0, 80); // stay within NAME_MAX
    }
    return path.resolveSibling("." + base + ".tmp-" + HexFormat.of().formatHex(b)).toString();
  }

  /**
   * Gives a file or directory the mode: owner and group first (chown clears set-id bits), then
   * the permissions, checking that set-id bits really stuck.
   */
  boolean applyMode(ChannelSftp c, String p, FileMode mode, SftpATTRS a) throws SftpException {
    boolean changed = false;
    String owner = mode.owner().filter(o -> !o.equals(owners.userName(a.getUId()))).orElse(null);
    String group = mode.group().filter(g -> !g.equals(owners.groupName(a.getGId()))).orElse(null);
    int current = a.getPermissions() & 07777;
    if (owner != null || group != null) {
      if (owner != null) {
        exec.check(List.of("chown", "--", group == null ? owner : owner + ":" + group, p), "set owner of " + p);
      } else {
        exec.check(List.of("chgrp", "--", group, p), "set group of " + p);
      }
      changed = true;
      current = c.lstat(lit(p)).getPermissions() & 07777;
    }
    if (current != mode.permissions()) {
      setPermissions(c, p, mode.permissions());
      changed = true;
    }
    return changed;
  }

  /** Sets the permissions, falling back to {@code chmod} when SFTP leaves set-id bits out. */
  void setPermissions(ChannelSftp c, String p, int want) throws SftpException {
    SftpATTRS set = new SftpATTRS();
    set.setPERMISSIONS(want);
    c.setStat(lit(p), set);
    if ((want & 07000) != 0) {
      int got = c.lstat(lit(p)).getPermissions() & 07777;
      if (got != want) {
        LOG.debug("{}: SFTP left {} at {} instead of {}; using chmod", name, p, octal(got), octal(want));
        exec.check(List.of("chmod", "--", octal(want), p), "set mode " + octal(want) + " on " + p);
        got = c.lstat(lit(p)).getPermissions() & 07777;
        if (got != want) {
          throw new HostException(name, "cannot set mode " + octal(want) + " on " + p + ": it stays "
              + octal(got) + " (set-id bits need root or membership of the file's group)");
        }
      }
    }
  }

  /** Where a file's new content comes from; opened once. */
  @FunctionalInterface
  interface Content {
    InputStream open() throws IOException;
  }

  /** Writes a new file next to the target, gives it its mode and renames it over the target. */
  void putViaTemp(ChannelSftp c, Path path, Content content, FileMode mode) throws SftpException, IOException {
    String p = path.toString();
    String tmp = tempName(path);
    boolean created = false;
    try {
      try {
        c._put(new ByteArrayInputStream(new byte[0]), tmp, null, ChannelSftp.OVERWRITE);
      } catch (SftpException e) {
        if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE) {
          throw new HostException(name, "cannot write " + p + ": directory " + path.getParent() + " does not exist");
        }
        throw e;
      }
      created = true;
      setPermissions(c, tmp, 0600);
      try (InputStream in = content.open()) {
        c._put(in, tmp, null, ChannelSftp.OVERWRITE);
      }
      applyMode(c, tmp, mode, c.lstat(lit(tmp)));
      rename(c, tmp, p);
      created = false;
    } finally {
      if (created && !connection.connectionGone(null)) {
        try {
          c.rm(lit(tmp));
        } catch (SftpException | RuntimeException e) {
          LOG.debug("{}: cannot remove {}: {}", name, tmp, e.getMessage());
        }
      }
    }
  }

  /** Renames over the target: atomically where the server has OpenSSH's {@code posix-rename}. */
  private static void rename(ChannelSftp c, String from, String to) throws SftpException {
    if (c.getExtension("posix-rename@openssh.com") == null) {
      // Plain SFTP rename refuses to replace: remove first (not atomic, but servers without the
      // extension are not OpenSSH).
      try {
        SftpATTRS a = c.lstat(lit(to));
        if (!a.isDir()) {
          c.rm(lit(to));
        }
      } catch (SftpException e) {
        if (e.id != ChannelSftp.SSH_FX_NO_SUCH_FILE) {
          throw e;
        }
      }
    }
    c.rename(lit(from), lit(to));
  }

  /** @return the file's content, or empty when it does not exist */
  static Optional<byte[]> readOrNull(ChannelSftp c, String p) throws SftpException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      c.get(lit(p), out);
    } catch (SftpException e) {
      if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE) {
        return Optional.empty();
      }
      throw e;
    }
    return Optional.of(out.toByteArray());
  }

  /**
   * Creates the directory and its missing parents (0755), or gives an existing one its mode.
   *
   * @return whether anything changed
   */
  boolean mkdirs(ChannelSftp c, Path dir, FileMode mode) throws SftpException {
    String p = dir.toString();
    SftpATTRS a = lstatOrNull(c, p);
    if (a != null) {
      if (!a.isDir()) {
        throw new HostException(name, "cannot create directory " + p + ": a " + kind(a) + " is in the way");
      }
      return applyMode(c, p, mode, a);
    }
    List<Path> missing = new ArrayList<>();
    for (Path q = dir; q != null && q.getNameCount() > 0 && lstatOrNull(c, q.toString()) == null; q = q.getParent()) {
      missing.add(0, q);
    }
    for (Path q : missing) {
      String s = q.toString();
      try {
        c.mkdir(s); // mkdir takes the path as is (no glob unquoting)
      } catch (SftpException e) {
        SftpATTRS now = lstatOrNull(c, s);
        if (now == null || !now.isDir()) {
          throw e;
        }
        // created concurrently: fine
      }
      if (!q.equals(dir)) {
        SftpATTRS now = c.lstat(lit(s));
        if ((now.getPermissions() & 07777) != 0755) {
          setPermissions(c, s, 0755);
        }
      }
    }
    applyMode(c, p, mode, c.lstat(lit(p)));
    LOG.debug("{}: created {} ({})", name, p, mode);
    return true;
  }

  /** Creates the link beside its path and renames it over the path. */
  void linkViaTemp(ChannelSftp c, Path link, String target) throws SftpException {
    String tmp = tempName(link);
    c.symlink(lit(target), lit(tmp));
    try {
      rename(c, tmp, link.toString());
    } catch (SftpException | RuntimeException e) {
      if (!connection.connectionGone(e)) {
        try {
          c.rm(lit(tmp));
        } catch (SftpException | RuntimeException e2) {
          LOG.debug("{}: cannot remove {}: {}", name, tmp, e2.getMessage());
        }
      }
      throw e;
    }
  }
}
