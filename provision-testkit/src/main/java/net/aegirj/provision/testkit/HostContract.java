package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.api.HostException;
import net.aegirj.provision.core.host.LocalHost;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executable definition of the {@link Host} contract, with
 * {@link LocalHost} as the reference. To test an implementation,
 * extend this class and return a host whose scratch directory exists and is empty:
 *
 * <pre>{@code
 * class MyHostTest extends HostContract {
 *   @Override protected Host newHost(Path scratch) { return new MyHost("test"); }
 * }
 * }</pre>
 *
 * <p>The scratch directory is, by default, a new local temporary directory for every test
 * ({@link #scratch()}); a host that does not see the local disk overrides {@link #scratch()} or
 * creates the directory in {@link #newHost(Path)}. Every test gets a new host, closed afterwards.
 * A host that runs no real commands (a fake) overrides {@link #runsRealCommands()}, which skips
 * the command tests.
 */
public abstract class HostContract {
  /** The default scratch directory; JUnit creates it before and deletes it after each test. */
  @TempDir Path contractTemp;

  private Host host;
  private Path dir;

  /** Creates the contract; subclasses need no constructor arguments. */
  protected HostContract() {}

  /**
   * Creates the host under test. Called once before every test; the host is closed after it.
   *
   * @param scratch an absolute, normalised directory the tests work in; it must exist on the host
   *     and be empty
   * @return the host
   */
  protected abstract Host newHost(Path scratch);

  /**
   * The directory the tests work in. Defaults to a new local temporary directory per test.
   *
   * @return an absolute directory
   */
  protected Path scratch() {
    return contractTemp;
  }

  /**
   * Tells whether the host runs real programs ({@code printf}, {@code /bin/sh}). Defaults to
   * true; false skips the command tests.
   *
   * @return true when commands really run
   */
  protected boolean runsRealCommands() {
    return true;
  }

  /** @return the host of the running test, for subclasses' own tests */
  protected final Host host() {
    return host;
  }

  /** @return the scratch directory of the running test, absolute and normalised */
  protected final Path dir() {
    return dir;
  }

  /** Opens the host of the test in its scratch directory. */
  @BeforeEach
  public final void openHost() {
    dir = scratch().toAbsolutePath().normalize();
    host = newHost(dir);
  }

  /** Closes the host of the test. */
  @AfterEach
  public final void closeHost() {
    if (host != null) {
      host.close();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private String text(Path p) {
    return host.read(p).map(b -> new String(b, StandardCharsets.UTF_8)).orElse(null);
  }

  private FileInfo info(Path p) {
    return host.stat(p).orElseThrow(() -> new AssertionError("nothing at " + p));
  }

  // ---------------------------------------------------------------- files

  @Test
  public void writeCreatesAFileWithItsBytesAndMode() {
    Path f = dir.resolve("settings.php");
    assertThat(host.write(f, bytes("<?php\n"), FileMode.of(0644))).as("a new file is a change").isTrue();
    assertThat(text(f)).as("read returns the bytes written").isEqualTo("<?php\n");
    FileInfo i = info(f);
    assertThat(i.type()).as("stat sees a regular file").isEqualTo(FileInfo.Type.FILE);
    assertThat(i.permissions()).as("with the mode asked for").isEqualTo(0644);
    assertThat(i.size()).as("and its size in bytes").isEqualTo(6);
    assertThat(i.owner()).as("stat names an owner").isNotBlank();
    assertThat(i.group()).as("stat names a group").isNotBlank();
    assertThat(i.linkTarget()).as("a file has no link target").isEmpty();
  }

  @Test
  public void everyModeIsKeptExactlyIncludingSetgid() {
    for (int mode : new int[] {0644, 0711, 0700, 02770, 0600, 0755}) {
      String octal = FileMode.of(mode).octal();
      Path f = dir.resolve("file-" + octal);
      host.write(f, bytes(octal), FileMode.of(mode));
      assertThat(info(f).permissions()).as("a file written with %s keeps it", octal).isEqualTo(mode);
      Path d = dir.resolve("dir-" + octal);
      host.mkdirs(d, FileMode.of(mode));
      assertThat(info(d).permissions()).as("a directory created with %s keeps it", octal).isEqualTo(mode);
      assertThat(info(d).matches(FileMode.of(mode))).as("FileInfo.matches agrees for %s", octal).isTrue();
    }
  }

  @Test
  public void writingTheSameBytesAndModeAgainChangesNothing() {
    Path f = dir.resolve("a.conf");
    host.write(f, bytes("x = 1\n"), FileMode.of(0640));
    FileInfo before = info(f);
    assertThat(host.write(f, bytes("x = 1\n"), FileMode.of(0640))).as("an identical write is no change").isFalse();
    assertThat(host.write(f, bytes("x = 1\n"), FileMode.of(0640).withOwner(before.owner())
        .withGroup(before.group()))).as("nor is one that names the owner and group it already has").isFalse();
    assertThat(info(f)).as("the file is as it was").isEqualTo(before);
  }

  @Test
  public void aModeOnlyChangeIsAChange() {
    Path f = dir.resolve("secret.inc");
    host.write(f, bytes("pw"), FileMode.of(0644));
    assertThat(host.write(f, bytes("pw"), FileMode.of(0600))).as("new mode, same bytes: a change").isTrue();
    assertThat(info(f).permissions()).as("the new mode applies").isEqualTo(0600);
    assertThat(text(f)).as("the bytes are unchanged").isEqualTo("pw");
    assertThat(host.write(f, bytes("pw"), FileMode.of(02770))).as("setgid added: a change").isTrue();
    assertThat(info(f).permissions()).as("setgid sticks on a rewrite of the mode").isEqualTo(02770);
  }

  @Test
  public void newContentReplacesTheFileAndLeavesNoTemporaryFiles() {
    Path f = dir.resolve("vhost.conf");
    host.write(f, bytes("one"), FileMode.of(0644));
    assertThat(host.write(f, bytes("two, longer"), FileMode.of(0644))).as("new bytes: a change").isTrue();
    assertThat(text(f)).as("the new bytes are read back").isEqualTo("two, longer");
    assertThat(host.write(f, new byte[0], FileMode.of(0644))).as("emptying a file is a change").isTrue();
    assertThat(host.read(f)).as("an empty file reads as zero bytes, not as missing")
        .hasValueSatisfying(b -> assertThat(b).as("no bytes").isEmpty());
    assertThat(host.list(dir)).as("no temporary file is left next to it").containsExactly("vhost.conf");
  }

  @Test
  public void writeNeedsAnExistingParentDirectory() {
    Path f = dir.resolve("missing/settings.php");
    assertThatThrownBy(() -> host.write(f, bytes("x"), FileMode.of(0644)))
        .as("no parent directory: a host failure naming the path")
        .isInstanceOf(HostException.class)
        .hasMessageContaining(f.toString())
        .satisfies(e -> assertThat(((HostException) e).host()).as("naming the host").isEqualTo(host.name()));
    assertThat(host.stat(f.getParent())).as("the parent is not created").isEmpty();
  }

  @Test
  public void writeRefusesADirectoryOrALinkInTheWay() {
    Path d = dir.resolve("sites");
    host.mkdirs(d, FileMode.of(0755));
    assertThatThrownBy(() -> host.write(d, bytes("x"), FileMode.of(0644)))
        .as("a directory is not overwritten by a file").isInstanceOf(HostException.class)
        .hasMessageContaining(d.toString());
    Path target = dir.resolve("real.txt");
    host.write(target, bytes("real"), FileMode.of(0644));
    Path link = dir.resolve("link.txt");
    host.symlink(link, target.toString());
    assertThatThrownBy(() -> host.write(link, bytes("x"), FileMode.of(0644)))
        .as("a file is not written through a symbolic link").isInstanceOf(HostException.class)
        .hasMessageContaining(link.toString());
    assertThat(text(target)).as("the link's target is untouched").isEqualTo("real");
  }

  @Test
  public void mkdirsCreatesMissingParentsWith0755() {
    Path c = dir.resolve("a/b/c");
    assertThat(host.mkdirs(c, FileMode.of(0711))).as("new directories: a change").isTrue();
    assertThat(info(dir.resolve("a")).permissions()).as("a created parent gets 0755").isEqualTo(0755);
    assertThat(info(dir.resolve("a/b")).permissions()).as("every created parent gets 0755").isEqualTo(0755);
    assertThat(info(c).type()).as("the directory exists").isEqualTo(FileInfo.Type.DIRECTORY);
    assertThat(info(c).permissions()).as("with its own mode").isEqualTo(0711);
    assertThat(host.mkdirs(c, FileMode.of(0711))).as("an existing directory with its mode: no change").isFalse();
    assertThat(host.mkdirs(c, FileMode.of(0700))).as("a new mode: a change").isTrue();
    assertThat(info(c).permissions()).as("the new mode applies").isEqualTo(0700);
    assertThat(info(dir.resolve("a")).permissions()).as("parents that existed keep their mode").isEqualTo(0755);
    host.mkdirs(dir.resolve("a"), FileMode.of(0750));
    assertThat(host.mkdirs(dir.resolve("a/b/d"), FileMode.of(0711))).as("a sibling: a change").isTrue();
    assertThat(info(dir.resolve("a")).permissions()).as("an existing parent's mode is left alone").isEqualTo(0750);
  }

  @Test
  public void mkdirsRefusesAFileInTheWay() {
    Path f = dir.resolve("config");
    host.write(f, bytes("x"), FileMode.of(0644));
    assertThatThrownBy(() -> host.mkdirs(f, FileMode.of(0711)))
        .as("a file where a directory should be").isInstanceOf(HostException.class)
        .hasMessageContaining(f.toString());
    assertThatThrownBy(() -> host.mkdirs(f.resolve("sub"), FileMode.of(0711)))
        .as("a file where a parent should be").isInstanceOf(HostException.class);
    assertThat(text(f)).as("the file is untouched").isEqualTo("x");
  }

  @Test
  public void symlinkIsReplacedOnlyWhenItPointsElsewhere() {
    Path link = dir.resolve("current");
    assertThat(host.symlink(link, "/var/aegir/platforms/d10")).as("a new link: a change").isTrue();
    assertThat(info(link).linkTarget()).as("pointing at the target").contains("/var/aegir/platforms/d10");
    assertThat(host.symlink(link, "/var/aegir/platforms/d10")).as("the same target: no change").isFalse();
    assertThat(host.symlink(link, "/var/aegir/platforms/d11")).as("another target: a change").isTrue();
    assertThat(info(link).linkTarget()).as("the link was replaced").contains("/var/aegir/platforms/d11");
    assertThat(host.symlink(link, "relative/target")).as("a relative target: a change").isTrue();
    assertThat(info(link).linkTarget()).as("relative targets are kept as given").contains("relative/target");
    assertThat(host.list(dir)).as("no temporary link is left").containsExactly("current");
  }

  @Test
  public void renameMovesATreeAndNeverReplaces() {
    Path site = dir.resolve("example.com");
    host.mkdirs(site.resolve("files"), FileMode.of(02770));
    host.write(site.resolve("files/upload.txt"), bytes("upload"), FileMode.of(0640));
    Path aside = dir.resolve(".example.com.removed-1");
    assertThat(host.rename(site, aside)).as("an existing tree is renamed").isTrue();
    assertThat(host.stat(site)).as("it is gone from its place").isEmpty();
    assertThat(host.read(aside.resolve("files/upload.txt"))).as("its content moved with it")
        .hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("upload"));
    assertThat(info(aside.resolve("files")).permissions()).as("with its modes").isEqualTo(02770);
    assertThat(host.rename(site, dir.resolve("other"))).as("a missing path: nothing to do").isFalse();
    host.mkdirs(site, FileMode.of(0755));
    assertThatThrownBy(() -> host.rename(aside, site)).as("an existing target is never replaced")
        .isInstanceOf(HostException.class).hasMessageContaining(site.toString());
    host.remove(site);
    assertThat(host.rename(aside, site)).as("renamed back").isTrue();
    assertThat(host.list(dir)).as("only the tree, back in its place").containsExactly("example.com");
  }

  @Test
  public void symlinkReplacesAFileButNotADirectory() {
    Path f = dir.resolve("alias");
    host.write(f, bytes("x"), FileMode.of(0644));
    assertThat(host.symlink(f, "example.com")).as("a file is replaced by the link").isTrue();
    assertThat(info(f).type()).as("now a link").isEqualTo(FileInfo.Type.SYMLINK);
    Path d = dir.resolve("example.com");
    host.mkdirs(d, FileMode.of(0755));
    assertThatThrownBy(() -> host.symlink(d, "elsewhere"))
        .as("a directory is never replaced by a link").isInstanceOf(HostException.class)
        .hasMessageContaining(d.toString());
    assertThat(info(d).type()).as("the directory stays").isEqualTo(FileInfo.Type.DIRECTORY);
  }

  @Test
  public void statOfASymlinkDoesNotFollowIt() {
    Path target = dir.resolve("target.txt");
    host.write(target, bytes("content"), FileMode.of(0600));
    Path link = dir.resolve("link");
    host.symlink(link, target.toString());
    FileInfo l = info(link);
    assertThat(l.type()).as("stat reports the link itself").isEqualTo(FileInfo.Type.SYMLINK);
    assertThat(l.linkTarget()).as("with its target").contains(target.toString());
    assertThat(info(target).type()).as("the target is a file").isEqualTo(FileInfo.Type.FILE);
    assertThat(text(link)).as("read follows the link").isEqualTo("content");
    Path dangling = dir.resolve("dangling");
    host.symlink(dangling, dir.resolve("nothing-here").toString());
    assertThat(host.stat(dangling)).as("a dangling link exists for stat")
        .hasValueSatisfying(i -> assertThat(i.type()).as("as a link").isEqualTo(FileInfo.Type.SYMLINK));
    assertThat(host.read(dangling)).as("reading through a dangling link finds nothing").isEmpty();
  }

  @Test
  public void symlinksInTheMiddleOfAPathAreFollowed() {
    Path real = dir.resolve("real");
    host.mkdirs(real, FileMode.of(0755));
    Path link = dir.resolve("via");
    host.symlink(link, real.toString());
    assertThat(host.write(link.resolve("f.txt"), bytes("through"), FileMode.of(0644)))
        .as("a write through a linked directory").isTrue();
    assertThat(text(real.resolve("f.txt"))).as("lands in the real directory").isEqualTo("through");
    assertThat(host.stat(link.resolve("f.txt"))).as("and is seen through the link")
        .hasValueSatisfying(i -> assertThat(i.type()).as("as a file").isEqualTo(FileInfo.Type.FILE));
    assertThat(host.list(link)).as("list does not follow a final link").isEmpty();
  }

  @Test
  public void removeRemovesAWholeTree() {
    Path top = dir.resolve("site");
    host.mkdirs(top.resolve("files/styles"), FileMode.of(02770));
    host.write(top.resolve("settings.php"), bytes("<?php"), FileMode.of(0440));
    host.write(top.resolve("files/styles/a.css"), bytes("a{}"), FileMode.of(0664));
    host.symlink(top.resolve("files/current"), "styles");
    assertThat(host.remove(top)).as("removing a tree: a change").isTrue();
    assertThat(host.stat(top)).as("the tree is gone").isEmpty();
    assertThat(host.stat(top.resolve("files/styles/a.css"))).as("with everything in it").isEmpty();
    assertThat(host.list(dir)).as("the scratch directory is empty again").isEmpty();
    assertThat(host.remove(top)).as("removing what is not there: no change").isFalse();
    Path f = dir.resolve("single.txt");
    host.write(f, bytes("1"), FileMode.of(0644));
    assertThat(host.remove(f)).as("a file is removed").isTrue();
    assertThat(host.stat(f)).as("gone").isEmpty();
  }

  @Test
  public void removingALinkKeepsItsTarget() {
    Path real = dir.resolve("platform");
    host.mkdirs(real, FileMode.of(0755));
    host.write(real.resolve("index.php"), bytes("<?php"), FileMode.of(0644));
    Path link = dir.resolve("current");
    host.symlink(link, real.toString());
    assertThat(host.remove(link)).as("the link is removed").isTrue();
    assertThat(host.stat(link)).as("gone").isEmpty();
    assertThat(text(real.resolve("index.php"))).as("what it pointed to is untouched").isEqualTo("<?php");
  }

  @Test
  public void removeRefusesTheRoot() {
    assertThatThrownBy(() -> host.remove(Path.of("/")))
        .as("removing / is refused outright").isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  public void listIsSorted() {
    for (String n : List.of("b", "a.txt", "C", "a", "_x", "a-b")) {
      host.write(dir.resolve(n), bytes(n), FileMode.of(0644));
    }
    host.mkdirs(dir.resolve("dir"), FileMode.of(0755));
    host.symlink(dir.resolve("link"), "b");
    assertThat(host.list(dir)).as("names of files, directories and links, sorted")
        .containsExactly("C", "_x", "a", "a-b", "a.txt", "b", "dir", "link");
    assertThat(host.list(dir.resolve("dir"))).as("an empty directory").isEmpty();
    assertThat(host.list(dir.resolve("none"))).as("a missing directory lists as empty").isEmpty();
    assertThat(host.list(dir.resolve("a"))).as("a file lists as empty").isEmpty();
  }

  @Test
  public void missingPathsReadAndStatAsEmpty() {
    Path missing = dir.resolve("no/such/file");
    assertThat(host.stat(missing)).as("stat of a missing path").isEmpty();
    assertThat(host.read(missing)).as("read of a missing path").isEmpty();
    assertThat(host.stat(dir)).as("the scratch directory exists")
        .hasValueSatisfying(i -> assertThat(i.type()).as("as a directory").isEqualTo(FileInfo.Type.DIRECTORY));
  }

  @Test
  public void pathsBelowAFileDoNotExist() {
    Path f = dir.resolve("plain.txt");
    host.write(f, bytes("x"), FileMode.of(0644));
    assertThat(host.stat(f.resolve("sub"))).as("nothing can be below a regular file: stat finds nothing").isEmpty();
    assertThat(host.read(f.resolve("sub"))).as("read finds nothing").isEmpty();
    assertThat(host.list(f)).as("a file has no entries").isEmpty();
  }

  @Test
  public void relativeAndUnnormalisedPathsAreRefused() {
    host.write(dir.resolve("b"), bytes("b"), FileMode.of(0644));
    List<Path> bad = List.of(Path.of("relative/path"), Path.of("b"), dir.resolve("a/../b"),
        Path.of(dir + "/./b"));
    for (Path p : bad) {
      List<Consumer<Path>> ops = List.of(
          q -> host.stat(q),
          q -> host.read(q),
          q -> host.write(q, bytes("x"), FileMode.of(0644)),
          q -> host.mkdirs(q, FileMode.of(0755)),
          q -> host.symlink(q, "x"),
          q -> host.remove(q),
          q -> host.list(q));
      for (int i = 0; i < ops.size(); i++) {
        Consumer<Path> op = ops.get(i);
        assertThatThrownBy(() -> op.accept(p)).as("operation %d on %s is refused", i, p)
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(p.toString());
      }
    }
    assertThat(host.list(dir)).as("nothing was created").containsExactly("b");
  }

  // ---------------------------------------------------------------- commands

  @Test
  public void aCommandsExitCodeAndOutputAreCaptured() {
    assumeTrue(runsRealCommands(), "the host runs no real commands");
    CommandResult ok = host.run(Command.of("printf", "hello %s\n", "world"));
    assertThat(ok.exitCode()).as("printf succeeds").isZero();
    assertThat(ok.succeeded()).as("exit 0 is success").isTrue();
    assertThat(ok.stdout()).as("standard output is captured exactly").isEqualTo("hello world\n");
    assertThat(ok.host()).as("the result names the host").isEqualTo(host.name());
    assertThat(ok.command()).as("and the command as displayed").isEqualTo("printf hello %s\n world");
    CommandResult bad = host.run(Command.shell("echo out; echo err >&2; exit 3"));
    assertThat(bad.exitCode()).as("a non-zero exit is returned, not thrown").isEqualTo(3);
    assertThat(bad.succeeded()).as("and is no success").isFalse();
    assertThat(bad.stdout()).as("standard output").isEqualTo("out\n");
    assertThat(bad.stderrTail()).as("the tail of standard error").contains("err");
    assertThatThrownBy(bad::orThrow).as("orThrow turns it into a failure")
        .isInstanceOf(HostCommandException.class).hasMessageContaining("err")
        .satisfies(e -> assertThat(((HostCommandException) e).exitCode()).as("with the status").isEqualTo(3));
  }

  @Test
  public void argvIsPassedLiterallyWithoutAShell() {
    assumeTrue(runsRealCommands(), "the host runs no real commands");
    CommandResult r = host.run(Command.of("printf", "%s\n", "a b", "$(id)", ";ls", "`id`", "'q'", "\"dq\"", "*"));
    assertThat(r.stdout()).as("every argument arrives as it was, unexpanded")
        .isEqualTo("a b\n$(id)\n;ls\n`id`\n'q'\n\"dq\"\n*\n");
  }

  @Test
  public void standardInputIsFedToTheCommand() {
    assumeTrue(runsRealCommands(), "the host runs no real commands");
    CommandResult r = host.run(Command.of("cat").withStdin(bytes("line 1\nline 2\n")));
    assertThat(r.stdout()).as("cat echoes its input").isEqualTo("line 1\nline 2\n");
    CommandResult none = host.run(Command.of("cat").withTimeout(Duration.ofSeconds(10)));
    assertThat(none.stdout()).as("without input, standard input is closed at once").isEmpty();
  }

  @Test
  public void commandsSeeTheFilesTheHostWrote() {
    assumeTrue(runsRealCommands(), "the host runs no real commands");
    Path f = dir.resolve("seen.txt");
    host.write(f, bytes("written\n"), FileMode.of(0644));
    assertThat(host.run(Command.of("cat", f.toString())).stdout()).as("the same machine")
        .isEqualTo("written\n");
  }
}
