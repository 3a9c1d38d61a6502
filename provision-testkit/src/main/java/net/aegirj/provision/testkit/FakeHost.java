package net.aegirj.provision.testkit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.api.HostException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.core.host.Hosts;
import net.aegirj.provision.core.host.SyncExcludes;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.HostProvider;
import net.aegirj.provision.spi.SyncResult;

/**
 * A {@link Host} that keeps its files in memory and answers commands from stubs, for tests of
 * steps, service types and whole tasks without a real server.
 *
 * <p>Its file system follows the rules of {@link net.aegirj.provision.core.host.LocalHost}, the
 * reference: paths are absolute and normalised ({@link IllegalArgumentException} otherwise);
 * {@code write} changes a file only when its bytes, permissions, owner or group differ and needs
 * an existing parent directory; {@code mkdirs} creates missing parents with {@code 0755};
 * {@code symlink} replaces a link that points elsewhere; {@code remove} removes trees;
 * {@code list} is sorted; {@code stat} does not follow a final symbolic link, while symbolic links
 * in the middle of a path are followed as a kernel would. The root directory {@code /} always
 * exists. New entries belong to the default owner and group ({@code aegir}, see
 * {@link #defaultOwner(String, String)}); a new entry in a setgid directory takes that
 * directory's group.
 *
 * <p>Commands are recorded ({@link #commands()}) and answered by the most recently registered
 * matching stub ({@link #onCommand(String, Function)}); without one, a command succeeds with no
 * output, or fails to start after {@link #failUnknownCommands()}. {@link #sync(Path, Set)} is
 * recorded ({@link #syncs()}) and changes nothing, unless a source was set with
 * {@link #syncFrom(Host)}.
 *
 * <p>State belongs to the instance, and {@link #close()} keeps it: the engine closes its hosts at
 * the end of every task, and the next task sees the same files. All methods are safe for
 * concurrent use.
 *
 * <pre>{@code
 * FakeHost web1 = new FakeHost("server_web1");
 * web1.onCommand("nginx -t", c -> web1.result(c, 1, "", "syntax error"));
 * try (Provision p = Provision.builder().home(home).repository(new InMemoryContextRepository())
 *     .hosts(FakeHost.provider(web1)).build()) {
 *   p.save(Server.named("server_web1").remoteHost("web1.example.com"));
 *   p.server("server_web1").verify();
 * }
 * assertThat(web1.modes()).as("config_path").containsEntry(home + "/config/server_web1", "0711");
 * }</pre>
 */
public final class FakeHost implements Host {
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

  /**
   * A recorded call of {@link FakeHost#sync(Path, Set)}.
   *
   * @param dir the directory synced
   * @param excludes the exclude globs given
   * @param result what the fake answered
   */
  public record SyncCall(Path dir, Set<String> excludes, SyncResult result) {
    /** Copies the excludes. */
    public SyncCall {
      excludes = Set.copyOf(excludes);
    }
  }

  private record Stub(Predicate<Command> when, Function<Command, CommandResult> answer) {}

  private final String name;
  private final boolean local;
  private final Map<Path, Node> nodes = new HashMap<>();
  private final List<Command> commands = new ArrayList<>();
  private final List<SyncCall> syncs = new ArrayList<>();
  private final List<Path> fetches = new ArrayList<>();
  private final List<Stub> stubs = new ArrayList<>();
  private boolean failUnknown;
  private Host syncSource;
  private String owner = "aegir";
  private String group = "aegir";
  private int writes;
  private int closes;

  /**
   * A fake remote host.
   *
   * @param name the host's name for messages, e.g. {@code server_web1}
   */
  public FakeHost(String name) {
    this(name, false);
  }

  /**
   * @param name the host's name for messages
   * @param local what {@link #isLocal()} answers: true to stand in for the machine Provision runs
   *     on (reports then show its paths without the host name)
   */
  public FakeHost(String name, boolean local) {
    this.name = Objects.requireNonNull(name, "name");
    this.local = local;
    nodes.put(ROOT, directory(0755, "root", "root"));
  }

  private static Node directory(int perms, String owner, String group) {
    return new Node(FileInfo.Type.DIRECTORY, null, perms, owner, group, null);
  }

  // ---------------------------------------------------------------- configuration

  /**
   * Sets who owns new entries (default {@code aegir:aegir}).
   *
   * @param owner the owning user of new files, directories and links
   * @param group their group
   * @return this
   */
  public synchronized FakeHost defaultOwner(String owner, String group) {
    this.owner = Objects.requireNonNull(owner, "owner");
    this.group = Objects.requireNonNull(group, "group");
    return this;
  }

