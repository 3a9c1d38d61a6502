package net.aegirj.provision.testkit;

import java.nio.file.Path;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import net.aegirj.provision.api.HostException;
import net.aegirj.provision.core.host.SyncExcludes;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.Host;

/**
 * What a {@link FakeHost#sync} copies: the tree under a
 * directory of its source host, read through the {@link Host} interface before the fake's own
 * tree is touched.
 */
final class FakeSyncSource {
  private FakeSyncSource() {}

  /** A source entry: what the synced tree must contain at a relative path. */
  record Entry(FileInfo.Type type, int permissions, byte[] bytes, String target) {}

  /**
   * @return what the synced tree must contain, by path relative to {@code dir} ({@code ""} for
   *     {@code dir} itself), sorted so that parents come before their children
   * @throws HostException when {@code dir} is not a directory of the source
   */
  static SortedMap<String, Entry> scan(Host source, Path dir, SyncExcludes excludes) {
    SortedMap<String, Entry> out = new TreeMap<>();
    Optional<FileInfo> top = source.stat(dir);
    if (top.isEmpty() || top.get().type() != FileInfo.Type.DIRECTORY) {
      throw new HostException(source.name(), "cannot sync " + dir + ": it is not a directory here");
    }
    out.put("", new Entry(FileInfo.Type.DIRECTORY, top.get().permissions(), null, null));
    scanInto(source, dir, "", excludes, out);
    return out;
  }

  private static void scanInto(Host source, Path dir, String rel, SyncExcludes excludes, SortedMap<String, Entry> out) {
    for (String child : source.list(dir)) {
      String r = rel.isEmpty() ? child : rel + "/" + child;
      if (excludes.excludes(r)) {
        continue;
      }
      Path p = dir.resolve(child);
      Optional<FileInfo> info = source.stat(p);
      if (info.isEmpty()) {
        continue;
      }
      FileInfo i = info.get();
      switch (i.type()) {
        case DIRECTORY -> {
          out.put(r, new Entry(FileInfo.Type.DIRECTORY, i.permissions(), null, null));
          scanInto(source, p, r, excludes, out);
        }
        case FILE -> out.put(r, new Entry(FileInfo.Type.FILE, i.permissions(), source.read(p).orElseThrow(), null));
        case SYMLINK -> out.put(r, new Entry(FileInfo.Type.SYMLINK, 0777, null, i.linkTarget().orElseThrow()));
        default -> {
          // sockets, pipes and devices are not synced
        }
      }
    }
  }
}
