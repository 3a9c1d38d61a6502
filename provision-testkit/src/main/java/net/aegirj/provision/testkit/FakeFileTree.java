package net.aegirj.provision.testkit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import net.aegirj.provision.api.HostException;
import net.aegirj.provision.core.host.SyncExcludes;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.SyncResult;

/**
 * The in-memory file system of a {@link FakeHost}, following the rules of {@code LocalHost}
 * (see {@link FakeHost}), and the count of the changes made to it. Paths come checked (absolute
 * and normalised). Not thread-safe: the fake guards it with its own lock.
 */
final class FakeFileTree {
  private static final Path ROOT = Path.of("/");
  private static final int MAX_LINKS = 40;

  /** One file system entry; replaced, never changed in place. */
  private record Node(FileInfo.Type type, byte[] bytes, int permissions, String owner, String group,
      String target) {
    Node withMode(int perms, String o, String g) {
      return new Node(type, bytes, perms, o, g, target);
    }

    FileInfo info() {
      long size = switch (type) {
        case FILE -> bytes.length;
        case DIRECTORY -> 4096;
        case SYMLINK -> target.getBytes(StandardCharsets.UTF_8).length;
        case OTHER -> 0;
      };
      return new FileInfo(type, permissions, owner, group, size,
          type == FileInfo.Type.SYMLINK ? Optional.of(target) : Optional.empty());
    }
  }

  private final String name;
  private final Map<Path, Node> nodes = new HashMap<>();
  private String owner = "aegir";
  private String group = "aegir";
  private int writes;

  /** @param name the host's name for messages */
  FakeFileTree(String name) {
    this.name = name;
    reset();
  }

  /** Sets who owns new entries. */
  void defaultOwner(String owner, String group) {
    this.owner = Objects.requireNonNull(owner, "owner");
    this.group = Objects.requireNonNull(group, "group");
  }

  /** @return how many mutating operations changed something */
  int writes() {
    return writes;
  }

  /** Zeroes {@link #writes()}. */
  void clearWrites() {
    writes = 0;
  }

  /** Empties the file system: only {@code /} remains. */
  void reset() {
    nodes.clear();
    nodes.put(ROOT, directory(0755, "root", "root"));
  }

  private static Node directory(int perms, String owner, String group) {
    return new Node(FileInfo.Type.DIRECTORY, null, perms, owner, group, null);
  }

  /**
   * Follows symbolic links in the middle of a path (and at its end when asked), as the kernel
   * does; components that do not exist are kept as they are.
   */
  private Path resolve(Path path, boolean followLast) {
    Path p = path;
    int hops = 0;
    restart:
    while (true) {
      Path cur = ROOT;
      int n = p.getNameCount();
      for (int i = 0; i < n; i++) {
        Path next = cur.resolve(p.getName(i));
        Node node = nodes.get(next);
        boolean last = i == n - 1;
        if (node != null && node.type() == FileInfo.Type.SYMLINK && (!last || followLast)) {
          if (++hops > MAX_LINKS) {
            throw new HostException(name, "too many levels of symbolic links: " + path);
          }
          Path target = cur.resolve(node.target()).normalize();
          Path rest = last ? target : target.resolve(p.subpath(i + 1, n));
          p = rest.normalize();
          continue restart;
        }
        cur = next;
      }
      return cur;
    }
  }

  /** @return the entry itself (a final link is not followed), if any */
  Optional<FileInfo> stat(Path path) {
    return Optional.ofNullable(nodes.get(resolve(path, false))).map(Node::info);
  }

  /** @return the file's bytes (links followed), if any */
  Optional<byte[]> read(Path path) {
    Node node = nodes.get(resolve(path, true));
    if (node == null) {
      return Optional.empty();
    }
    if (node.type() != FileInfo.Type.FILE) {
      throw new HostException(name, "cannot read " + path + ": it is a " + typeName(node));
    }
    return Optional.of(node.bytes().clone());
  }

  private static String typeName(Node node) {
    return node.type().name().toLowerCase(Locale.ROOT);
  }

