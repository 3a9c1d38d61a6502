package net.aegirj.provision.core.host;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import net.aegirj.provision.spi.FileInfo;

/**
 * What the last {@link SshProbe} of an {@link SshHost} found, kept valid through the host's own
 * changes: every path the host changes (and, for a removal or a rename, its tree) is forgotten, so
 * the next question about it goes to the server again. Thread-safe.
 */
final class SshStateCache {
  /** What the cache knows about a path. */
  enum Known { UNKNOWN, ABSENT, PRESENT }

  /** The answer for one path: {@code entry} is set when {@code known} is {@code PRESENT}. */
  record Lookup(Known known, SshProbe.Entry entry) {
    static final Lookup UNKNOWN = new Lookup(Known.UNKNOWN, null);
    static final Lookup ABSENT = new Lookup(Known.ABSENT, null);
  }

  private Set<String> roots = Set.of();
  /** Sorted, so that a tree's entries are one range (see {@link #rangeEnd}). */
  private NavigableMap<String, SshProbe.Entry> entries = new TreeMap<>();
  private Set<String> opaque = Set.of();
  private Map<String, FileInfo> parents = Map.of();
  private String group;
  /** Contents read or written during the batch, with their hash: answered again while the hash holds. */
  private final Map<String, SshProbe.Entry> contents = new HashMap<>();
  private final Map<String, byte[]> contentBytes = new HashMap<>();
  private long contentSize;
  /** The most content bytes kept. */
  static final long MAX_CONTENT = 16 << 20;
  private final NavigableSet<String> forgotten = new TreeSet<>();
  private final Set<String> forgottenTrees = new HashSet<>();

  /** Replaces what is known with a new probe's findings. */
  synchronized void load(SshProbe.Snapshot s) {
    roots = s.roots();
    entries = new TreeMap<>(s.entries());
    opaque = s.opaque();
    parents = s.parents();
    group = s.group();
    dropContents();
    forgotten.clear();
    forgottenTrees.clear();
  }

  /** Forgets everything. */
  synchronized void clear() {
    roots = Set.of();
    entries = new TreeMap<>();
    opaque = Set.of();
    parents = Map.of();
    group = null;
    dropContents();
    forgotten.clear();
    forgottenTrees.clear();
  }

  private void dropContents() {
    contents.clear();
    contentBytes.clear();
    contentSize = 0;
  }

  /**
   * Keeps a file's bytes while its known state is the one they hash to.
   *
   * @param p the file
   * @param bytes its content, as read or as held back to be written
   * @param sha256 their hash
   */
  synchronized void remember(String p, byte[] bytes, String sha256) {
    Lookup l = lookup(p);
    if (l.known() != Known.PRESENT || !sha256.equals(l.entry().sha256()) || contentSize + bytes.length > MAX_CONTENT
        || contents.containsKey(p)) {
      return;
    }
    contents.put(p, l.entry());
    contentBytes.put(p, bytes.clone());
    contentSize += bytes.length;
  }

  /** @return the bytes of a file kept by {@link #remember}, while its known state is still the same */
  synchronized Optional<byte[]> content(String p) {
    Lookup l = lookup(p);
    SshProbe.Entry kept = contents.get(p);
    if (kept == null || l.known() != Known.PRESENT || l.entry() != kept) {
      return Optional.empty();
    }
    return Optional.of(contentBytes.get(p).clone());
  }

  /** @return the remote user's primary group, when a probe said */
  synchronized Optional<String> group() {
    return Optional.ofNullable(group);
  }

  /**
   * @param p a path
   * @return whether the path is known to be a directory: probed, or the parent of a probed root
   */
  synchronized boolean knownDirectory(String p) {
    return knownInfo(p).filter(i -> i.type() == FileInfo.Type.DIRECTORY).isPresent();
  }

  /**
   * @param p a path
   * @return its state when known: probed, or the parent of a probed root
   */
  synchronized Optional<FileInfo> knownInfo(String p) {
    Lookup l = lookup(p);
    if (l.known() == Known.PRESENT) {
      return Optional.of(l.entry().info());
    }
    if (l.known() == Known.UNKNOWN && !forgotten.contains(p) && !forgottenBelow(p)) {
      return Optional.ofNullable(parents.get(p));
    }
    return Optional.empty();
  }