  /**
   * Answers the commands that match with a function of the command. The most recently registered
   * matching stub answers; a stub may throw (a {@link HostCommandException} to simulate a
   * timeout or a command that cannot start).
   *
   * @param when which commands to answer
   * @param answer the result for a command, e.g. {@code c -> fake.result(c, 0, "ok\n", "")}
   * @return this
   */
  public synchronized FakeHost onCommand(Predicate<Command> when, Function<Command, CommandResult> answer) {
    stubs.add(new Stub(Objects.requireNonNull(when, "when"), Objects.requireNonNull(answer, "answer")));
    return this;
  }

  /**
   * Answers the commands whose {@link Command#display() display} starts with a prefix.
   *
   * @param displayPrefix the start of the displayed command, e.g. {@code nginx -t}
   * @param answer the result for a command
   * @return this
   */
  public FakeHost onCommand(String displayPrefix, Function<Command, CommandResult> answer) {
    Objects.requireNonNull(displayPrefix, "displayPrefix");
    return onCommand(c -> c.display().startsWith(displayPrefix), answer);
  }

  /**
   * Answers the commands whose display starts with a prefix with a fixed result.
   *
   * @param displayPrefix the start of the displayed command
   * @param exitCode the exit status
   * @param stdout the standard output
   * @param stderr the standard error
   * @return this
   */
  public FakeHost onCommand(String displayPrefix, int exitCode, String stdout, String stderr) {
    return onCommand(displayPrefix, c -> result(c, exitCode, stdout, stderr));
  }

  /**
   * Makes the commands whose display starts with a prefix time out, as a real host reports it: a
   * {@link HostCommandException} with exit code -1 and a message containing {@code timed out}.
   *
   * @param displayPrefix the start of the displayed command
   * @return this
   */
  public FakeHost timeoutOn(String displayPrefix) {
    return onCommand(displayPrefix, c -> {
      throw new HostCommandException(name, c.display(), -1, "",
          "timed out after " + c.timeout().toSeconds() + " s");
    });
  }

  /**
   * Makes commands that no stub matches fail as a missing program does: with a
   * {@link HostCommandException} saying the command could not start. By default they succeed
   * with no output.
   *
   * @return this
   */
  public synchronized FakeHost failUnknownCommands() {
    this.failUnknown = true;
    return this;
  }

  /**
   * Makes {@link #sync(Path, Set)} copy the tree from a source host, as a real sync copies from
   * the local machine: files, directories and links are added or replaced where they differ
   * (content, permissions), and removed where the source has none; excluded paths are neither
   * copied nor removed. Without a source, a sync changes nothing.
   *
   * @param source the host to copy from, e.g. another {@code FakeHost} standing in for the
   *     local machine, or a real {@code LocalHost}
   * @return this
   */
  public synchronized FakeHost syncFrom(Host source) {
    this.syncSource = Objects.requireNonNull(source, "source");
    return this;
  }

  /**
   * Builds a result of a command run on this host, for stubs.
   *
   * @param command the command
   * @param exitCode its exit status
   * @param stdout its standard output
   * @param stderr its standard error (trimmed to the last {@link CommandResult#STDERR_TAIL}
   *     characters)
   * @return the result
   */
  public CommandResult result(Command command, int exitCode, String stdout, String stderr) {
    String tail = stderr.length() > CommandResult.STDERR_TAIL
        ? "…" + stderr.substring(stderr.length() - CommandResult.STDERR_TAIL) : stderr;
    return new CommandResult(name, command.display(), exitCode, stdout, tail, Duration.ZERO);
  }

  // ---------------------------------------------------------------- Host

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean isLocal() {
    return local;
  }