  /** The group a new entry in {@code parent} gets: the parent's when it is setgid. */
  private String newGroup(Node parent) {
    return (parent.permissions() & 02000) != 0 ? parent.group() : group;
  }

  private Node parentDirectory(Path p, String what, Path asked) {
    Node parent = nodes.get(p.getParent());
    if (parent == null || parent.type() != FileInfo.Type.DIRECTORY) {
      throw new HostException(name, "cannot " + what + " " + asked + ": parent directory " + p.getParent()
          + (parent == null ? " does not exist" : " is a " + typeName(parent)));
    }
    return parent;
  }

  /** Writes a file, as {@link FakeHost#write} describes. */
  boolean write(Path path, byte[] content, FileMode mode) {
    Path p = resolve(path, false);
    Node old = nodes.get(p);
    if (old != null && old.type() != FileInfo.Type.FILE) {
      throw new HostException(name, "cannot write " + path + ": it is a " + typeName(old));
    }
    Node parent = parentDirectory(p, "write", path);
    Node next;
    if (old != null && Arrays.equals(old.bytes(), content)) {
      next = old.withMode(mode.permissions(), mode.owner().orElse(old.owner()), mode.group().orElse(old.group()));
    } else {
      // A real host writes a new file and renames it over the old one: a new owner and group.
      next = new Node(FileInfo.Type.FILE, content.clone(), mode.permissions(), mode.owner().orElse(owner),
          mode.group().orElse(newGroup(parent)), null);
    }
    return put(p, old, next);
  }

  /** Stores an entry; counts and reports a change when it differs from the old one. */
  private boolean put(Path p, Node old, Node next) {
    if (store(p, old, next)) {
      writes++;
      return true;
    }
    return false;
  }

  /** Stores an entry when it differs from the old one, without counting. */
  private boolean store(Path p, Node old, Node next) {
    if (old != null && old.type() == next.type() && old.permissions() == next.permissions()
        && old.owner().equals(next.owner()) && old.group().equals(next.group())
        && Arrays.equals(old.bytes(), next.bytes()) && Objects.equals(old.target(), next.target())) {
      return false;
    }
    nodes.put(p, next);
    return true;
  }

  /**
   * Creates the missing directories down to {@code p} (resolved): {@code p} itself with
   * {@code mode}, the others with 0755, without counting.
   */
  private void createDirectories(Path p, FileMode mode, Path asked) {
    List<Path> missing = new ArrayList<>();
    Path q = p;
    while (nodes.get(q) == null) {
      missing.add(0, q);
      q = q.getParent();
    }
    Node existing = nodes.get(q);
    if (existing.type() != FileInfo.Type.DIRECTORY) {
      throw new HostException(name, "cannot create directory " + asked + ": " + q + " is a "
          + typeName(existing));
    }
    Node parent = existing;
    for (Path m : missing) {
      boolean target = m.equals(p);
      Node created = directory(target ? mode.permissions() : 0755,
          target ? mode.owner().orElse(owner) : owner,
          target ? mode.group().orElse(newGroup(parent)) : newGroup(parent));
      nodes.put(m, created);
      parent = created;
    }
  }

  /** Creates a directory and its missing parents, as {@link FakeHost#mkdirs} describes. */
  boolean mkdirs(Path dir, FileMode mode) {
    Path p = resolve(dir, false);
    Node old = nodes.get(p);
    if (old != null) {
      if (old.type() != FileInfo.Type.DIRECTORY) {
        throw new HostException(name, "cannot create directory " + dir + ": a " + typeName(old)
            + " is in the way");
      }
      return put(p, old, old.withMode(mode.permissions(), mode.owner().orElse(old.owner()),
          mode.group().orElse(old.group())));
    }
    createDirectories(p, mode, dir);
    writes++;
    return true;
  }

