package net.aegirj.provision.spi;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.api.HostException;

/**
 * A machine that steps work on: the local one, or a server over SSH. Paths are absolute and mean
 * the same on every host (Aegir mirrors paths 1:1). Every mutating operation changes only what
 * differs and says whether it changed anything, so that a task run twice changes nothing the
 * second time. Failures are {@link HostException}s naming the host and the operation.
 */
public interface Host extends AutoCloseable {
  /** @return the host's name for messages: the server name and its address */
  String name();

  /** @return true for the machine Provision runs on */
  boolean isLocal();

  /**
   * @param path a path
   * @return what is at the path (not following a final symlink), or empty when nothing is
   */
  Optional<FileInfo> stat(Path path);

  /**
   * @param path a regular file
   * @return its bytes, or empty when it does not exist
   */
  Optional<byte[]> read(Path path);

  /**
   * Writes a file if its bytes or mode differ: to a temporary name in the same directory, then
   * renamed, so readers never see a partial file. The parent directory must exist.
   *
   * @param path the file
   * @param content its bytes
   * @param mode its permissions, and owner and group where given
   * @return true when anything changed
   */
  boolean write(Path path, byte[] content, FileMode mode);

  /**
   * Creates a directory and its missing parents, and gives the directory itself the mode (parents
   * that had to be created get 0755).
   *
   * @param dir the directory
   * @param mode its permissions, and owner and group where given
   * @return true when anything changed
   */
  boolean mkdirs(Path dir, FileMode mode);

  /**
   * Points a symbolic link at a target, replacing a link that points elsewhere.
   *
   * @param link the link
   * @param target what it points to
   * @return true when anything changed
   */
  boolean symlink(Path link, String target);

  /**
   * Removes a file, a link or a directory tree.
   *
   * @param path the path
   * @return true when something was removed
   */
  boolean remove(Path path);

  /**
   * @param dir a directory
   * @return the names of its entries, sorted; empty when it does not exist
   */
  List<String> list(Path dir);

  /**
   * Runs a command and waits for it, within its timeout.
   *
   * @param command the command
   * @return its result, whatever its exit status
   * @throws HostCommandException when it timed out or could not start
   */
  CommandResult run(Command command);

  /**
   * Makes the tree under {@code dir} on this host equal to the same tree on the local machine:
   * adds and replaces files that differ (by size and content hash), removes what is not there
   * locally, keeps modes. Paths matching {@code excludes} (relative, {@code *} and {@code **}
   * globs) are neither sent nor deleted.
   *
   * @param dir a local directory; the same path on this host receives it
   * @param excludes relative globs to leave alone
   * @return what changed
   */
  SyncResult sync(Path dir, Set<String> excludes);

  /**
   * Renames a file, link or directory within one file system, in one atomic step. The task
   * engine uses it to set removed directories and large files aside until the task has
   * succeeded, so that a rollback can put them back.
   *
   * <p>This default checks both paths and runs {@code mv -T}; hosts override it with their own
   * rename.
   *
   * @param from an existing path
   * @param to a path that does not exist, normally in the same directory
   * @return false when {@code from} does not exist (nothing happened)
   * @throws HostException when {@code to} exists or the rename fails
   */
  default boolean rename(Path from, Path to) {
    if (stat(from).isEmpty()) {
      return false;
    }
    if (stat(to).isPresent()) {
      throw new HostException(name(), "cannot rename " + from + " to " + to + ": the target exists");
    }
    run(Command.of("mv", "-T", "--", from.toString(), to.toString())).orThrow();
    return true;
  }

  /**
   * The reverse of {@link #sync}: makes the tree under {@code dir} on the local machine equal to
   * the same tree on this host (files that differ by size or content hash are copied, local
   * entries missing here are removed, modes are kept). Used where the remote copy is
   * authoritative, such as a site's {@code files/} on its web server before a backup. Nothing
   * happens when {@code dir} does not exist on this host. On a local host the two trees are the
   * same, so this default does nothing.
   *
   * @param dir a directory on this host; the same local path receives it
   * @param excludes relative globs to leave alone on both sides
   * @return what changed locally ({@code added}, {@code changed}, {@code deleted})
   * @throws HostException when the trees cannot be read or written
   */
  default SyncResult fetch(Path dir, Set<String> excludes) {
    if (isLocal()) {
      return new SyncResult(List.of(), List.of(), List.of(), 0);
    }
    throw new HostException(name(), "cannot fetch " + dir
        + ": this host does not support fetching");
  }

  /**
   * Gathers the state of everything under the given paths (each path and, for a directory, its
   * whole tree) in one go, so that the checks the following steps make there ({@link #stat},
   * {@link #contentEquals}, whether a write or a mode change is needed) cost no exchange with a
   * remote machine. The host keeps what it gathered valid through its own changes and forgets it
   * when it runs a command or is closed. The task engine calls this once per batch, before the
   * batch's steps run, with the paths the service types declare; an optimisation only, so a host
   * may ignore it, as this default does.
   *
   * @param roots absolute paths on this host; missing ones are recorded as missing
   * @throws HostException when the state cannot be gathered (the caller may go on without it)
   */
  default void prefetch(Collection<Path> roots) {
    // nothing to gather: every check goes to the file system
  }

  /**
   * Applies the changes this host held back since {@link #prefetch} (a remote host sends a
   * batch's small files and directories as one stream) and stops holding changes back. Every
   * other exchange applies them first, so steps and their rollbacks always see their own
   * changes; the task engine calls this when a batch's steps have run, so that a failure to apply
   * them fails the batch. This default holds nothing back.
   *
   * @throws HostException when the held-back changes, or an earlier attempt to apply them, failed
   */
  default void flush() {
    // nothing held back
  }

  /**
   * Whether a regular file holds exactly these bytes. A host that knows the file's SHA-256 (from
   * {@link #prefetch}) answers without reading it; this default reads it.
   *
   * @param path a path
   * @param content the bytes to compare with
   * @return true when the path is a regular file with exactly these bytes
   */
  default boolean contentEquals(Path path, byte[] content) {
    return stat(path).filter(i -> i.type() == FileInfo.Type.FILE && i.size() == content.length).isPresent()
        && read(path).map(b -> Arrays.equals(b, content)).orElse(false);
  }

  /**
   * Re-opens a connection that was lost, so that what a failed task changed here can be rolled
   * back. Operations never reconnect by themselves (an operation that saw the connection drop
   * fails, and so do the ones after it); the task engine calls this once before a rollback.
   *
   * @return true when the host had lost its connection and will connect again on next use
   */
  default boolean reconnect() {
    return false;
  }

  /** Releases the connection, if any. */
  @Override
  void close();
}