  private boolean forgottenBelow(String p) {
    for (Path q = Path.of(p); q != null; q = q.getParent()) {
      if (forgottenTrees.contains(q.toString())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Records what a path will be once the host's pending changes are applied: the host itself
   * made it so, so it is known again.
   */
  synchronized void put(String p, SshProbe.Entry e) {
    if (roots.isEmpty()) {
      return;
    }
    forgotten.remove(p);
    entries.put(p, e);
    byte[] old = contentBytes.remove(p);
    if (old != null) {
      contents.remove(p);
      contentSize -= old.length;
    }
  }

  /** @return whether nothing is known */
  synchronized boolean isEmpty() {
    return roots.isEmpty();
  }

  /** @return what is known about a path (absolute, normalised) */
  synchronized Lookup lookup(String p) {
    if (roots.isEmpty() || forgotten.contains(p) || !covered(p)) {
      return Lookup.UNKNOWN;
    }
    SshProbe.Entry e = entries.get(p);
    return e == null ? Lookup.ABSENT : new Lookup(Known.PRESENT, e);
  }

  /** @return whether the path is under a probed root and under nothing forgotten */
  private boolean covered(String p) {
    boolean inRoot = false;
    for (Path q = Path.of(p); q != null; q = q.getParent()) {
      String s = q.toString();
      if (forgottenTrees.contains(s)) {
        return false;
      }
      inRoot |= roots.contains(s);
    }
    return inRoot;
  }

  /** Forgets a path the host changed, and its parents (which a mkdirs may have created). */
  synchronized void forget(String p) {
    if (roots.isEmpty()) {
      return;
    }
    for (Path q = Path.of(p); q != null; q = q.getParent()) {
      forgotten.add(q.toString());
      entries.remove(q.toString());
    }
  }

  /** Forgets a path and everything under it (removed, renamed, synced). */
  synchronized void forgetTree(String p) {
    if (roots.isEmpty()) {
      return;
    }
    forget(p);
    forgottenTrees.add(p);
  }

  /**
   * The remote side of a sync from what is known, when the whole tree is known with the hash of
   * each regular file that also exists locally; else empty (the sync lists the tree itself).
   *
   * @param dir the synced directory
   * @param prunable relative paths whose content is left out (marked pruned)
   * @param localFiles the relative paths of the local regular files
   * @return the listing the sync's own command would have printed
   */
  synchronized Optional<SshSyncPlan.Listing> listing(String dir, Set<String> prunable, Set<String> localFiles) {
    Lookup top = lookup(dir);
    if (top.known() == Known.UNKNOWN) {
      return Optional.empty();
    }
    for (String o : opaque) {
      if (SshProbe.isUnder(o, dir) || SshProbe.isUnder(dir, o)) {
        return Optional.empty();
      }
    }
    if (!below(forgotten, dir).isEmpty()) {
      return Optional.empty(); // something in the tree changed since the probe
    }
    if (top.known() == Known.ABSENT) {
      return Optional.of(new SshSyncPlan.Listing(false, new TreeMap<>(), Map.of()));
    }
    if (top.entry().info().type() != FileInfo.Type.DIRECTORY) {
      return Optional.empty(); // the sync's own listing says what is wrong
    }
    SortedMap<String, SshSyncPlan.Remote> out = new TreeMap<>();
    Map<String, String> hashes = new HashMap<>();
    String prefix = dir + "/";
    for (Map.Entry<String, SshProbe.Entry> e : entries.subMap(dir, true, rangeEnd(dir), false).entrySet()) {
      String p = e.getKey();
      if (!SshProbe.isUnder(p, dir)) {
        continue; // a sibling whose name goes on from dir's ("dir-old")
      }
      String rel = p.equals(dir) ? "" : p.substring(prefix.length());
      String prunedAt = prunedAt(rel, prunable);
      if (prunedAt != null && !prunedAt.equals(rel)) {
        continue; // inside a pruned directory: not listed
      }
      FileInfo info = e.getValue().info();
      char type = switch (info.type()) {
        case FILE -> 'f';
        case DIRECTORY -> 'd';
        case SYMLINK -> 'l';
        default -> 'o';
      };
      boolean pruned = prunedAt != null;
      out.put(rel, new SshSyncPlan.Remote(type, info.permissions(), info.size(),
          pruned ? null : info.linkTarget().orElse(null), pruned));
      if (!pruned && type == 'f' && localFiles.contains(rel)) {
        if (e.getValue().sha256() == null) {
          return Optional.empty(); // too large to have been hashed: the sync hashes it
        }
        hashes.put(rel, e.getValue().sha256());
      }
    }
    return Optional.of(new SshSyncPlan.Listing(true, out, hashes));
  }

  /** @return the paths strictly inside {@code dir}: those starting with {@code dir/}, one range of the sorted set */
  private static NavigableSet<String> below(NavigableSet<String> paths, String dir) {
    return paths.subSet(dir.equals("/") ? dir : dir + "/", !dir.equals("/"), rangeEnd(dir), false);
  }

  /**
   * @return the first string after every path inside {@code dir}: {@code dir0}, since {@code '0'}
   *     follows {@code '/'}
   */
  private static String rangeEnd(String dir) {
    return dir.equals("/") ? "0" : dir + '0';
  }

  /** @return the prunable prefix that {@code rel} is or is inside, or null */
  private static String prunedAt(String rel, Set<String> prunable) {
    for (String p : prunable) {
      if (rel.equals(p) || rel.startsWith(p + "/")) {
        return p;
      }
    }
    return null;
  }
}