  /** Creates or replaces a link, as {@link FakeHost#symlink} describes; the target is checked. */
  boolean symlink(Path link, String target) {
    Path p = resolve(link, false);
    Node old = nodes.get(p);
    if (old != null) {
      if (old.type() == FileInfo.Type.SYMLINK && old.target().equals(target)) {
        return false;
      }
      if (old.type() == FileInfo.Type.DIRECTORY) {
        throw new HostException(name, "cannot link " + link + ": a directory is in the way");
      }
    }
    Node parent = parentDirectory(p, "link", link);
    return put(p, old, new Node(FileInfo.Type.SYMLINK, null, 0777, owner, newGroup(parent), target));
  }

  /** Moves an entry and everything under it, as {@link FakeHost#rename} describes. */
  boolean rename(Path from, Path to) {
    Path f = resolve(from, false);
    Path t = resolve(to, false);
    if (!nodes.containsKey(f)) {
      return false;
    }
    if (nodes.containsKey(t)) {
      throw new HostException(name, "cannot rename " + from + " to " + to + ": the target exists");
    }
    if (t.startsWith(f)) {
      throw new HostException(name, "cannot rename " + from + " into itself");
    }
    parentDirectory(t, "rename", to);
    Map<Path, Node> moved = new HashMap<>();
    for (Iterator<Map.Entry<Path, Node>> it = nodes.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Path, Node> e = it.next();
      if (e.getKey().startsWith(f)) {
        moved.put(t.resolve(f.relativize(e.getKey())), e.getValue());
        it.remove();
      }
    }
    nodes.putAll(moved);
    writes++;
    return true;
  }

  /** Removes an entry and everything under it; the path is not {@code /}. */
  boolean remove(Path path) {
    Path p = resolve(path, false);
    Node old = nodes.get(p);
    if (old == null) {
      return false;
    }
    if (old.type() == FileInfo.Type.DIRECTORY) {
      nodes.keySet().removeIf(k -> k.startsWith(p));
    } else {
      nodes.remove(p);
    }
    writes++;
    return true;
  }

  /** @return the names in a directory, sorted; none when it is not one */
  List<String> list(Path dir) {
    Path p = resolve(dir, false);
    Node node = nodes.get(p);
    if (node == null || node.type() != FileInfo.Type.DIRECTORY) {
      return List.of();
    }
    return children(p);
  }

  private List<String> children(Path p) {
    List<String> out = new ArrayList<>();
    for (Path k : nodes.keySet()) {
      if (p.equals(k.getParent())) {
        out.add(k.getFileName().toString());
      }
    }
    Collections.sort(out);
    return out;
  }

  /**
   * Makes the tree under {@code dir} what the source has, leaving excluded paths alone.
   *
   * @return what changed
   */
  SyncResult apply(Path dir, SortedMap<String, FakeSyncSource.Entry> wanted, SyncExcludes excludes) {
    List<String> added = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    List<String> deleted = new ArrayList<>();
    Path top = resolve(dir, false);
    Node topNode = nodes.get(top);
    if (topNode != null && topNode.type() != FileInfo.Type.DIRECTORY) {
      throw new HostException(name, "cannot sync " + dir + ": it is a " + typeName(topNode));
    }
    if (topNode == null && top.getParent() != null && !nodes.containsKey(top.getParent())) {
      createDirectories(top.getParent(), FileMode.of(0755), dir);
    }
    // Remove what the source does not have, deepest first; excluded paths stay, and so do the
    // directories that hold them.
    List<Path> present = new ArrayList<>();
    for (Path k : nodes.keySet()) {
      if (k.startsWith(top) && !k.equals(top)) {
        present.add(k);
      }
    }
    present.sort(Collections.reverseOrder());
    for (Path k : present) {
      String rel = top.relativize(k).toString();
      Node have = nodes.get(k);
      if (have == null || excludes.excludes(rel)) {
        continue;
      }
      FakeSyncSource.Entry want = wanted.get(rel);
      if (want != null && want.type() == have.type()) {
        continue;
      }
      if (have.type() == FileInfo.Type.DIRECTORY) {
        if (want == null && !children(k).isEmpty()) {
          continue;
        }
        nodes.keySet().removeIf(x -> x.startsWith(k));
        deleted.add(rel + "/");
      } else {
        nodes.remove(k);
        deleted.add(rel);
      }
    }
    // Add and replace, parents first: in the sorted map "a" comes before "a/b".
    for (Map.Entry<String, FakeSyncSource.Entry> e : wanted.entrySet()) {
      String rel = e.getKey();
      FakeSyncSource.Entry want = e.getValue();
      Path k = rel.isEmpty() ? top : top.resolve(rel);
      Node have = nodes.get(k);
      Node parent = nodes.get(k.getParent());
      String g = have != null ? have.group() : parent == null ? group : newGroup(parent);
      String o = have != null ? have.owner() : owner;
      Node next = switch (want.type()) {
        case DIRECTORY -> new Node(FileInfo.Type.DIRECTORY, null, want.permissions(), o, g, null);
        case FILE -> new Node(FileInfo.Type.FILE, want.bytes().clone(), want.permissions(), o, g, null);
        default -> new Node(FileInfo.Type.SYMLINK, null, 0777, o, g, want.target());
      };
      String shown = rel.isEmpty() ? "./" : want.type() == FileInfo.Type.DIRECTORY ? rel + "/" : rel;
      if (have == null) {
        nodes.put(k, next);
        added.add(shown);
      } else if (store(k, have, next)) {
        changed.add(shown);
      }
    }
    SyncResult r = new SyncResult(added, changed, deleted, 1);
    if (r.changedAnything()) {
      writes++;
    }
    return r;
  }

