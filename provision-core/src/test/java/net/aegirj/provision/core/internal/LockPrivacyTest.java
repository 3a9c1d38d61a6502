package net.aegirj.provision.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.core.FileContextRepository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, finding 7: lock files were 0644 in a 0755 directory, so any local user could take a
 * context's lock and make every task on it wait five minutes and fail. The home's state (locks,
 * pending reloads, contexts) is private now, repaired when found open, and a lock held by another
 * user's process fails at once, naming it; one held by a task of this user is waited for and
 * named after the wait. The other user is {@code nobody}, through {@code setpriv} (root only).
 */
class LockPrivacyTest {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final ContextName SITE = ContextName.of("example.com");

  @TempDir Path tmp;
  private final List<Process> children = new ArrayList<>();

  @AfterEach
  void stopChildren() {
    children.forEach(Process::destroyForcibly);
  }

  private static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  private Path home() throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x")); // nobody may walk in
    return Files.createDirectories(tmp.resolve("home"));
  }

  /** Runs a command as nobody; returns its exit status and output. */
  private static String asNobody(String... command) throws Exception {
    List<String> all = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
    all.addAll(List.of(command));
    Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s ends", all).isTrue();
    return p.exitValue() + " " + out;
  }

  @Test
  void lockFilesArePrivateAndNobodyCannotOpenOne() throws Exception {
    Path home = home();
    new ContextLocks(home, Duration.ofSeconds(1)).lock(SITE).close();
    Path dir = home.resolve("locks");
    Path file = dir.resolve("example.com.lock");
    assertThat(mode(dir)).as("the lock directory is the owner's only").isEqualTo("rwx------");
    assertThat(mode(file)).as("a lock file is the owner's only").isEqualTo("rw-------");
    assertThat(Files.readString(file)).as("the lock file names its last holder")
        .contains("pid=" + ProcessHandle.current().pid()).contains("user=" + System.getProperty("user.name"))
        .contains("since=");

    assumeTrue(root() && Files.isExecutable(PYTHON), "needs root (setpriv) and /usr/bin/python3");
    String opened = asNobody(PYTHON.toString(), "-c",
        "import fcntl,sys\nf=open(sys.argv[1])\nfcntl.lockf(f, fcntl.LOCK_SH)\nprint('LOCKED')", file.toString());
    assertThat(opened).as("nobody cannot open a lock file, let alone lock it").doesNotContain("LOCKED")
        .contains("Permission denied");
  }

  @Test
  void stateFoundOpenToOthersIsMadePrivate() throws Exception {
    Path home = home();
    Path locks = Files.createDirectories(home.resolve("locks/reload-owed"));
    Path lock = Files.writeString(home.resolve("locks/example.com.lock"), "");
    Path debt = Files.writeString(locks.resolve("abc~def"), "@server_master http\n");
    Path contexts = Files.createDirectories(home.resolve("contexts"));
    Path context = Files.writeString(contexts.resolve("x.json"), "{}");
    for (Path p : List.of(home.resolve("locks"), locks, contexts)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    for (Path p : List.of(lock, debt, context)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    }
    new ContextLocks(home, Duration.ofSeconds(1)).lock(SITE).close();
    new FileContextRepository(home).close();
    for (Path p : List.of(home.resolve("locks"), locks, contexts)) {
      assertThat(mode(p)).as("%s, an earlier version's 0755, is made 0700", home.relativize(p)).isEqualTo("rwx------");
    }
    for (Path p : List.of(lock, debt, context)) {
      assertThat(mode(p)).as("%s, an earlier version's 0644, is made 0600", home.relativize(p)).isEqualTo("rw-------");
    }
  }

  @Test
  void aLockHeldByAnotherUserFailsAtOnceNamingItsHolder() throws Exception {
    assumeTrue(root() && Files.isExecutable(PYTHON), "needs root (setpriv) and /usr/bin/python3");
    Path home = home();
    // The layout of earlier versions, in which nobody could open a lock file and hold it.
    Path dir = Files.createDirectories(home.resolve("locks"));
    Path file = Files.writeString(dir.resolve("example.com.lock"), "");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    Process holder = new ProcessBuilder("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
        PYTHON.toString(), "-c", "import fcntl,sys\nf=open(sys.argv[1])\nfcntl.lockf(f, fcntl.LOCK_SH)\n"
            + "print('locked', flush=True)\nsys.stdin.read()", file.toString()).redirectErrorStream(true).start();
    children.add(holder);
    BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
    assertThat(out.readLine()).as("nobody holds a shared lock on the lock file").isEqualTo("locked");
    long pid = holder.descendants().findFirst().map(ProcessHandle::pid).orElse(holder.pid());

    // A ten-minute wait: only a refusal that does not wait can end within the timeout.
    ContextLocks locks = new ContextLocks(home, Duration.ofMinutes(10));
    assertTimeoutPreemptively(Duration.ofMinutes(2), () -> assertThatThrownBy(() -> locks.lock(SITE))
        .as("another user's lock is reported at once, naming the process")
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("held by a process of another user")
        .hasMessageContaining("pid " + pid).hasMessageContaining("user nobody").hasMessageContaining("python3"));
    assertThat(mode(file)).as("the lock file was made private on the way").isEqualTo("rw-------");

    holder.getOutputStream().close();
    assertThat(holder.waitFor(60, TimeUnit.SECONDS)).as("the holder ends").isTrue();
    locks.lock(SITE).close(); // and then the lock is free
  }

  @Test
  void aLockHeldByAnotherTaskOfThisUserIsWaitedForAndItsHolderNamed() throws Exception {
    Path home = home();
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), LockHoldingChild.class.getName(), home.toString(), SITE.value(),
        "verify").redirectErrorStream(true).start();
    children.add(child);
    BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null && !line.equals("locked")) {
      // the child's log lines
    }
    assertThat(line).as("the child took the lock").isEqualTo("locked");

    ContextLocks locks = new ContextLocks(home, Duration.ofMillis(500));
    assertThatThrownBy(() -> locks.lock(SITE))
        .as("a task of the same user is waited for, then named: pid, user, task and since when")
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("another task is running on this context")
        .hasMessageContaining("pid " + child.pid()).hasMessageContaining("user " + System.getProperty("user.name"))
        .hasMessageContaining("task 'verify'").hasMessageContaining("since ");
    child.getOutputStream().close();
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child ends").isTrue();
    locks.lock(SITE).close();
  }
}
