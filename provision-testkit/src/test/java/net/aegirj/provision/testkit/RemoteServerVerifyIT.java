package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.aegirj.provision.api.HostException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server verify of a remote server over real SSH: the testkit's sshd listens on 127.0.0.2 (a
 * remote address by Aegir's rule) in its own mount namespace, where the Provision home is backed
 * by another directory, so the "remote" really has its own files at the same paths.
 */
class RemoteServerVerifyIT {
  @TempDir Path tmp;
  Path home;
  Path remote;
  SshServer sshd;

  @BeforeEach
  void start() throws IOException {
    home = Files.createDirectories(tmp.resolve("home"));
    remote = Files.createDirectories(tmp.resolve("remote-view"));
    sshd = SshServer.builder().listenAddress("127.0.0.2").privateMount(home, remote).start();
  }

  @AfterEach
  void stop() {
    sshd.close();
  }

  private Provision provision() {
    Provision p = Provision.builder().home(home).build();
    p.save("server_web1", PropertyChanges.builder().set("context_type", "server")
        .set("remote_host", "127.0.0.2").set("ssh_port", Integer.toString(sshd.port()))
        .set("ssh_user", sshd.user()).set("ssh_identity", sshd.identity().toString())
        .set("ssh_known_hosts", sshd.knownHosts().toString()).build());
    return p;
  }

  private static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        int mode = ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
        String content = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.readString(p) : "";
        out.put(root.relativize(p).toString(), Integer.toOctalString(mode) + " " + content);
      }
    }
    return out;
  }

  private static String mode(Path p) throws IOException {
    return Integer.toOctalString(((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777);
  }

  @Test
  void aRemoteServerGetsItsTreeOverSshAndTheMastersIncludes() throws IOException {
    try (Provision p = provision()) {
      p.server("server_master").verify();
      Files.writeString(home.resolve("config/includes/global.inc"), "<?php // operator settings\n");
      TaskReport r = p.server("server_web1").verify();
      assertThat(r.succeeded()).as("remote verify succeeds: %s", r.summary()).isTrue();
      assertThat(mode(remote.resolve("config"))).as("config on the remote is 0711").isEqualTo("711");
      assertThat(mode(remote.resolve("config/server_web1"))).as("its config_path is 0711").isEqualTo("711");
      assertThat(mode(remote.resolve("clients"))).as("clients is 0711").isEqualTo("711");
      assertThat(remote.resolve("config/includes/global.inc")).as("the master's includes were pushed")
          .hasContent("<?php // operator settings");
      assertThat(home.resolve("config/server_web1")).as("nothing of the remote's tree is created locally")
          .doesNotExist();
      assertThat(remote.resolve("backups")).as("backups live on the master only").doesNotExist();

      Map<String, String> before = tree(remote);
      TaskReport again = p.server("server_web1").verify();
      assertThat(again.changedPaths()).as("a second remote verify changes nothing").isEmpty();
      assertThat(tree(remote)).as("the remote tree is unchanged").isEqualTo(before);
      assertThat(sshd.acceptedConnections()).as("one SSH connection per task (two tasks so far)").isEqualTo(2);
    }
  }

  @Test
  void planOverSshChangesNothing() throws IOException {
    try (Provision p = provision()) {
      p.server("server_master").verify();
      Map<String, String> before = tree(remote);
      TaskReport plan = p.server("server_web1").plan(Task.VERIFY);
      assertThat(plan.changedPaths()).as("the plan lists the remote paths")
          .anyMatch(s -> s.endsWith(home.resolve("config/server_web1").toString()));
      assertThat(tree(remote)).as("planning changes nothing on the remote").isEqualTo(before);
    }
  }

  @Test
  void anInjectedFailureAtEveryStepLeavesTheRemoteAsItWas() throws IOException {
    int steps;
    try (Provision p = provision()) {
      p.server("server_master").verify();
      steps = p.server("server_web1").plan(Task.VERIFY).steps().size();
    }
    for (int n = 1; n <= steps; n++) {
      Map<String, String> before = tree(remote);
      try (Provision p = Provision.builder().home(home).failureInjector(Failures.atStep(n)).build()) {
        int step = n;
        assertThatThrownBy(() -> p.server("server_web1").verify()).as("step %d fails", step)
            .isInstanceOf(TaskFailedException.class).hasMessageContaining("rolled back");
      }
      assertThat(tree(remote)).as("after a failure at step %d the remote is as before", n).isEqualTo(before);
    }
  }

  @Test
  void anUnknownHostKeyIsAClearError() throws IOException {
    try (Provision p = provision()) {
      Path empty = Files.createFile(tmp.resolve("empty_known_hosts"));
      p.save("server_web1", PropertyChanges.builder().set("ssh_known_hosts", empty.toString()).build());
      assertThatThrownBy(() -> p.server("server_web1").verify()).as("strict host key checking")
          .isInstanceOf(TaskFailedException.class)
          .hasCauseInstanceOf(HostException.class)
          .hasMessageContaining("@server_web1").hasMessageContaining("ssh-keyscan");
    }
  }
}