  private static Path check(Path path) {
    Objects.requireNonNull(path, "path");
    if (!path.isAbsolute() || !path.normalize().equals(path)) {
      throw new IllegalArgumentException("not an absolute, normalised path: " + path);
    }
    return path;
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

  @Override
  public synchronized Optional<FileInfo> stat(Path path) {
    check(path);
    return Optional.ofNullable(nodes.get(resolve(path, false))).map(Node::info);
  }

  @Override
  public synchronized Optional<byte[]> read(Path path) {
    check(path);
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

  @Override
  public synchronized boolean write(Path path, byte[] content, FileMode mode) {
    check(path);
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(mode, "mode");
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

  @Override
  public synchronized boolean mkdirs(Path dir, FileMode mode) {
    check(dir);
    Objects.requireNonNull(mode, "mode");
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

  @Override
  public synchronized boolean symlink(Path link, String target) {
    check(link);
    Objects.requireNonNull(target, "target");
    if (target.isEmpty() || target.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not a link target: '" + target + "'");
    }
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

  @Override
  public synchronized boolean rename(Path from, Path to) {
    check(from);
    check(to);
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

  @Override
  public synchronized boolean remove(Path path) {
    check(path);
    if (path.getNameCount() == 0) {
      throw new IllegalArgumentException("refusing to remove /");
    }
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

  @Override
  public synchronized List<String> list(Path dir) {
    check(dir);
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

  @Override
  public CommandResult run(Command command) {
    Objects.requireNonNull(command, "command");
    Function<Command, CommandResult> answer = null;
    boolean failUnknownNow;
    synchronized (this) {
      commands.add(command);
      for (int i = stubs.size() - 1; i >= 0 && answer == null; i--) {
        if (stubs.get(i).when().test(command)) {
          answer = stubs.get(i).answer();
        }
      }
      failUnknownNow = failUnknown;
    }
    if (answer != null) {
      // Outside the lock: a stub may work on this host's files.
      return Objects.requireNonNull(answer.apply(command), "a stub answered null for " + command.display());
    }
    if (failUnknownNow) {
      throw new HostCommandException(name, command.display(), -1, "",
          "could not start: the fake host has no stub for it");
    }
    return result(command, 0, "", "");
  }

  @Override
  public SyncResult sync(Path dir, Set<String> excludes) {
    check(dir);
    Objects.requireNonNull(excludes, "excludes");
    Host source;
    synchronized (this) {
      source = syncSource;
    }
    SyncExcludes globs = new SyncExcludes(excludes); // refuses malformed globs before anything happens
    SyncResult result;
    if (source == null) {
      result = new SyncResult(List.of(), List.of(), List.of(), 1);
    } else {
      // Read the source first, outside this host's lock (the source may be locked by its own use).
      SortedMap<String, Entry> wanted = scan(source, dir, globs);
      synchronized (this) {
        result = apply(dir, wanted, globs);
      }
    }
    synchronized (this) {
      syncs.add(new SyncCall(dir, excludes, result));
    }
    return result;
  }

  /**
   * Records the fetch ({@link #fetches()}) and changes nothing: a fake host's tree is never copied
   * back into the real local file system.
   */
  @Override
  public SyncResult fetch(Path dir, Set<String> excludes) {
    check(dir);
    new SyncExcludes(Objects.requireNonNull(excludes, "excludes"));
    synchronized (this) {
      fetches.add(dir);
    }
    return new SyncResult(List.of(), List.of(), List.of(), 1);
  }

  /** @return the directory of every {@link #fetch}, in order */
  public synchronized List<Path> fetches() {
    return List.copyOf(fetches);
  }

  /** A source entry: what the synced tree must contain at a relative path. */
  private record Entry(FileInfo.Type type, int permissions, byte[] bytes, String target) {}

  private static SortedMap<String, Entry> scan(Host source, Path dir, SyncExcludes excludes) {
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

  private SyncResult apply(Path dir, SortedMap<String, Entry> wanted, SyncExcludes excludes) {
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
      Entry want = wanted.get(rel);
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
    for (Map.Entry<String, Entry> e : wanted.entrySet()) {
      String rel = e.getKey();
      Entry want = e.getValue();
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

  /** Counts the close; the state stays, for the next task. */
  @Override
  public synchronized void close() {
    closes++;
  }

  // ---------------------------------------------------------------- inspection

  /** @return every regular file, by absolute path, with its content as UTF-8 text, sorted */
  public synchronized SortedMap<String, String> files() {
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
  public synchronized SortedMap<String, String> modes() {
    SortedMap<String, String> out = new TreeMap<>();
    nodes.forEach((p, n) -> {
      if (!p.equals(ROOT)) {
        out.put(p.toString(), FileMode.of(n.permissions()).octal());
      }
    });
    return Collections.unmodifiableSortedMap(out);
  }

  /** @return every directory except {@code /}, sorted */
  public synchronized SortedSet<String> directories() {
    SortedSet<String> out = new TreeSet<>();
    nodes.forEach((p, n) -> {
      if (n.type() == FileInfo.Type.DIRECTORY && !p.equals(ROOT)) {
        out.add(p.toString());
      }
    });
    return Collections.unmodifiableSortedSet(out);
  }

  /** @return every symbolic link with its target, sorted */
  public synchronized SortedMap<String, String> links() {
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
  public synchronized SortedMap<String, String> snapshot() {
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

  /**
   * @param path an absolute path
   * @return true when something (a file, directory or link, even a dangling one) is there
   */
  public boolean exists(Path path) {
    return stat(path).isPresent();
  }

  /**
   * @param path an absolute path
   * @return true when something is there
   */
  public boolean exists(String path) {
    return exists(Path.of(path));
  }

  /**
   * @param path a regular file (a link to one is followed)
   * @return its content as UTF-8 text
   * @throws AssertionError when there is no such file
   */
  public String content(Path path) {
    return read(path).map(b -> new String(b, StandardCharsets.UTF_8))
        .orElseThrow(() -> new AssertionError(name + ": no file " + path));
  }

  /**
   * @param path a regular file
   * @return its content as UTF-8 text
   * @throws AssertionError when there is no such file
   */
  public String content(String path) {
    return content(Path.of(path));
  }

  /** @return every command run, in order, including those that failed or timed out */
  public synchronized List<Command> commands() {
    return List.copyOf(commands);
  }

  /** @return the {@link Command#display() display} of every command run, in order */
  public synchronized List<String> commandLines() {
    return commands.stream().map(Command::display).toList();
  }

  /** @return every sync, in order */
  public synchronized List<SyncCall> syncs() {
    return List.copyOf(syncs);
  }

  /**
   * @return how many mutating operations ({@code write}, {@code mkdirs}, {@code symlink},
   *     {@code remove}, {@code sync}) changed something
   */
  public synchronized int writes() {
    return writes;
  }

  /** @return how many times {@link #close()} was called */
  public synchronized int closes() {
    return closes;
  }

  /**
   * Forgets the recorded commands and syncs and zeroes {@link #writes()} and {@link #closes()},
   * keeping the files: call it after setting a host up to see only what a task does.
   */
  public synchronized void clearRecorded() {
    commands.clear();
    syncs.clear();
    writes = 0;
    closes = 0;
  }

  /**
   * Empties the file system (only {@code /} remains) and forgets everything recorded; stubs,
   * the sync source and the default owner stay.
   */
  public synchronized void reset() {
    nodes.clear();
    nodes.put(ROOT, directory(0755, "root", "root"));
    clearRecorded();
  }

  @Override
  public String toString() {
    return "FakeHost[" + name + "]";
  }

  // ---------------------------------------------------------------- providers

  /**
   * A provider that hands each server its own fake: the fakes given, keyed by their names (with
   * any leading {@code @} left out, so {@code new FakeHost("server_web1")} serves
   * {@code @server_web1}), and a new fake for any other server.
   *
   * @param perServer the fakes, named after their servers
   * @return the provider
   */
  public static Provider provider(FakeHost... perServer) {
    Map<String, FakeHost> m = new LinkedHashMap<>();
    for (FakeHost f : perServer) {
      m.put(f.name(), f);
    }
    return new Provider(m);
  }

  /**
   * A provider that hands each server its own fake: the fake mapped to its name (with or
   * without {@code @}), and a new fake for any other server.
   *
   * @param perServer fakes by server name
   * @return the provider
   */
  public static Provider provider(Map<String, FakeHost> perServer) {
    return new Provider(perServer);
  }

  /**
   * Hands out a {@link FakeHost} per server, by {@link ResolvedContext#name()}: always the same
   * one for a server, so that files survive from task to task. A server with no fake gets a new
   * one, named like a real host ({@code @server_x (remote_host)}) and local when its
   * {@code remote_host} is this machine. Safe for concurrent use.
   */
  public static final class Provider implements HostProvider {
    private final Map<String, FakeHost> fakes = new LinkedHashMap<>();

    private Provider(Map<String, FakeHost> perServer) {
      perServer.forEach((k, v) -> fakes.put(key(k), Objects.requireNonNull(v, "fake for " + k)));
    }

    private static String key(String serverName) {
      return serverName.startsWith("@") ? serverName.substring(1) : serverName;
    }

    @Override
    public synchronized Host open(ResolvedContext server) {
      return fakes.computeIfAbsent(server.name().value(), k -> {
        String remote = server.get("remote_host").map(Object::toString).orElse("localhost");
        return new FakeHost(server.name() + " (" + remote + ")", Hosts.isLocal(remote));
      });
    }

    /**
     * @param serverName a server name, with or without {@code @}
     * @return its fake, created (empty, remote) when the server has none yet
     */
    public synchronized FakeHost host(String serverName) {
      return fakes.computeIfAbsent(key(serverName), k -> new FakeHost("@" + k));
    }

    /** @return the fakes handed out or given so far, by server name without {@code @} */
    public synchronized Map<String, FakeHost> hosts() {
      return Map.copyOf(fakes);
    }

    @Override
    public String toString() {
      return "FakeHost.Provider" + hosts().keySet();
    }
  }
}
