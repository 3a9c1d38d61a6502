package net.aegirj.provision.core.host;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.SftpException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;

/**
 * One {@link SshHost#fetch}: the remote tree (listed once) is mirrored into the same local path.
 * Stale local entries go first, then directories, files (downloaded to a temporary name in their
 * directory and renamed over the target, so no local file is ever half-written) and links, in path
 * order so that parents exist before their children. Remote paths are trusted only as far as they
 * stay inside the directory: a path with {@code ..} or one whose parent is not a real local
 * directory under the root is refused.
 */
final class SshFetch {
  private static final LocalHost LOCAL = new LocalHost("local");
  private final Path dir;
  private final SortedMap<String, SshSyncPlan.Local> local;
  private final SshSyncPlan.Listing remote;
  private final SyncExcludes excludes;
  final Set<String> added = new TreeSet<>();
  final Set<String> changed = new TreeSet<>();
  final Set<String> deleted = new TreeSet<>();
  private final Set<String> replaced = new HashSet<>();

  SshFetch(Path dir, SortedMap<String, SshSyncPlan.Local> local, SshSyncPlan.Listing remote, SyncExcludes excludes) {
    this.dir = dir;
    this.local = local;
    this.remote = remote;
    this.excludes = excludes;
    for (String rel : remote.entries().keySet()) {
      checkRelative(rel);
    }
  }

  private static void checkRelative(String rel) {
    if (rel.isEmpty()) {
      return;
    }
    if (rel.startsWith("/") || rel.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("the remote listed an unsafe path: " + rel);
    }
    for (String seg : rel.split("/", -1)) {
      if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
        throw new IllegalArgumentException("the remote listed an unsafe path: " + rel);
      }
    }
  }

  private boolean skipped(String rel, SshSyncPlan.Remote r) {
    return !rel.isEmpty() && (r.pruned() || excludes.excludes(rel));
  }

  /** Removes local entries the remote does not have, or has with another type. */
  void removeStale() throws IOException {
    Set<String> removed = new HashSet<>();
    List<String> order = new ArrayList<>(local.keySet());
    for (String rel : order) {
      if (rel.isEmpty()) {
        continue;
      }
      SshSyncPlan.Remote r = remote.entries().get(rel);
      SshSyncPlan.Local l = local.get(rel);
      if (r != null && (r.pruned() || r.type() == l.type())) {
        continue;
      }
      if (removed.stream().anyMatch(a -> rel.startsWith(a + "/"))) {
        continue;
      }
      removed.add(rel);
      LOCAL.remove(dir.resolve(rel));
      if (r == null) {
        deleted.add(l.type() == 'd' ? rel + "/" : rel);
      } else {
        replaced.add(rel);
      }
    }
  }

  /**
   * Creates, downloads and links what the local tree lacks.
   *
   * @return the SFTP requests made (one per downloaded file)
   */
  int download(ChannelSftp c) throws SftpException, IOException {
    int trips = 0;
    Path realRoot = null;
    for (Map.Entry<String, SshSyncPlan.Remote> e : remote.entries().entrySet()) {
      String rel = e.getKey();
      SshSyncPlan.Remote r = e.getValue();
      if (skipped(rel, r)) {
        continue;
      }
      Path target = rel.isEmpty() ? dir : dir.resolve(rel);
      if (!rel.isEmpty()) {
        if (realRoot == null) {
          realRoot = dir.toRealPath();
        }
        Path parent = target.getParent();
        if (!Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS) || !parent.toRealPath().startsWith(realRoot)) {
          throw new IllegalStateException("refusing to write " + target + ": its directory is not a plain directory under "
              + dir);
        }
      }
      boolean present = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
      String shown = r.type() == 'd' ? (rel.isEmpty() ? "./" : rel + "/") : rel;
      switch (r.type()) {
        case 'd' -> {
          if (!present) {
            Files.createDirectories(target);
            setMode(target, r.mode());
            (replaced.contains(rel) ? changed : added).add(shown);
          } else if (mode(target) != r.mode()) {
            setMode(target, r.mode());
            changed.add(shown);
          }
        }
        case 'f' -> {
          SshSyncPlan.Local l = local.get(rel);
          boolean same = present && l != null && l.type() == 'f' && l.size() == r.size()
              && SshSyncPlan.hash(target).equals(remote.hashes().get(rel));
          if (!same) {
            Path tmp = target.resolveSibling(".tmp-fetch-" + target.getFileName());
            try (OutputStream out = Files.newOutputStream(tmp)) {
              c.get(dir + "/" + rel, out);
            } catch (SftpException | IOException ex) {
              Files.deleteIfExists(tmp);
              throw ex;
            }
            trips++;
            setMode(tmp, r.mode());
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            (present || replaced.contains(rel) ? changed : added).add(shown);
          } else if (mode(target) != r.mode()) {
            setMode(target, r.mode());
            changed.add(shown);
          }
        }
        case 'l' -> {
          String want = r.target();
          boolean same = present && Files.isSymbolicLink(target)
              && Files.readSymbolicLink(target).toString().equals(want);
          if (!same) {
            Path tmp = target.resolveSibling(".tmp-fetch-" + target.getFileName());
            Files.deleteIfExists(tmp);
            Files.createSymbolicLink(tmp, Path.of(want));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            (present || replaced.contains(rel) ? changed : added).add(shown);
          }
        }
        default -> {
          // sockets, pipes and devices are not fetched
        }
      }
    }
    return trips;
  }

  private static int mode(Path p) throws IOException {
    return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
  }

  private static void setMode(Path p, int mode) throws IOException {
    Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
  }
}
