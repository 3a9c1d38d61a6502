package net.aegirj.provision.testkit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.function.Function;
import java.util.function.Predicate;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.core.host.Hosts;
import net.aegirj.provision.core.host.LocalHost;
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
 * <p>Its file system follows the rules of {@link LocalHost}, the
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

  private final String name;
  private final boolean local;
  /** The files; guarded by this. */
  private final FakeFileTree tree;
  /** The stubs and the commands run; guarded by this. */
  private final FakeCommands commands = new FakeCommands();
  private final List<SyncCall> syncs = new ArrayList<>();
  private final List<Path> fetches = new ArrayList<>();
  private Host syncSource;
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
    this.tree = new FakeFileTree(name);
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
    tree.defaultOwner(owner, group);
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
    commands.stub(Objects.requireNonNull(when, "when"), Objects.requireNonNull(answer, "answer"));
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
    commands.failUnknown();
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

  @Override
  public synchronized Optional<FileInfo> stat(Path path) {
    check(path);
    return tree.stat(path);
  }

  @Override
  public synchronized Optional<byte[]> read(Path path) {
    check(path);
    return tree.read(path);
  }

  @Override
  public synchronized boolean write(Path path, byte[] content, FileMode mode) {
    check(path);
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(mode, "mode");
    return tree.write(path, content, mode);
  }

  @Override
  public synchronized boolean mkdirs(Path dir, FileMode mode) {
    check(dir);
    Objects.requireNonNull(mode, "mode");
    return tree.mkdirs(dir, mode);
  }

  @Override
  public synchronized boolean symlink(Path link, String target) {
    check(link);
    Objects.requireNonNull(target, "target");
    if (target.isEmpty() || target.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not a link target: '" + target + "'");
    }
    return tree.symlink(link, target);
  }

  @Override
  public synchronized boolean rename(Path from, Path to) {
    check(from);
    check(to);
    return tree.rename(from, to);
  }

  @Override
  public synchronized boolean remove(Path path) {
    check(path);
    if (path.getNameCount() == 0) {
      throw new IllegalArgumentException("refusing to remove /");
    }
    return tree.remove(path);
  }

  @Override
  public synchronized List<String> list(Path dir) {
    check(dir);
    return tree.list(dir);
  }

  @Override
  public CommandResult run(Command command) {
    Objects.requireNonNull(command, "command");
    Function<Command, CommandResult> answer;
    boolean failUnknownNow;
    synchronized (this) {
      answer = commands.record(command);
      failUnknownNow = commands.failsUnknown();
    }
    if (answer != null) {
      // Outside the lock: a stub may work on this host's files.
      return Objects.requireNonNull(answer.apply(command), "a stub answered null for " + command.display());
    }
    if (failUnknownNow) {
      throw FakeCommands.unknown(name, command);
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
      SortedMap<String, FakeSyncSource.Entry> wanted = FakeSyncSource.scan(source, dir, globs);
      synchronized (this) {
        result = tree.apply(dir, wanted, globs);
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

  /** Counts the close; the state stays, for the next task. */
  @Override
  public synchronized void close() {
    closes++;
  }

  // ---------------------------------------------------------------- inspection

  /** @return every regular file, by absolute path, with its content as UTF-8 text, sorted */
  public synchronized SortedMap<String, String> files() {
    return tree.files();
  }

  /**
   * @return the permissions of every file, directory and link except {@code /}, by absolute path,
   *     as four octal digits (e.g. {@code 0711}, {@code 02770}), sorted
   */
  public synchronized SortedMap<String, String> modes() {
    return tree.modes();
  }

  /** @return every directory except {@code /}, sorted */
  public synchronized SortedSet<String> directories() {
    return tree.directories();
  }

  /** @return every symbolic link with its target, sorted */
  public synchronized SortedMap<String, String> links() {
    return tree.links();
  }

  /**
   * The whole file system in one comparable value: every entry except {@code /} with its type,
   * permissions, owner, group and content or target, e.g. {@code d 0711 aegir:aegir} or
   * {@code f 0644 aegir:aegir <?php ...}. Two equal snapshots mean nothing changed.
   *
   * @return the entries by absolute path, sorted
   */
  public synchronized SortedMap<String, String> snapshot() {
    return tree.snapshot();
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
    return commands.recorded();
  }

  /** @return the {@link Command#display() display} of every command run, in order */
  public synchronized List<String> commandLines() {
    return commands.lines();
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
    return tree.writes();
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
    tree.clearWrites();
    closes = 0;
  }

  /**
   * Empties the file system (only {@code /} remains) and forgets everything recorded; stubs,
   * the sync source and the default owner stay.
   */
  public synchronized void reset() {
    tree.reset();
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
