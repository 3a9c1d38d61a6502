package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.api.HostException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.core.host.LocalHost;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.SyncResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the host contract against {@link FakeHost} (in a directory that exists only in memory),
 * plus its stubs, recording, inspection helpers, sync and provider.
 */
class FakeHostTest extends HostContract {
  private static final Path SRV = Path.of("/srv/aegir");

  @TempDir Path localDisk;

  @Override
  protected Host newHost(Path scratch) {
    FakeHost fake = new FakeHost("fake");
    fake.mkdirs(scratch, FileMode.of(0755));
    fake.clearRecorded();
    return fake;
  }

  @Override
  protected Path scratch() {
    return SRV.resolve("scratch");
  }

  @Override
  protected boolean runsRealCommands() {
    return false;
  }

  private FakeHost fake() {
    return (FakeHost) host();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- commands

  @Test
  void commandsAreRecordedAndSucceedSilentlyByDefault() {
    FakeHost f = fake();
    CommandResult r = f.run(Command.of("printf", "%s\n", "a b", "$(id)", ";ls"));
    assertThat(r.exitCode()).as("an unknown command succeeds by default").isZero();
    assertThat(r.stdout()).as("with no output").isEmpty();
    assertThat(r.host()).as("the result names the fake").isEqualTo("fake");
    f.run(Command.shell("echo err >&2; exit 3"));
    assertThat(f.commands()).extracting(Command::argv).as("every command is recorded with its argv, literally")
        .containsExactly(List.of("printf", "%s\n", "a b", "$(id)", ";ls"),
            List.of("/bin/sh", "-c", "echo err >&2; exit 3"));
    assertThat(f.commands().get(1).shell()).as("and whether it was a shell command").isTrue();
    assertThat(f.commandLines()).as("displays, in order")
        .containsExactly("printf %s\n a b $(id) ;ls", "echo err >&2; exit 3");
  }

  @Test
  void stubsAnswerByPrefixOrPredicateAndTheLatestMatchWins() {
    FakeHost f = fake();
    f.onCommand("nginx", 0, "generic\n", "");
    f.onCommand("nginx -t", 1, "", "nginx: [emerg] unknown directive");
    f.onCommand(c -> c.argv().contains("--secret"), c -> f.result(c, 0, "redacted", ""));
    CommandResult test = f.run(Command.of("nginx", "-t"));
    assertThat(test.exitCode()).as("the later, more specific stub answers").isEqualTo(1);
    assertThat(test.stderrTail()).as("with its standard error").contains("unknown directive");
    assertThatThrownBy(test::orThrow).as("a stubbed failure fails like a real one")
        .isInstanceOf(HostCommandException.class).hasMessageContaining("unknown directive");
    assertThat(f.run(Command.of("nginx", "-s", "reload")).stdout()).as("the earlier stub answers the rest")
        .isEqualTo("generic\n");
    assertThat(f.run(Command.of("tool", "--secret").withDisplay("tool ****")).stdout())
        .as("a predicate sees the whole command, argv included").isEqualTo("redacted");
    assertThat(f.commandLines()).as("commands are recorded as displayed, secrets left out")
        .containsExactly("nginx -t", "nginx -s reload", "tool ****");
  }

  @Test
  void aTimeoutStubFailsLikeARealTimeout() {
    FakeHost f = fake();
    f.timeoutOn("drush");
    Command c = Command.of("drush", "cc", "all").withTimeout(Duration.ofSeconds(30));
    assertThatThrownBy(() -> f.run(c)).as("a simulated timeout")
        .isInstanceOf(HostCommandException.class).hasMessageContaining("timed out after 30 s")
        .hasMessageContaining("drush cc all")
        .satisfies(e -> assertThat(((HostCommandException) e).exitCode()).as("no exit status").isEqualTo(-1));
    assertThat(f.commands()).as("a command that timed out was still run").containsExactly(c);
  }

  @Test
  void failUnknownCommandsMakesUnstubbedCommandsFailToStart() {
    FakeHost f = fake().failUnknownCommands();
    f.onCommand("true", 0, "", "");
    assertThat(f.run(Command.of("true")).succeeded()).as("a stubbed command still answers").isTrue();
    assertThatThrownBy(() -> f.run(Command.of("rm", "-rf", "/var/aegir")))
        .as("an unknown command cannot start").isInstanceOf(HostCommandException.class)
        .hasMessageContaining("rm -rf /var/aegir").hasMessageContaining("no stub");
    assertThat(f.commandLines()).as("both are recorded").containsExactly("true", "rm -rf /var/aegir");
  }

  @Test
  void aStubMayWorkOnTheHostsFiles() {
    FakeHost f = fake();
    Path made = dir().resolve("made-by-command");
    f.onCommand("touch", c -> {
      f.write(Path.of(c.argv().get(1)), new byte[0], FileMode.of(0644));
      return f.result(c, 0, "", "");
    });
    f.run(Command.of("touch", made.toString()));
    assertThat(f.exists(made)).as("the stub's side effect is visible").isTrue();
  }

  @Test
  void stdinIsRecordedWithTheCommand() {
    FakeHost f = fake();
    f.run(Command.of("mysql").withStdin(bytes("CREATE DATABASE x;")));
    assertThat(f.commands().get(0).stdin()).as("what was fed to the command")
        .hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).as("as sent")
            .isEqualTo("CREATE DATABASE x;"));
  }

  // ---------------------------------------------------------------- inspection

  @Test
  void inspectionHelpersShowTheFileSystem() {
    FakeHost f = fake();
    Path conf = dir().resolve("config/site.conf");
    f.mkdirs(conf.getParent(), FileMode.of(0711));
    f.write(conf, bytes("listen 80;\n"), FileMode.of(0644));
    f.symlink(dir().resolve("current"), "config");
    assertThat(f.files()).as("regular files with their content, sorted by path")
        .containsExactly(Map.entry(conf.toString(), "listen 80;\n"));
    assertThat(f.modes()).as("every entry's mode, in octal")
        .containsEntry(conf.toString(), "0644")
        .containsEntry(conf.getParent().toString(), "0711")
        .containsEntry(dir().toString(), "0755")
        .containsEntry("/srv", "0755")
        .containsEntry(dir().resolve("current").toString(), "0777")
        .doesNotContainKey("/");
    assertThat(f.directories()).as("directories, sorted")
        .containsExactly("/srv", "/srv/aegir", dir().toString(), conf.getParent().toString());
    assertThat(f.links()).as("links with their targets")
        .containsExactly(Map.entry(dir().resolve("current").toString(), "config"));
    assertThat(f.snapshot()).as("one comparable value of everything")
        .containsEntry(conf.toString(), "f 0644 aegir:aegir listen 80;\n")
        .containsEntry(conf.getParent().toString(), "d 0711 aegir:aegir")
        .containsEntry(dir().resolve("current").toString(), "l 0777 aegir:aegir -> config");
    assertThat(f.exists(conf)).as("exists(Path)").isTrue();
    assertThat(f.exists(conf.toString())).as("exists(String)").isTrue();
    assertThat(f.exists(dir().resolve("nope"))).as("exists of nothing").isFalse();
    assertThat(f.content(conf)).as("content(Path)").isEqualTo("listen 80;\n");
    assertThat(f.content(dir().resolve("current/site.conf").toString()))
        .as("content(String), through a link").isEqualTo("listen 80;\n");
    assertThatThrownBy(() -> f.content(dir().resolve("nope"))).as("content of nothing fails the test")
        .isInstanceOf(AssertionError.class).hasMessageContaining("nope");
  }

  @Test
  void writesCountsTheOperationsThatChangedSomething() {
    FakeHost f = fake();
    Path a = dir().resolve("a");
    f.write(a, bytes("1"), FileMode.of(0644));
    f.write(a, bytes("1"), FileMode.of(0644));
    f.write(a, bytes("1"), FileMode.of(0600));
    f.mkdirs(dir().resolve("d/e"), FileMode.of(0711));
    f.mkdirs(dir().resolve("d/e"), FileMode.of(0711));
    f.symlink(dir().resolve("l"), "a");
    f.symlink(dir().resolve("l"), "a");
    f.remove(dir().resolve("d"));
    f.remove(dir().resolve("d"));
    assertThat(f.writes()).as("write, mode change, mkdirs, symlink, remove: the repeats changed nothing")
        .isEqualTo(5);
  }

  @Test
  void ownerAndGroupFollowTheModeAndSetgidDirectories() {
    FakeHost f = fake();
    Path shared = dir().resolve("files");
    f.mkdirs(shared, FileMode.of(02770).withGroup("www-data"));
    Path file = shared.resolve("upload.png");
    f.write(file, bytes("png"), FileMode.of(0664));
    assertThat(f.stat(file).orElseThrow().group()).as("a file in a setgid directory takes its group")
        .isEqualTo("www-data");
    assertThat(f.stat(file).orElseThrow().owner()).as("and the default owner").isEqualTo("aegir");
    Path other = dir().resolve("other.txt");
    f.write(other, bytes("x"), FileMode.of(0644).withOwner("root").withGroup("root"));
    assertThat(f.stat(other).orElseThrow().matches(FileMode.of(0644).withOwner("root").withGroup("root")))
        .as("owner and group as asked").isTrue();
    assertThat(f.write(other, bytes("x"), FileMode.of(0644).withGroup("aegir")))
        .as("a group change alone is a change").isTrue();
    FakeHost web = new FakeHost("web").defaultOwner("deploy", "deploy");
    web.mkdirs(SRV, FileMode.of(0755));
    assertThat(web.stat(SRV).orElseThrow().owner()).as("the default owner is configurable").isEqualTo("deploy");
  }

  @Test
  void closeKeepsTheState() {
    FakeHost f = fake();
    Path a = dir().resolve("a");
    f.write(a, bytes("kept"), FileMode.of(0644));
    f.close();
    f.close();
    assertThat(f.closes()).as("closes are counted").isEqualTo(2);
    assertThat(f.content(a)).as("the files survive a close, as a server's do").isEqualTo("kept");
    assertThat(f.write(dir().resolve("b"), bytes("b"), FileMode.of(0644)))
        .as("and the host still works, for the next task").isTrue();
  }

  @Test
  void clearRecordedKeepsTheFilesAndResetKeepsTheStubs() {
    FakeHost f = fake();
    f.onCommand("hostname", 0, "web1\n", "");
    Path a = dir().resolve("a");
    f.write(a, bytes("1"), FileMode.of(0644));
    f.run(Command.of("hostname"));
    f.sync(dir(), Set.of());
    f.clearRecorded();
    assertThat(f.commands()).as("commands forgotten").isEmpty();
    assertThat(f.syncs()).as("syncs forgotten").isEmpty();
    assertThat(f.writes()).as("writes zeroed").isZero();
    assertThat(f.exists(a)).as("files kept").isTrue();
    f.reset();
    assertThat(f.files()).as("reset empties the file system").isEmpty();
    assertThat(f.modes()).as("entirely").isEmpty();
    assertThat(f.exists(Path.of("/"))).as("but / always exists").isTrue();
    assertThat(f.run(Command.of("hostname")).stdout()).as("stubs stay").isEqualTo("web1\n");
  }

  @Test
  void instancesDoNotShareState() {
    FakeHost a = new FakeHost("a");
    FakeHost b = new FakeHost("b");
    a.mkdirs(SRV, FileMode.of(0755));
    a.run(Command.of("true"));
    assertThat(b.modes()).as("state is per instance, never static").isEmpty();
    assertThat(b.commands()).as("commands too").isEmpty();
    assertThat(fake().exists(SRV.resolve("scratch"))).as("the test's own fake has its scratch directory")
        .isTrue();
  }

  @Test
  void concurrentWritersAreSafe() throws Exception {
    FakeHost f = fake();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int id = t;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < 200; i++) {
            f.mkdirs(dir().resolve("t" + id), FileMode.of(0755));
            f.write(dir().resolve("t" + id + "/f" + i), bytes("x" + i), FileMode.of(0644));
            f.run(Command.of("echo", Integer.toString(i)));
          }
          return null;
        }));
      }
      for (Future<?> fu : futures) {
        fu.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(f.files()).as("every write landed").hasSize(800);
    assertThat(f.commands()).as("every command was recorded").hasSize(800);
    assertThat(f.writes()).as("4 directories and 800 files").isEqualTo(804);
  }

  // ---------------------------------------------------------------- sync

  @Test
  void syncIsRecordedAndChangesNothingWithoutASource() {
    FakeHost f = fake();
    SyncResult r = f.sync(dir(), Set.of("*.tmp"));
    assertThat(r.changedAnything()).as("nothing to copy from").isFalse();
    assertThat(f.syncs()).as("the call is recorded")
        .containsExactly(new FakeHost.SyncCall(dir(), Set.of("*.tmp"), r));
    assertThatThrownBy(() -> f.sync(dir(), Set.of("/absolute"))).as("excludes are relative globs")
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/absolute");
    assertThatThrownBy(() -> f.sync(Path.of("relative"), Set.of())).as("the directory is absolute")
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void syncFromAnotherFakeMakesTheTreeEqualButLeavesExcludesAlone() {
    Path inc = SRV.resolve("config/includes");
    FakeHost master = new FakeHost("master", true);
    master.mkdirs(inc.resolve("sub"), FileMode.of(0711));
    master.write(inc.resolve("global.inc"), bytes("<?php // master\n"), FileMode.of(0644));
    master.write(inc.resolve("same.inc"), bytes("same"), FileMode.of(0644));
    master.write(inc.resolve("sub/mode.inc"), bytes("m"), FileMode.of(0600));
    master.write(inc.resolve("skip.tmp"), bytes("tmp"), FileMode.of(0644));
    master.symlink(inc.resolve("link.inc"), "global.inc");
    FakeHost web = fake().syncFrom(master);
    web.mkdirs(inc.resolve("sub"), FileMode.of(0711));
    web.mkdirs(inc.resolve("old/deeper"), FileMode.of(0711));
    web.write(inc.resolve("global.inc"), bytes("<?php // stale\n"), FileMode.of(0644));
    web.write(inc.resolve("same.inc"), bytes("same"), FileMode.of(0644));
    web.write(inc.resolve("sub/mode.inc"), bytes("m"), FileMode.of(0644));
    web.write(inc.resolve("gone.inc"), bytes("gone"), FileMode.of(0644));
    web.write(inc.resolve("local.tmp"), bytes("remote only"), FileMode.of(0644));
    web.clearRecorded();

    SyncResult r = web.sync(inc, Set.of("*.tmp"));
    assertThat(r.added()).as("new entries").containsExactlyInAnyOrder("link.inc");
    assertThat(r.changed()).as("different content or mode").containsExactlyInAnyOrder("global.inc", "sub/mode.inc");
    assertThat(r.deleted()).as("what the source lacks").containsExactlyInAnyOrder("gone.inc", "old/deeper/", "old/");
    assertThat(web.content(inc.resolve("global.inc"))).as("content copied").isEqualTo("<?php // master\n");
    assertThat(web.modes()).as("modes copied").containsEntry(inc.resolve("sub/mode.inc").toString(), "0600");
    assertThat(web.links()).as("links copied").containsEntry(inc.resolve("link.inc").toString(), "global.inc");
    assertThat(web.exists(inc.resolve("skip.tmp"))).as("excluded files are not sent").isFalse();
    assertThat(web.content(inc.resolve("local.tmp"))).as("nor deleted").isEqualTo("remote only");
    assertThat(web.writes()).as("one sync that changed things").isEqualTo(1);
    assertThat(web.sync(inc, Set.of("*.tmp")).changedAnything()).as("a second sync changes nothing").isFalse();
    assertThat(web.syncs()).as("both syncs are recorded").hasSize(2);
  }

  @Test
  void syncFromTheLocalDiskCreatesTheDirectory() throws Exception {
    Path inc = localDisk.resolve("config/includes");
    Files.createDirectories(inc.resolve("private"));
    Files.writeString(inc.resolve("global.inc"), "<?php\n");
    Files.setPosixFilePermissions(inc.resolve("global.inc"), PosixFilePermissions.fromString("rw-r-----"));
    Files.writeString(inc.resolve("private/key"), "secret");
    FakeHost web = new FakeHost("web").syncFrom(new LocalHost("local"));
    SyncResult r = web.sync(inc, Set.of("private"));
    assertThat(r.added()).as("the directory and its file, not the excluded one")
        .containsExactlyInAnyOrder("./", "global.inc");
    assertThat(web.content(inc.resolve("global.inc"))).as("copied from the disk").isEqualTo("<?php\n");
    assertThat(web.modes()).as("with its mode").containsEntry(inc.resolve("global.inc").toString(), "0640")
        .containsEntry(inc.getParent().toString(), "0755");
    assertThat(web.exists(inc.resolve("private"))).as("excluded").isFalse();
    FakeHost none = new FakeHost("none").syncFrom(new LocalHost("local"));
    assertThatThrownBy(() -> none.sync(localDisk.resolve("missing"), Set.of()))
        .as("a source without the directory is an error, as for a real sync")
        .isInstanceOf(HostException.class).hasMessageContaining("missing");
  }

  // ---------------------------------------------------------------- provider

  @Test
  void theProviderHandsEachServerItsOwnFake() {
    FakeHost web1 = new FakeHost("server_web1");
    FakeHost db = new FakeHost("db");
    FakeHost.Provider byName = FakeHost.provider(web1);
    FakeHost.Provider byMap = FakeHost.provider(Map.of("@server_db1", db));
    ResolvedContext rWeb1 = resolved("server_web1", "web1.example.com");
    assertThat(byName.open(rWeb1)).as("a fake given by name serves its server").isSameAs(web1);
    assertThat(byName.open(rWeb1)).as("every time, so files survive from task to task").isSameAs(web1);
    assertThat(byMap.open(resolved("server_db1", "db1.example.com"))).as("a fake given by map").isSameAs(db);
    Host other = byName.open(resolved("server_web2", "web2.example.com"));
    assertThat(other).as("an unknown server gets a new fake").isInstanceOf(FakeHost.class).isNotSameAs(web1);
    assertThat(other.name()).as("named like a real host").isEqualTo("@server_web2 (web2.example.com)");
    assertThat(other.isLocal()).as("remote").isFalse();
    assertThat(byName.open(resolved("server_web2", "web2.example.com"))).as("and keeps it").isSameAs(other);
    assertThat(byName.host("@server_web2")).as("for inspection").isSameAs(other);
    assertThat(byName.open(resolved("server_master", "localhost")).isLocal())
        .as("a server on this machine gets a local fake").isTrue();
    assertThat(byName.hosts()).as("every fake so far").containsOnlyKeys("server_web1", "server_web2", "server_master");
  }

  private static ResolvedContext resolved(String server, String remoteHost) {
    return new ResolvedContext(Server.named(server).remoteHost(remoteHost).build(), 1,
        List.of(new ResolvedContext.Property("remote_host", Optional.of(remoteHost),
            ResolvedContext.Source.SET, false)));
  }
}
