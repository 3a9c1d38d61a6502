package net.aegirj.provision.core.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import net.aegirj.provision.spi.Command;

/**
 * What a sync must do: the local tree, the remote listing (one command that prints type, mode,
 * size and path of every entry and the SHA-256 of the files that also exist locally), and the
 * difference. Relative paths use {@code /}; the synced directory itself is {@code ""}. In reports,
 * directories carry a trailing {@code /} and the synced directory is {@code ./}.
 */
final class SshSyncPlan {
  /** Remote listings of huge trees take a while (they hash what exists locally). */
  static final Duration LIST_TIMEOUT = Duration.ofMinutes(30);

  /**
   * {@code $1} the directory; the rest: find's prune expressions. Prints nothing when the
   * directory does not exist; else {@code ok}, the entries, {@code hashes} and then sha256sum's
   * lines for the NUL-separated {@code ./relpath}s read from standard input. Records end in NUL.
   */
  static final String LIST_SCRIPT = String.join("\n",
      "d=$1; shift",
      "if [ -d \"$d\" ]; then :",
      "elif [ -e \"$d\" ] || [ -L \"$d\" ]; then echo \"not a directory: $d\" >&2; exit 3",
      "else exit 0; fi",
      "cd -- \"$d\" || exit 4",
      "printf 'ok\\0'",
      "find . \"$@\" \\( -type l -printf 'l %m %s %P\\0%l\\0' \\) -o -printf '%y %m %s %P\\0' || exit 5",
      "printf 'hashes\\0'",
      "xargs -0 -r sha256sum -z -- 2>/dev/null",
      "exit 0");

  /** A local entry: type {@code d}, {@code f} or {@code l}. */
  record Local(char type, int mode, long size, Path file, String target) {}

  /** A remote entry: type as find's {@code %y}; pruned when its content was not listed. */
  record Remote(char type, int mode, long size, String target, boolean pruned) {}

  /** The remote side: whether the directory exists, its entries and the hashes of its files. */
  record Listing(boolean exists, SortedMap<String, Remote> entries, Map<String, String> hashes) {}

  private SshSyncPlan() {}