  /** @return every regular file, by absolute path, with its content as UTF-8 text, sorted */
  SortedMap<String, String> files() {
    SortedMap<String, String> out = new TreeMap<>();
    nodes.forEach((p, n) -> {
      if (n.type() == FileInfo.Type.FILE) {
        out.put(p.toString(), new String(n.bytes(), StandardCharsets.UTF_8));
      }
    });
    return Collections.unmodifiableSortedMap(out);
  }

  /**
   * @return the permissions of every file, directory and link except {@code /}, by absolute path,
   *     as four octal digits (e.g. {@code 0711}, {@code 02770}), sorted
   */
  SortedMap<String, String> modes() {
    SortedMap<String, String> out = new TreeMap<>();
    nodes.forEach((p, n) -> {
      if (!p.equals(ROOT)) {
        out.put(p.toString(), FileMode.of(n.permissions()).octal());
      }
    });
    return Collections.unmodifiableSortedMap(out);
  }

  /** @return every directory except {@code /}, sorted */
  SortedSet<String> directories() {
    SortedSet<String> out = new TreeSet<>();
    nodes.forEach((p, n) -> {
      if (n.type() == FileInfo.Type.DIRECTORY && !p.equals(ROOT)) {
        out.add(p.toString());
      }
    });
    return Collections.unmodifiableSortedSet(out);
  }

  /** @return every symbolic link with its target, sorted */
  SortedMap<String, String> links() {
    SortedMap<String, String> out = new TreeMap<>();
    nodes.forEach((p, n) -> {
      if (n.type() == FileInfo.Type.SYMLINK) {
        out.put(p.toString(), n.target());
      }
    });
    return Collections.unmodifiableSortedMap(out);
  }

  /**
   * The whole file system in one comparable value: every entry except {@code /} with its type,
   * permissions, owner, group and content or target, e.g. {@code d 0711 aegir:aegir} or
   * {@code f 0644 aegir:aegir <?php ...}. Two equal snapshots mean nothing changed.
   *
   * @return the entries by absolute path, sorted
   */
  SortedMap<String, String> snapshot() {
    SortedMap<String, String> out = new TreeMap<>();
    nodes.forEach((p, n) -> {
      if (p.equals(ROOT)) {
        return;
      }
      String head = FileMode.of(n.permissions()).octal() + " " + n.owner() + ":" + n.group();
      out.put(p.toString(), switch (n.type()) {
        case FILE -> "f " + head + " " + new String(n.bytes(), StandardCharsets.UTF_8);
        case DIRECTORY -> "d " + head;
        case SYMLINK -> "l " + head + " -> " + n.target();
        case OTHER -> "o " + head;
      });
    });
    return Collections.unmodifiableSortedMap(out);
  }
}
