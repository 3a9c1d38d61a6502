package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.api.HostException;
import net.aegirj.provision.core.host.SshHost;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.SyncResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SshHost} against a real OpenSSH sshd ({@link SshServer}) whose view of a managed path is
 * a separate backing directory: what SSH writes there shows up in the backing directory, not at
 * the managed path as this process sees it.
 */
class SshHostIT {
  private static final String NAME = "@server_it (127.0.0.1)";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private static Path managed;
  private static Path backing;
  private static SshServer server;
  private static SshHost host;

  @TempDir
  Path temp;

  @BeforeAll
  static void startServer() throws IOException {
    managed = Path.of("/var/tmp/provision-it-" + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE));
    backing = Files.createTempDirectory("provision-it-remote-");
    server = SshServer.builder().privateMount(managed, backing).start();
    host = server.newHost(NAME);
  }

  @AfterAll
  static void stopServer() throws IOException {
    try {
      if (host != null) {
        host.close();
      }
      if (server != null) {
        server.close();
      }
    } finally {
      deleteTree(backing);
      deleteTree(managed);
    }
  }

  /**
   * The shared {@link HostContract}, over SSH. Its scratch directories are local temporary
   * directories, which the server sees as they are (no private mount covers them).
   */
  @Nested
  class Contract extends HostContract {
    @Override
    protected Host newHost(Path scratch) {
      return server.newHost("@server_contract (" + server.address() + ")");
    }
  }

  /** @return a fresh directory path under the managed path (not created) */
  private static Path fresh(String what) {
    return managed.resolve(what + "-" + COUNTER.incrementAndGet());
  }

  /** @return where the server keeps what it sees at a managed path */
  private static Path remote(Path managedPath) {
    return backing.resolve(managed.relativize(managedPath));
  }

  private static int mode(Path p) throws IOException {
    return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void fileOperationsWorkOnTheRemoteView() throws IOException {
    Path d = fresh("files");
    assertThat(host.mkdirs(d, FileMode.of(0755))).as("a missing directory is created").isTrue();
    Path a = d.resolve("a.txt");
    assertThat(host.write(a, bytes("hello\n"), FileMode.of(0644))).as("a new file is a change").isTrue();

    assertThat(remote(a)).as("the file lands in the server's backing directory").hasContent("hello\n");
    assertThat(Files.exists(a, LinkOption.NOFOLLOW_LINKS))
        .as("the test process does not see the server's file at the managed path").isFalse();

    assertThat(host.read(a)).as("read returns the bytes written").hasValueSatisfying(
        b -> assertThat(new String(b, StandardCharsets.UTF_8)).as("content").isEqualTo("hello\n"));
    Optional<FileInfo> info = host.stat(a);
    assertThat(info).as("stat of an existing file").isPresent();
    assertThat(info.get().type()).as("type").isEqualTo(FileInfo.Type.FILE);
    assertThat(info.get().permissions()).as("permissions").isEqualTo(0644);
    assertThat(info.get().owner()).as("owner resolved to a name").isEqualTo(server.user());
    assertThat(info.get().size()).as("size").isEqualTo(6);
    assertThat(host.read(d.resolve("missing"))).as("read of a missing file").isEmpty();
    assertThat(host.stat(d.resolve("missing"))).as("stat of a missing path").isEmpty();

    Path deep = d.resolve("x/y/z");
    assertThat(host.mkdirs(deep, FileMode.of(0711))).as("nested directories are created").isTrue();
    assertThat(mode(remote(deep))).as("the leaf gets the mode").isEqualTo(0711);
    assertThat(mode(remote(d.resolve("x")))).as("created parents get 0755").isEqualTo(0755);
    assertThat(mode(remote(d.resolve("x/y")))).as("created parents get 0755").isEqualTo(0755);
    assertThat(host.mkdirs(deep, FileMode.of(0711))).as("an existing directory with its mode is no change")
        .isFalse();
    assertThat(host.mkdirs(d.resolve("private"), FileMode.of(0700))).as("0700 directory").isTrue();
    assertThat(host.stat(d.resolve("private")).orElseThrow().permissions()).as("0700 via stat").isEqualTo(0700);

    Path shared = d.resolve("shared");
    FileMode setgid = FileMode.of(02770).withGroup("nogroup");
    assertThat(host.mkdirs(shared, setgid)).as("setgid directory created").isTrue();
    FileInfo sharedInfo = host.stat(shared).orElseThrow();
    assertThat(sharedInfo.permissions()).as("the setgid bit is really set").isEqualTo(02770);
    assertThat(sharedInfo.group()).as("the group is set").isEqualTo("nogroup");
    assertThat(mode(remote(shared))).as("setgid seen in the backing directory").isEqualTo(02770);
    assertThat(host.mkdirs(shared, setgid)).as("setgid directory already right").isFalse();
    assertThatThrownBy(() -> host.mkdirs(a, FileMode.of(0755))).as("a file in the way of a directory")
        .isInstanceOf(HostException.class).hasMessageContaining(NAME).hasMessageContaining("in the way");

    Path owned = d.resolve("owned.txt");
    assertThat(host.write(owned, bytes("x"), FileMode.of(0640).withOwner("nobody").withGroup("nogroup")))
        .as("write with owner and group").isTrue();
    FileInfo ownedInfo = host.stat(owned).orElseThrow();
    assertThat(ownedInfo.owner()).as("owner changed through chown").isEqualTo("nobody");
    assertThat(ownedInfo.group()).as("group changed through chown").isEqualTo("nogroup");
    assertThat(ownedInfo.permissions()).as("mode after chown").isEqualTo(0640);
    assertThat(host.write(owned, bytes("x"), FileMode.of(0640).withOwner("nobody").withGroup("nogroup")))
        .as("owner, group, mode and bytes all equal: no change").isFalse();

    Path link = d.resolve("link");
    assertThat(host.symlink(link, "a.txt")).as("a new link").isTrue();
    assertThat(host.symlink(link, "a.txt")).as("a link to the same target is no change").isFalse();
    FileInfo linkInfo = host.stat(link).orElseThrow();
    assertThat(linkInfo.type()).as("stat does not follow the link").isEqualTo(FileInfo.Type.SYMLINK);
    assertThat(linkInfo.linkTarget()).as("link target").contains("a.txt");
    assertThat(host.symlink(link, "x")).as("a link pointing elsewhere is replaced").isTrue();
    assertThat(Files.readSymbolicLink(remote(link)).toString()).as("new target on the server").isEqualTo("x");
    assertThatThrownBy(() -> host.symlink(d.resolve("x"), "a.txt")).as("a directory in the way of a link")
        .isInstanceOf(HostException.class).hasMessageContaining("directory is in the way");

    Path odd = d.resolve("we*ird ?name\\'$x");
    assertThat(host.write(odd, bytes("odd"), FileMode.of(0600))).as("a name with glob and shell characters")
        .isTrue();
    assertThat(remote(odd)).as("the odd name arrives literally").hasContent("odd");
    assertThat(host.stat(odd).orElseThrow().permissions()).as("odd name stat").isEqualTo(0600);

    assertThat(host.list(d)).as("list is sorted, without . and ..")
        .containsExactly("a.txt", "link", "owned.txt", "private", "shared", "we*ird ?name\\'$x", "x");
    assertThat(host.list(d.resolve("missing"))).as("list of a missing directory").isEmpty();

    assertThat(host.remove(d.resolve("x"))).as("a directory tree is removed").isTrue();
    assertThat(Files.exists(remote(d.resolve("x")))).as("the tree is gone on the server").isFalse();
    assertThat(host.remove(d.resolve("x"))).as("removing a missing path is no change").isFalse();
    assertThat(host.remove(link)).as("a link is removed").isTrue();
    assertThat(host.remove(odd)).as("an odd name is removed").isTrue();
    assertThat(host.list(d)).as("after removals").containsExactly("a.txt", "owned.txt", "private", "shared");
    assertThatThrownBy(() -> host.remove(Path.of("/"))).as("/ is never removed")
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void pathsMustBeAbsoluteAndNormalised() {
    assertThatThrownBy(() -> host.stat(Path.of("relative"))).as("relative path refused")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> host.read(managed.resolve("a/../b"))).as("unnormalised path refused")
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void writeChangesOnlyWhatDiffers() throws IOException {
    Path d = fresh("write");
    host.mkdirs(d, FileMode.of(0755));
    Path f = d.resolve("settings.php");
    assertThat(host.write(f, bytes("one"), FileMode.of(0640))).as("first write").isTrue();
    assertThat(host.write(f, bytes("one"), FileMode.of(0640))).as("identical bytes and mode: no change").isFalse();
    assertThat(host.write(f, bytes("two"), FileMode.of(0640))).as("different bytes of the same size").isTrue();
    assertThat(remote(f)).as("new content on the server").hasContent("two");
    assertThat(host.write(f, bytes("two"), FileMode.of(0600))).as("a mode change alone is a change").isTrue();
    assertThat(mode(remote(f))).as("mode on the server").isEqualTo(0600);
    assertThat(host.write(f, bytes("two"), FileMode.of(0600))).as("and then no change").isFalse();
    assertThat(host.list(d)).as("no temporary files are left behind").containsExactly("settings.php");
    assertThatThrownBy(() -> host.write(d.resolve("missing/f"), bytes("x"), FileMode.of(0644)))
        .as("writing into a missing directory").isInstanceOf(HostException.class)
        .hasMessageContaining(NAME).hasMessageContaining("does not exist");
  }

  @Test
  void commandArgumentsArePassedLiterally() {
    List<String> args = List.of("a b", "'", "$(id)", ";ls", "\"q\"", "\\", "", "*", "x\ny");
    List<String> argv = new ArrayList<>(List.of("printf", "%s|\\n"));
    argv.addAll(args);
    CommandResult r = host.run(Command.of(argv));
    assertThat(r.exitCode()).as("printf succeeded").isZero();
    StringBuilder expected = new StringBuilder();
    args.forEach(a -> expected.append(a).append("|\n"));
    assertThat(r.stdout()).as("hostile arguments come back literally, not interpreted").isEqualTo(expected.toString());
    assertThat(r.host()).as("result names the host").isEqualTo(NAME);

    CommandResult sh = host.run(Command.shell("echo $((1+2)) | tr 3 x"));
    assertThat(sh.stdout()).as("a shell command is interpreted by /bin/sh").isEqualTo("x\n");

    CommandResult cat = host.run(Command.of("cat").withStdin(bytes("in'put\n")));
    assertThat(cat.stdout()).as("stdin is fed to the command").isEqualTo("in'put\n");

    CommandResult big = host.run(Command.of("head", "-c", "300000", "/dev/zero"));
    assertThat(big.stdout()).as("large stdout is captured fully").hasSize(300000);
  }

  @Test
  void failingAndSlowCommands() {
    Command failing = Command.of("/bin/sh", "-c", "echo oops >&2; exit 3");
    CommandResult r = host.run(failing);
    assertThat(r.exitCode()).as("exit status is reported").isEqualTo(3);
    assertThat(r.stderrTail()).as("stderr is captured").contains("oops");
    assertThatThrownBy(r::orThrow).as("orThrow on failure").isInstanceOf(HostCommandException.class)
        .hasMessageContaining(NAME).hasMessageContaining(failing.display()).hasMessageContaining("oops")
        .satisfies(e -> assertThat(((HostCommandException) e).exitCode()).as("exit code").isEqualTo(3));

    CommandResult noisy = host.run(Command.of("/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' e >&2; echo end >&2"));
    assertThat(noisy.stderrTail().length()).as("stderr is a bounded tail")
        .isLessThanOrEqualTo(CommandResult.STDERR_TAIL + 1);
    assertThat(noisy.stderrTail()).as("the tail keeps the end").endsWith("end\n");

    long start = System.nanoTime();
    assertThatThrownBy(() -> host.run(Command.of("sleep", "10").withTimeout(Duration.ofSeconds(1))))
        .as("a command over its time limit").isInstanceOf(HostCommandException.class)
        .hasMessageContaining(NAME).hasMessageContaining("sleep 10").hasMessageContaining("timed out after 1 s")
        .satisfies(e -> assertThat(((HostCommandException) e).exitCode()).as("no exit code").isEqualTo(-1));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the timeout is honoured")
        .isLessThan(Duration.ofSeconds(5));
    assertThat(host.run(Command.of("true")).exitCode()).as("the connection is still usable").isZero();
  }

  private static List<String> makeTree(Path root, int files) throws IOException {
    List<String> rels = new ArrayList<>();
    for (int i = 0; i < files; i++) {
      String rel = "d" + (i % 7) + (i % 3 == 0 ? "/sub" : "") + "/f" + i + ".txt";
      Path f = root.resolve(rel);
      Files.createDirectories(f.getParent());
      Files.writeString(f, "content of file " + i + "\n".repeat(i % 4));
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(
          i % 11 == 0 ? "rwxr-xr-x" : i % 5 == 0 ? "rw-------" : "rw-r--r--"));
      rels.add(rel);
    }
    return rels;
  }

  private static List<String> filesOnly(List<String> reported) {
    return reported.stream().filter(s -> !s.endsWith("/")).sorted().toList();
  }

  /** Asserts that the server's copy of a local tree has the same files, bytes and modes. */
  private static void assertMirrored(Path local, Set<String> ignore) throws IOException {
    Set<String> localFiles = new TreeSet<>();
    Set<String> remoteFiles = new TreeSet<>();
    try (Stream<Path> s = Files.walk(local)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = local.relativize(p).toString();
        if (!ignore.contains(rel)) {
          localFiles.add(rel);
          Path r = remote(p);
          assertThat(mode(r)).as("mode of " + rel + " on the server").isEqualTo(mode(p));
          if (Files.isRegularFile(p)) {
            assertThat(Files.readAllBytes(r)).as("content of " + rel).isEqualTo(Files.readAllBytes(p));
          }
        }
      }
    }
    try (Stream<Path> s = Files.walk(remote(local))) {
      s.map(p -> remote(local).relativize(p).toString()).filter(r -> !ignore.contains(r)).forEach(remoteFiles::add);
    }
    assertThat(remoteFiles).as("the server holds exactly the local tree").isEqualTo(localFiles);
  }

  @Test
  void syncSendsOnlyDifferencesInConstantRoundTrips() throws IOException {
    Path small = fresh("sync50");
    List<String> rels50 = makeTree(small, 50);
    SyncResult first = host.sync(small, Set.of());
    assertThat(filesOnly(first.added())).as("first sync adds every file")
        .isEqualTo(rels50.stream().sorted().toList());
    assertThat(first.added()).as("the missing remote directory is created").contains("./", "d0/", "d0/sub/");
    assertThat(first.changed()).as("nothing to change the first time").isEmpty();
    assertThat(first.deleted()).as("nothing to delete the first time").isEmpty();
    assertMirrored(small, Set.of());

    SyncResult again50 = host.sync(small, Set.of());
    assertThat(again50.changedAnything()).as("an unchanged tree syncs to nothing").isFalse();

    Path large = fresh("sync500");
    makeTree(large, 500);
    SyncResult first500 = host.sync(large, Set.of());
    assertThat(filesOnly(first500.added())).as("500 files added").hasSize(500);
    SyncResult again500 = host.sync(large, Set.of());
    assertThat(again500.changedAnything()).as("an unchanged 500-file tree syncs to nothing").isFalse();
    System.out.printf("SshHostIT round trips: unchanged 50 files = %d, unchanged 500 files = %d,"
        + " first sync 50 = %d, first sync 500 = %d%n", again50.roundTrips(), again500.roundTrips(),
        first.roundTrips(), first500.roundTrips());
    assertThat(again500.roundTrips()).as("round trips do not grow with unchanged files")
        .isEqualTo(again50.roundTrips());
    assertThat(again50.roundTrips()).as("an unchanged sync is one listing").isEqualTo(1);

    // same size, different content: only the hash tells
    String modified = rels50.get(10);
    String before = Files.readString(small.resolve(modified));
    Files.writeString(small.resolve(modified), before.replace("content", "CONTENT"));
    String deleted = rels50.get(20);
    Files.delete(small.resolve(deleted));
    String added = "d3/new file.txt";
    Files.writeString(small.resolve(added), "new\n");
    SyncResult delta = host.sync(small, Set.of());
    assertThat(delta.added()).as("exactly the new file is added").containsExactly(added);
    assertThat(delta.changed()).as("exactly the modified file is changed").containsExactly(modified);
    assertThat(delta.deleted()).as("exactly the deleted file is deleted").containsExactly(deleted);
    System.out.printf("SshHostIT round trips: 1 added + 1 changed + 1 deleted = %d%n", delta.roundTrips());
    assertThat(delta.roundTrips()).as("listing, one removal batch, two uploads").isEqualTo(4);
    assertMirrored(small, Set.of());

    String chmodded = rels50.get(1);
    Files.setPosixFilePermissions(small.resolve(chmodded), PosixFilePermissions.fromString("rw-rw----"));
    SyncResult modeOnly = host.sync(small, Set.of());
    assertThat(modeOnly.changed()).as("a mode change alone is synced").containsExactly(chmodded);
    assertThat(modeOnly.added()).as("nothing added for a mode change").isEmpty();
    assertMirrored(small, Set.of());

    deleteTree(small.resolve("d5"));
    SyncResult dirGone = host.sync(small, Set.of());
    assertThat(dirGone.deleted()).as("a directory gone locally is deleted with its content")
        .contains("d5/", "d5/f5.txt");
    assertThat(Files.exists(remote(small.resolve("d5")))).as("d5 is gone on the server").isFalse();
    assertMirrored(small, Set.of());
  }

  @Test
  void fetchMirrorsTheRemoteTreeIntoTheLocalOne() throws IOException {
    Path dir = fresh("fetch");
    Path r = remote(dir);
    Files.createDirectories(r.resolve("sub"));
    Files.createDirectories(r.resolve("cache"));
    Files.writeString(r.resolve("a.txt"), "uploaded on the web server");
    Files.setAttribute(r.resolve("a.txt"), "unix:mode", 0640);
    Files.writeString(r.resolve("sub/b.txt"), "b");
    Files.writeString(r.resolve("cache/x"), "remote cache");
    Files.createSymbolicLink(r.resolve("link"), Path.of("a.txt"));
    Files.setAttribute(r.resolve("sub"), "unix:mode", 02770);
    Files.createDirectories(dir.resolve("gone/deeper"));
    Files.createDirectories(dir.resolve("cache"));
    Files.writeString(dir.resolve("a.txt"), "the master's stale copy");
    Files.writeString(dir.resolve("stale.txt"), "only here");
    Files.writeString(dir.resolve("cache/keep"), "local cache");

    SyncResult first = host.fetch(dir, Set.of("cache/**"));
    assertThat(dir.resolve("a.txt")).as("a changed file is copied back").hasContent("uploaded on the web server");
    assertThat(mode(dir.resolve("a.txt"))).as("with its mode").isEqualTo(0640);
    assertThat(dir.resolve("sub/b.txt")).as("a new file in a new directory").hasContent("b");
    assertThat(mode(dir.resolve("sub"))).as("directories keep their set-gid mode").isEqualTo(02770);
    assertThat(Files.readSymbolicLink(dir.resolve("link"))).as("links are links").isEqualTo(Path.of("a.txt"));
    assertThat(dir.resolve("stale.txt")).as("what the remote lacks is removed locally").doesNotExist();
    assertThat(dir.resolve("gone")).as("with whole directories").doesNotExist();
    assertThat(dir.resolve("cache/keep")).as("excluded paths stay").hasContent("local cache");
    assertThat(dir.resolve("cache/x")).as("and are not fetched").doesNotExist();
    assertThat(first.changed()).as("the changed file is reported").contains("a.txt");
    assertThat(first.added()).as("the new ones too").contains("sub/", "sub/b.txt", "link");
    assertThat(first.deleted()).as("and the removed ones").contains("stale.txt", "gone/");
    try (Stream<Path> s = Files.walk(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).as("no temporary file is left")
          .noneMatch(n -> n.startsWith(".tmp"));
    }

    SyncResult again = host.fetch(dir, Set.of("cache/**"));
    assertThat(again.changedAnything()).as("a second fetch changes nothing").isFalse();
    assertThat(again.roundTrips()).as("and is one listing").isEqualTo(1);

    Path missing = fresh("fetch-missing");
    Files.createDirectories(missing);
    Files.writeString(missing.resolve("x"), "x");
    assertThat(host.fetch(missing, Set.of()).changedAnything()).as("a directory missing remotely fetches nothing")
        .isFalse();
    assertThat(missing.resolve("x")).as("and removes nothing locally").exists();
  }

  @Test
  void syncLeavesExcludedPathsAlone() throws IOException {
    Path site = fresh("site");
    Files.createDirectories(site.resolve("files"));
    Files.createDirectories(site.resolve("private/temp"));
    Files.createDirectories(site.resolve("modules"));
    Files.writeString(site.resolve("settings.php"), "<?php\n");
    Files.writeString(site.resolve("files/local-upload.jpg"), "jpg");
    Files.writeString(site.resolve("private/temp/x"), "x");
    Files.writeString(site.resolve("modules/m.tmp"), "tmp");
    Files.writeString(site.resolve("modules/m.module"), "module");
    Set<String> excludes = Set.of("files/**", "private/*", "*.tmp");

    SyncResult first = host.sync(site, excludes);
    assertThat(filesOnly(first.added())).as("only files not excluded are sent")
        .containsExactly("modules/m.module", "settings.php");
    assertThat(first.added()).as("the files dir itself is synced, its content is not").contains("files/");
    assertThat(Files.exists(remote(site.resolve("files/local-upload.jpg")))).as("files/** not sent").isFalse();
    assertThat(Files.exists(remote(site.resolve("private/temp")))).as("private/* not sent").isFalse();
    assertThat(Files.exists(remote(site.resolve("modules/m.tmp")))).as("*.tmp not sent, at any depth").isFalse();

    // Things that exist only on the server.
    host.write(site.resolve("files/remote-upload.jpg"), bytes("r"), FileMode.of(0644));
    host.mkdirs(site.resolve("private/remote"), FileMode.of(0700));
    host.write(site.resolve("private/remote/key"), bytes("k"), FileMode.of(0600));
    host.write(site.resolve("modules/cache.tmp"), bytes("c"), FileMode.of(0644));
    host.mkdirs(site.resolve("gone-dir"), FileMode.of(0755));
    host.write(site.resolve("gone-dir/keep.tmp"), bytes("t"), FileMode.of(0644));
    host.write(site.resolve("gone-dir/stale.txt"), bytes("s"), FileMode.of(0644));
    host.write(site.resolve("stale.php"), bytes("s"), FileMode.of(0644));

    SyncResult second = host.sync(site, excludes);
    assertThat(second.deleted()).as("only unexcluded remote-only files are deleted")
        .containsExactly("gone-dir/stale.txt", "stale.php");
    assertThat(second.added()).as("nothing to add").isEmpty();
    assertThat(remote(site.resolve("files/remote-upload.jpg"))).as("files/** survives").hasContent("r");
    assertThat(remote(site.resolve("private/remote/key"))).as("private/* survives").hasContent("k");
    assertThat(remote(site.resolve("modules/cache.tmp"))).as("*.tmp survives").hasContent("c");
    assertThat(remote(site.resolve("gone-dir/keep.tmp")))
        .as("a directory gone locally stays while it holds excluded files").hasContent("t");
    assertThat(host.sync(site, excludes).changedAnything()).as("then nothing changes").isFalse();
  }

  private static long sftpChannels() {
    return server.log().lines().filter(l -> l.contains("subsystem 'sftp'")).count();
  }

  @Test
  void oneSessionServesManyOperations() throws InterruptedException {
    int before = server.acceptedConnections();
    long sftpBefore = sftpChannels();
    Path d = fresh("reuse");
    try (SshHost h = server.newHost("@server_reuse")) {
      h.mkdirs(d, FileMode.of(0755));
      for (int i = 0; i < 100; i++) {
        switch (i % 5) {
          case 0 -> h.write(d.resolve("f" + (i % 10)), bytes("v" + i), FileMode.of(0644));
          case 1 -> h.stat(d.resolve("f" + (i % 10)));
          case 2 -> h.run(Command.of("true"));
          case 3 -> h.list(d);
          default -> h.read(d.resolve("f0"));
        }
      }
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (server.acceptedConnections() < before + 1 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(server.acceptedConnections() - before).as("101 operations authenticate exactly once")
        .isEqualTo(1);
    assertThat(sftpChannels() - sftpBefore).as("all file operations share one SFTP channel").isEqualTo(1);
  }

  private SshHost hostWith(String name, Path identity, Path knownHosts) {
    return new SshHost(name, server.address(), server.port(), server.user(), identity, knownHosts,
        Duration.ofSeconds(10));
  }

  @Test
  void unknownOrChangedHostKeyIsRefused() throws IOException {
    Path empty = Files.writeString(temp.resolve("known_hosts_empty"), "");
    try (SshHost h = hostWith("@server_unknown", server.identity(), empty)) {
      assertThatThrownBy(() -> h.stat(Path.of("/tmp"))).as("an unknown host key").isInstanceOf(HostException.class)
          .hasMessageContaining("@server_unknown")
          .hasMessageContaining("ssh-keyscan -p " + server.port() + " " + server.address() + " >> " + empty)
          .satisfies(e -> assertThat(((HostException) e).host()).as("host").isEqualTo("@server_unknown"));
    }
    String otherKey = Files.readString(Path.of(server.identity() + ".pub")).strip().split("\\s+", 3)[1];
    Path changed = Files.writeString(temp.resolve("known_hosts_changed"),
        "[" + server.address() + "]:" + server.port() + " ssh-ed25519 " + otherKey + "\n");
    try (SshHost h = hostWith("@server_changed", server.identity(), changed)) {
      assertThatThrownBy(() -> h.run(Command.of("true"))).as("a changed host key")
          .isInstanceOf(HostException.class).hasMessageContaining("@server_changed")
          .hasMessageContaining("CHANGED").hasMessageContaining("ssh-keyscan");
    }
  }

  @Test
  void wrongClientKeyIsRefused() throws IOException, InterruptedException {
    Path key = temp.resolve("other_key");
    Process p = new ProcessBuilder("ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", key.toString())
        .redirectErrorStream(true).start();
    assertThat(p.waitFor()).as("ssh-keygen").isZero();
    try (SshHost h = hostWith("@server_wrongkey", key, server.knownHosts())) {
      assertThatThrownBy(() -> h.stat(Path.of("/tmp"))).as("a key the server does not accept")
          .isInstanceOf(HostException.class).hasMessageContaining("@server_wrongkey")
          .hasMessageContaining("authentication")
          .satisfies(e -> assertThat(e.getMessage()).as("no key material in the message")
              .doesNotContain("PRIVATE KEY").doesNotContain(Files.readString(key).substring(40, 80)));
    }
  }

  @Test
  void prefetchAnswersTheChecksOfABatchWithoutFurtherExchanges() throws IOException {
    Path site = Files.createDirectories(temp.resolve("site"));
    Files.createDirectories(site.resolve("files"));
    Files.writeString(site.resolve("settings.php"), "<?php // one");
    Files.writeString(site.resolve("odd\nname"), "x");
    Files.write(site.resolve(new String(new byte[] {'b', (byte) 0xff}, StandardCharsets.ISO_8859_1)), new byte[] {1});
    Path vhost = temp.resolve("vhost.conf");
    try (SshHost h = server.newHost("@server_prefetch")) {
      FileMode settingsMode = FileMode.of(mode(site.resolve("settings.php")));
      h.prefetch(List.of(site, vhost));
      SshHost.Statistics probed = h.statistics();
      assertThat(probed.commands()).as("one command gathers both trees").isEqualTo(1);
      assertThat(h.stat(site.resolve("settings.php"))).as("a file").get()
          .satisfies(i -> assertThat(i.size()).isEqualTo(12)).satisfies(i -> assertThat(i.owner()).isEqualTo(server.user()));
      assertThat(h.stat(site.resolve("odd\nname"))).as("a name with a newline").get()
          .satisfies(i -> assertThat(i.type()).isEqualTo(FileInfo.Type.FILE));
      assertThat(h.stat(site.resolve("missing"))).as("missing under a probed root").isEmpty();
      assertThat(h.stat(vhost)).as("a missing root").isEmpty();
      assertThat(h.read(vhost)).as("nothing to read").isEmpty();
      assertThat(h.contentEquals(site.resolve("settings.php"), bytes("<?php // one"))).as("same bytes, by hash").isTrue();
      assertThat(h.contentEquals(site.resolve("settings.php"), bytes("<?php // two"))).as("other bytes").isFalse();
      assertThat(h.write(site.resolve("settings.php"), bytes("<?php // one"), settingsMode)).as("unchanged").isFalse();
      assertThat(h.mkdirs(site.resolve("files"), FileMode.of(mode(site.resolve("files"))))).as("unchanged").isFalse();
      assertThat(h.statistics()).as("every check answered by the probe").isEqualTo(probed);
      assertThat(h.read(site.resolve("settings.php"))).as("read once").contains(bytes("<?php // one"));
      assertThat(h.read(site.resolve("settings.php"))).as("read again").contains(bytes("<?php // one"));
      assertThat(h.statistics().fileOperations()).as("the second read answered from the first").isEqualTo(1);
      assertThat(h.stat(temp)).as("the parent of a probed root (a platform's sites/, say)").isPresent();
      assertThat(h.statistics().fileOperations()).as("answered by the probe: no SFTP operation").isEqualTo(1);
      assertThat(h.stat(temp.getParent())).as("outside the roots: asked").isPresent();
      assertThat(h.statistics().fileOperations()).as("one SFTP operation more").isEqualTo(2);
    }
  }

  /**
   * The probe names every owner and group it finds with one look-up each for owners and groups:
   * several of each in one probe, and a number with no name, which stays a number (as
   * {@code stat} shows it).
   */
  @Test
  void prefetchNamesSeveralOwnersAndGroupsAndKeepsANumberWithoutAName() throws IOException {
    Path site = Files.createDirectories(temp.resolve("owners"));
    Path mine = Files.writeString(site.resolve("mine.php"), "a");
    Path web = Files.writeString(site.resolve("web.php"), "b");
    Path nobody = Files.writeString(site.resolve("nobody.php"), "c");
    Files.getFileAttributeView(web, PosixFileAttributeView.class).setOwner(
        web.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("www-data"));
    Files.getFileAttributeView(web, PosixFileAttributeView.class).setGroup(
        web.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName("www-data"));
    Files.setAttribute(nobody, "unix:uid", 54321);
    Files.setAttribute(nobody, "unix:gid", 54322);
    try (SshHost h = server.newHost("@server_owners")) {
      h.prefetch(List.of(site));
      SshHost.Statistics probed = h.statistics();
      assertThat(h.stat(mine)).as("the server's user").get()
          .satisfies(i -> assertThat(i.owner()).isEqualTo(server.user()));
      assertThat(h.stat(web)).as("another owner and group, named in the same probe").get()
          .satisfies(i -> assertThat(i.owner()).isEqualTo("www-data"))
          .satisfies(i -> assertThat(i.group()).isEqualTo("www-data"));
      assertThat(h.stat(nobody)).as("numbers with no name stay numbers").get()
          .satisfies(i -> assertThat(i.owner()).isEqualTo("54321"))
          .satisfies(i -> assertThat(i.group()).isEqualTo("54322"));
      assertThat(h.statistics()).as("all answered by the one probe").isEqualTo(probed);
    }
  }

  @Test
  void heldBackChangesLandWithOneCommandAsTheyWereAnnounced() throws IOException {
    Path site = Files.createDirectories(temp.resolve("held"));
    Files.writeString(site.resolve("old.php"), "old");
    Path deep = site.resolve("private/config/sync");
    try (SshHost h = server.newHost("@server_held")) {
      h.prefetch(List.of(site));
      SshHost.Statistics probed = h.statistics();
      assertThat(h.mkdirs(deep, FileMode.of(02770).withGroup("www-data"))).as("held back: new directories").isTrue();
      assertThat(h.write(deep.resolve("a.yml"), bytes("a: 1"), FileMode.of(0640))).as("a new file").isTrue();
      assertThat(h.write(site.resolve("old.php"), bytes("new"), FileMode.of(0440).withGroup("www-data")))
          .as("a replaced file").isTrue();
      assertThat(Files.readString(site.resolve("old.php"))).as("not yet applied").isEqualTo("old");
      assertThat(h.read(site.resolve("old.php"))).as("the host reads what it holds back").contains(bytes("new"));
      assertThat(Files.exists(deep)).as("not yet applied").isFalse();
      List<Optional<FileInfo>> announced = new ArrayList<>();
      for (Path p : List.of(site.resolve("private"), deep, deep.resolve("a.yml"), site.resolve("old.php"))) {
        announced.add(h.stat(p));
      }
      assertThat(h.statistics()).as("nothing sent yet").isEqualTo(probed);
      h.flush();
      assertThat(h.statistics().commands()).as("one command applies them all").isEqualTo(probed.commands() + 1);
      assertThat(Files.readString(site.resolve("old.php"))).as("replaced").isEqualTo("new");
      assertThat(Files.readString(deep.resolve("a.yml"))).as("written").isEqualTo("a: 1");
      assertThat(mode(deep)).as("set-group-id directory").isEqualTo(02770);
      assertThat(mode(deep.resolve("a.yml"))).isEqualTo(0640);
      List<Optional<FileInfo>> real = new ArrayList<>();
      for (Path p : List.of(site.resolve("private"), deep, deep.resolve("a.yml"), site.resolve("old.php"))) {
        real.add(h.stat(p).map(i -> new FileInfo(i.type(), i.permissions(), i.owner(), i.group(),
            i.type() == FileInfo.Type.DIRECTORY ? 4096 : i.size(), i.linkTarget())));
      }
      assertThat(real).as("what the host announced while holding back is what the server has").isEqualTo(announced);
      try (Stream<Path> s = Files.walk(site)) {
        assertThat(s.map(p -> p.getFileName().toString())).as("no temporary file left").noneMatch(n -> n.contains(".tmp-"));
      }
    }
  }

  /**
   * A site's install writes its directories and files on the web server (held back for the
   * batch), then pushes the site directory: the push finds all of it held back and must neither
   * send anything nor apply the held-back changes early (that cost an install batch one exchange
   * a site).
   */
  @Test
  void aSyncThatFindsEverythingHeldBackSendsNothingAndLeavesItToTheFlush() throws IOException {
    Path site = fresh("held-sync");
    Files.createDirectories(site.resolve("files"));
    Files.writeString(site.resolve("index.php"), "<?php // held");
    try (SshHost h = server.newHost("@server_held_sync")) {
      h.prefetch(List.of(site));
      SshHost.Statistics probed = h.statistics();
      assertThat(h.mkdirs(site, FileMode.of(mode(site)))).as("the site directory, held back").isTrue();
      assertThat(h.mkdirs(site.resolve("files"), FileMode.of(mode(site.resolve("files"))))).as("held back").isTrue();
      assertThat(h.write(site.resolve("index.php"), bytes("<?php // held"), FileMode.of(mode(site.resolve("index.php")))))
          .as("held back").isTrue();
      SyncResult pushed = h.sync(site, Set.of());
      assertThat(pushed.changedAnything()).as("the sync finds what is held back in place").isFalse();
      assertThat(h.statistics()).as("the sync sent nothing, and applied nothing early").isEqualTo(probed);
      assertThat(remote(site)).as("nothing applied yet").doesNotExist();
      h.flush();
      assertThat(h.statistics().commands()).as("one command applies it all").isEqualTo(probed.commands() + 1);
      assertThat(h.statistics().exchanges()).as("the probe and that command").isEqualTo(probed.exchanges() + 1);
      assertMirrored(site, Set.of());
    }
  }

  @Test
  void droppedConnectionWhileApplyingHeldBackChangesLeavesEveryTargetAsItWas() throws Exception {
    Path site = Files.createDirectories(temp.resolve("cut"));
    Files.writeString(site.resolve("keep.php"), "old");
    byte[] chunk = new byte[1 << 20];
    RANDOM.nextBytes(chunk);
    try (SshServer doomed = SshServer.builder().start();
        SshHost h = doomed.newHost("@server_doomed4")) {
      h.prefetch(List.of(site));
      assertThat(h.write(site.resolve("keep.php"), bytes("new"), FileMode.of(0644))).isTrue();
      for (int i = 0; i < 30; i++) {
        assertThat(h.write(site.resolve("f" + i + ".bin"), chunk, FileMode.of(0644))).isTrue();
      }
      // Drop the connection as soon as the stream has begun to land (a temporary file exists).
      Thread killer = new Thread(() -> {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try {
          while (System.nanoTime() < deadline) {
            try (Stream<Path> s = Files.list(site)) {
              if (s.anyMatch(p -> p.getFileName().toString().contains(".tmp-"))) {
                break;
              }
            }
            Thread.sleep(1);
          }
        } catch (IOException e) {
          // kill anyway
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        doomed.dropConnections();
      });
      killer.start();
      Throwable failure = null;
      try {
        h.flush();
      } catch (HostException e) {
        failure = e;
      }
      killer.join();
      System.out.printf("SshHostIT: held-back flush interrupted by a dropped connection: %s%n", failure == null ? "completed first" : failure.getMessage());
      if (failure != null) {
        assertThat(failure).as("the flush fails naming the host").hasMessageContaining("@server_doomed4");
        assertThat(Files.readString(site.resolve("keep.php"))).as("the replaced file is the old one").isEqualTo("old");
        try (Stream<Path> s = Files.list(site)) {
          assertThat(s.map(p -> p.getFileName().toString())).as("no new target").noneMatch(n -> n.matches("f[0-9]+\\.bin"));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<String> temps;
        do {
          try (Stream<Path> s = Files.list(site)) {
            temps = s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-")).toList();
          }
        } while (!temps.isEmpty() && System.nanoTime() < deadline);
        assertThat(temps).as("the script removes its temporary files when the stream is cut").isEmpty();
      } else {
        assertThat(Files.readString(site.resolve("keep.php"))).as("a flush that finished replaced it").isEqualTo("new");
      }
    }
  }

  @Test
  void throughALatencyProxyTheHostKeyIsStillChecked() throws IOException {
    try (LatencyProxy proxy = server.latencyProxy(Duration.ofMillis(20));
        SshHost far = server.newHost("@server_far", proxy)) {
      long t0 = System.nanoTime();
      assertThat(far.run(Command.of("echo", "far")).stdout()).as("a command through the proxy").isEqualTo("far\n");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("connecting takes several delayed round trips")
          .isGreaterThan(Duration.ofMillis(80));
      assertThat(proxy.acceptedConnections()).as("the host connected through the proxy").isEqualTo(1);
      Path wrongKeys = temp.resolve("known_hosts");
      Files.writeString(wrongKeys, Files.readString(server.knownHosts()).replaceFirst("^\\S+",
          "[" + proxy.address() + "]:" + (proxy.port() == 65535 ? 1 : proxy.port() + 1)));
      try (SshHost unknown = new SshHost("@server_unknown", proxy.address(), proxy.port(), server.user(),
          server.identity(), wrongKeys, Duration.ofSeconds(10))) {
        assertThatThrownBy(() -> unknown.run(Command.of("true"))).as("the key is checked for the proxy's endpoint")
            .isInstanceOf(HostException.class).hasMessageContaining("is not in");
      }
    }
  }

  @Test
  void droppedConnectionFailsNamingTheHost() {
    try (SshServer doomed = SshServer.builder().start();
        SshHost h = doomed.newHost("@server_doomed")) {
      assertThat(h.run(Command.of("true")).exitCode()).as("connected").isZero();
      assertThat(h.stat(Path.of("/tmp"))).as("SFTP open").isPresent();
      doomed.kill();
      assertThat(doomed.isRunning()).as("sshd is dead").isFalse();
      assertThatThrownBy(() -> h.stat(Path.of("/tmp"))).as("the next file operation")
          .isInstanceOf(HostException.class).hasMessageContaining("@server_doomed")
          .hasMessageContaining("connection lost");
      assertThatThrownBy(() -> h.run(Command.of("true"))).as("the next command")
          .isInstanceOf(HostException.class).hasMessageContaining("@server_doomed")
          .hasMessageContaining("connection lost");
      assertThatThrownBy(() -> h.write(Path.of("/tmp/x"), bytes("x"), FileMode.of(0644)))
          .as("no automatic reconnect").isInstanceOf(HostException.class).hasMessageContaining("connection lost");
    }
  }

  @Test
  void droppedConnectionNeverLeavesAHalfWrittenFile() throws Exception {
    byte[] big = new byte[48 << 20];
    RANDOM.nextBytes(big);
    Path target = temp.resolve("big.bin");
    try (SshServer doomed = SshServer.builder().start();
        SshHost h = doomed.newHost("@server_doomed3")) {
      assertThat(h.run(Command.of("true")).exitCode()).as("connected").isZero();
      // Kill the server as soon as the temporary file has received some bytes.
      Thread killer = new Thread(() -> {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try {
          while (System.nanoTime() < deadline) {
            try (Stream<Path> s = Files.list(temp)) {
              if (s.anyMatch(p -> p.getFileName().toString().startsWith(".big.bin.tmp-") && size(p) > (1 << 20))) {
                break;
              }
            }
            Thread.sleep(1);
          }
        } catch (IOException e) {
          // kill anyway
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        doomed.kill();
      });
      killer.start();
      Throwable failure = null;
      try {
        h.write(target, big, FileMode.of(0644));
      } catch (HostException e) {
        failure = e;
      }
      killer.join();
      List<Path> left;
      try (Stream<Path> s = Files.list(temp)) {
        left = s.toList();
      }
      System.out.printf("SshHostIT: write interrupted by kill: %s; target exists: %s; left in dir: %s%n",
          failure == null ? "completed first" : "failed", Files.exists(target), left);
      if (failure != null) {
        assertThat(failure).as("the write fails naming the lost connection")
            .hasMessageContaining("@server_doomed3").hasMessageContaining("connection lost");
        assertThat(Files.exists(target)).as("an interrupted write leaves no target at all").isFalse();
      } else {
        assertThat(Files.readAllBytes(target)).as("a write that finished left a complete target").isEqualTo(big);
      }
    }
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return 0;
    }
  }

  @Test
  void droppedConnectionDuringACommand() throws InterruptedException {
    try (SshServer doomed = SshServer.builder().start();
        SshHost h = doomed.newHost("@server_doomed2")) {
      Thread killer = new Thread(() -> {
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        doomed.kill();
      });
      assertThat(h.run(Command.of("true")).exitCode()).as("connected").isZero();
      killer.start();
      assertThatThrownBy(() -> h.run(Command.of("sleep", "30")))
          .as("a command running while the connection drops").isInstanceOf(HostException.class)
          .hasMessageContaining("@server_doomed2").hasMessageContaining("connection lost");
      killer.join();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