  /**
   * @param root the local directory
   * @param excludes what to leave out
   * @return every non-excluded directory, regular file and symlink, by relative path
   * @throws IOException when the tree cannot be read
   */
  static SortedMap<String, Local> scanLocal(Path root, SyncExcludes excludes) throws IOException {
    Path real = root.toRealPath();
    SortedMap<String, Local> out = new TreeMap<>();
    Files.walkFileTree(real, EnumSet.noneOf(FileVisitOption.class), Integer.MAX_VALUE,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
            String rel = rel(real, dir);
            if (excludes.excludes(rel)) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            out.put(rel, new Local('d', mode(dir), 0, dir, null));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            String rel = rel(real, file);
            if (excludes.excludes(rel)) {
              return FileVisitResult.CONTINUE;
            }
            if (attrs.isSymbolicLink()) {
              out.put(rel, new Local('l', 0777, 0, file, Files.readSymbolicLink(file).toString()));
            } else if (attrs.isRegularFile()) {
              out.put(rel, new Local('f', mode(file), attrs.size(), file, null));
            }
            // sockets, pipes, devices are not synced
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
            throw exc;
          }
        });
    return out;
  }

  private static String rel(Path root, Path p) {
    return root.relativize(p).toString();
  }

  private static int mode(Path p) throws IOException {
    return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
  }

  /**
   * @param dir the directory (the same path remotely)
   * @param excludes the excludes (their literal prefixes are pruned)
   * @param local the local tree (its files are hashed remotely)
   * @return the one command that lists the remote tree
   */
  static Command listCommand(Path dir, SyncExcludes excludes, SortedMap<String, Local> local) {
    List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", LIST_SCRIPT, "sh", dir.toString()));
    for (String prefix : excludes.prunable()) {
      argv.addAll(List.of("-path", "./" + SshShell.fnmatchLiteral(prefix), "-prune",
          "-printf", "x%y %m %s %P\\0", "-o"));
    }
    StringBuilder in = new StringBuilder();
    for (Map.Entry<String, Local> e : local.entrySet()) {
      if (e.getValue().type() == 'f') {
        in.append("./").append(e.getKey()).append('\0');
      }
    }
    return Command.of(argv).withTimeout(LIST_TIMEOUT)
        .withStdin(in.toString().getBytes(StandardCharsets.UTF_8))
        .withDisplay("list " + dir + " for sync");
  }

  /**
   * @param out the listing command's standard output
   * @return the remote tree
   * @throws IllegalArgumentException when the output is not what the script prints
   */
  static Listing parse(String out) {
    SortedMap<String, Remote> entries = new TreeMap<>();
    Map<String, String> hashes = new HashMap<>();
    if (out.isEmpty()) {
      return new Listing(false, entries, hashes);
    }
    String[] t = out.split("\0", -1);
    int i = 0;
    if (!t[i++].equals("ok")) {
      throw new IllegalArgumentException("unexpected listing output");
    }
    while (i < t.length && !t[i].equals("hashes")) {
      String rec = t[i++];
      String[] f = rec.split(" ", 4);
      if (f.length != 4 || f[0].isEmpty()) {
        throw new IllegalArgumentException("unexpected listing record: " + rec);
      }
      boolean pruned = f[0].charAt(0) == 'x';
      char type = pruned ? (f[0].length() > 1 ? f[0].charAt(1) : '?') : f[0].charAt(0);
      String target = null;
      if (!pruned && type == 'l') {
        if (i >= t.length) {
          throw new IllegalArgumentException("listing truncated");
        }
        target = t[i++];
      }
      entries.put(f[3], new Remote(type, Integer.parseInt(f[1], 8), Long.parseLong(f[2]), target, pruned));
    }
    if (i >= t.length) {
      throw new IllegalArgumentException("listing truncated");
    }
    i++; // "hashes"
    for (; i < t.length; i++) {
      String h = t[i];
      if (h.isEmpty()) {
        continue;
      }
      // "<64 hex><space><space or *>./relpath"
      if (h.length() < 68 || !h.startsWith("./", 66)) {
        throw new IllegalArgumentException("unexpected hash record: " + h);
      }
      hashes.put(h.substring(68), h.substring(0, 64));
    }
    return new Listing(true, entries, hashes);
  }

  /** What to do, in order: root, deletions, directories, files, links, modes. */
  static final class Plan {
    boolean createRoot;
    int rootMode;
    Integer chmodRoot;
    /** Top-most remote paths to remove (rm -rf). */
    final List<String> removeTop = new ArrayList<>();
    /** Directories to create, parents first, with their modes. */
    final Map<String, Integer> mkdirs = new LinkedHashMap<>();
    /** Files to upload. */
    final List<String> uploads = new ArrayList<>();
    /** Links to create or replace, with their targets. */
    final Map<String, String> links = new LinkedHashMap<>();
    /** Existing files and directories whose permissions differ. */
    final Map<String, Integer> chmods = new LinkedHashMap<>();
    final Set<String> added = new TreeSet<>();
    final Set<String> changed = new TreeSet<>();
    final Set<String> deleted = new TreeSet<>();
  }

  private static String report(String rel, char type) {
    if (rel.isEmpty()) {
      return "./";
    }
    return type == 'd' ? rel + "/" : rel;
  }

  private static List<String> ancestors(String rel) {
    List<String> out = new ArrayList<>();
    for (int i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
      out.add(rel.substring(0, i));
    }
    return out;
  }

  /**
   * @param local the local tree
   * @param remote the remote tree
   * @param excludes what to leave alone
   * @return the plan
   * @throws IllegalStateException when a local file would replace a remote directory that holds
   *     excluded content
   * @throws UncheckedIOException when a local file cannot be hashed
   */
  static Plan plan(SortedMap<String, Local> local, Listing remote, SyncExcludes excludes) {
    Plan plan = new Plan();
    Local root = local.get("");
    SortedMap<String, Remote> r = remote.entries();
    Remote remoteRoot = r.get("");
    if (!remote.exists() || remoteRoot == null) {
      plan.createRoot = true;
      plan.rootMode = root.mode();
      plan.added.add("./");
    } else if (remoteRoot.mode() != root.mode()) {
      plan.chmodRoot = root.mode();
      plan.changed.add("./");
    }

    // Remote paths that stay whatever the local tree says: excluded ones and their ancestors.
    Set<String> keep = new HashSet<>();
    for (Map.Entry<String, Remote> e : r.entrySet()) {
      String rel = e.getKey();
      if (!rel.isEmpty() && (e.getValue().pruned() || excludes.excludes(rel))) {
        keep.add(rel);
        keep.addAll(ancestors(rel));
      }
    }
    Set<String> removed = new HashSet<>();
    for (Map.Entry<String, Remote> e : r.entrySet()) {
      String rel = e.getKey();
      Remote rem = e.getValue();
      if (rel.isEmpty() || excludes.excludes(rel) || rem.pruned()) {
        continue;
      }
      Local loc = local.get(rel);
      if (loc != null && loc.type() == rem.type()) {
        continue;
      }
      if (keep.contains(rel)) {
        if (loc != null) {
          throw new IllegalStateException("cannot replace directory " + rel
              + " with a " + (loc.type() == 'l' ? "link" : "file") + ": it holds excluded content");
        }
        continue; // a directory gone locally that still holds excluded content
      }
      boolean under = false;
      for (String a : ancestors(rel)) {
        if (removed.contains(a)) {
          under = true;
          break;
        }
      }
      removed.add(rel);
      if (!under) {
        plan.removeTop.add(rel);
      }
      if (loc == null) {
        plan.deleted.add(report(rel, rem.type()));
      }
    }

    for (Map.Entry<String, Local> e : local.entrySet()) {
      String rel = e.getKey();
      Local loc = e.getValue();
      if (rel.isEmpty()) {
        continue;
      }
      Remote rem = r.get(rel);
      if (rem != null && rem.pruned() && rem.type() != loc.type()) {
        throw new IllegalStateException("cannot replace " + rel + " (type " + rem.type()
            + ") with local type " + loc.type() + ": its content is excluded");
      }
      boolean missing = rem == null || removed.contains(rel) || plan.createRoot;
      boolean replaced = rem != null && removed.contains(rel);
      switch (loc.type()) {
        case 'd' -> {
          if (missing) {
            plan.mkdirs.put(rel, loc.mode());
            (replaced ? plan.changed : plan.added).add(report(rel, 'd'));
          } else if (rem.mode() != loc.mode()) {
            plan.chmods.put(rel, loc.mode());
            plan.changed.add(report(rel, 'd'));
          }
        }
        case 'f' -> {
          if (missing) {
            plan.uploads.add(rel);
            (replaced ? plan.changed : plan.added).add(rel);
          } else if (rem.size() != loc.size() || !hash(loc.file()).equals(remote.hashes().get(rel))) {
            plan.uploads.add(rel);
            plan.changed.add(rel);
          } else if (rem.mode() != loc.mode()) {
            plan.chmods.put(rel, loc.mode());
            plan.changed.add(rel);
          }
        }
        case 'l' -> {
          if (missing) {
            plan.links.put(rel, loc.target());
            (replaced ? plan.changed : plan.added).add(rel);
          } else if (!loc.target().equals(rem.target())) {
            plan.links.put(rel, loc.target());
            plan.changed.add(rel);
          }
        }
        default -> throw new IllegalStateException("unexpected local type " + loc.type());
      }
    }
    return plan;
  }

  /**
   * @param file a local file
   * @return its SHA-256, lower-case hex
   */
  static String hash(Path file) {
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[65536];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
