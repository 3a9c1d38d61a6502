package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.core.internal.JsonCodec;
import net.aegirj.provision.spi.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real processes (not threads) sharing one file repository. */
class MultiProcessSaveTest {
  @TempDir Path home;

  private Process worker(String property, int count) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        SaveWorker.class.getName(), home.toString(), property, Integer.toString(count));
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    return pb.start();
  }

  @Test
  void twoProcessesSavingDifferentPropertiesLoseNothing() throws Exception {
    int n = 1000;
    try (Provision p = Provision.builder().home(home).build()) {
      p.server("server_master"); // created up front: version 1
    }
    Process a = worker("master_url", n);
    Process b = worker("admin_email", n);
    assertThat(a.waitFor(240, TimeUnit.SECONDS)).as("worker a finishes").isTrue();
    assertThat(b.waitFor(240, TimeUnit.SECONDS)).as("worker b finishes").isTrue();
    assertThat(a.exitValue()).as("worker a succeeded").isZero();
    assertThat(b.exitValue()).as("worker b succeeded").isZero();
    try (Provision p = Provision.builder().home(home).build()) {
      Server master = p.server("server_master").context();
      assertThat(p.server("server_master").version())
          .as("every one of the 2x%d saves produced its own version: no update was lost", n)
          .isEqualTo(1 + 2L * n);
      assertThat(master.masterUrl()).as("a's last write survived").contains("http://front.example.com/run" + n);
      assertThat(master.adminEmail()).as("b's last write survived").contains("admin" + n + "@example.com");
    }
  }

  /**
   * Issue 9: eight processes, each saving its own property 1,000 times (by default; more with
   * {@code -Dtorture.saves=…}) over two to four of four servers that they share with the others.
   */
  @Test
  void eightProcessesSavingOverlappingContextsLoseNoUpdate() throws Exception {
    int processes = 8;
    int n = Integer.getInteger("torture.saves", 1000);
    try (Provision p = Provision.builder().home(home).build()) {
      for (String s : OverlapSaveWorker.SERVERS) {
        p.save(Server.named(s).remoteHost("localhost")); // version 1
      }
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> workers = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < processes; i++) {
      ProcessBuilder pb = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp",
          System.getProperty("java.class.path"), "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
          OverlapSaveWorker.class.getName(), home.toString(), Integer.toString(i), Integer.toString(n));
      pb.redirectError(ProcessBuilder.Redirect.INHERIT);
      workers.add(pb.start());
    }
    long retries = 0;
    for (int i = 0; i < processes; i++) {
      Process w = workers.get(i);
      String out = new String(w.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      assertThat(w.waitFor(600, TimeUnit.SECONDS)).as("worker %d finishes", i).isTrue();
      assertThat(w.exitValue()).as("worker %d succeeded", i).isZero();
      retries += Long.parseLong(out);
    }
    System.out.printf("MultiProcessSaveTest: %d processes x %d saves on 4 shared contexts in %d ms, %d saves"
        + " retried by the workers after Provision's own retries%n", processes, n,
        (System.nanoTime() - start) / 1_000_000, retries);
    try (Provision p = Provision.builder().home(home).build()) {
      for (String s : OverlapSaveWorker.SERVERS) {
        long touching = 0;
        for (int i = 0; i < processes; i++) {
          List<String> mine = OverlapSaveWorker.contexts(i);
          int k = mine.indexOf(s);
          if (k >= 0) {
            touching += n / mine.size() + (k < n % mine.size() ? 1 : 0);
          }
        }
        assertThat(p.server(s).version()).as("@%s: one version per save that touched it, none lost", s)
            .isEqualTo(1 + touching);
        var props = p.resolve(s);
        for (int i = 0; i < processes; i++) {
          List<String> mine = OverlapSaveWorker.contexts(i);
          int k = mine.indexOf(s);
          if (k < 0) {
            continue;
          }
          int last = n - Math.floorMod(n - 1 - k, mine.size()); // the last save n with (n-1) % size == k
          String expected = OverlapSaveWorker.value(i, last);
          Object stored = props.get(OverlapSaveWorker.property(i)).orElseThrow();
          String text = stored instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList())
              : String.valueOf(stored);
          assertThat(text).as("@%s: process %d's last write (save %d) survived", s, i, last).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void aProcessKilledDuringSaveLeavesTheOldOrTheNewFileNeverATornOne() throws Exception {
    Random random = new Random(42);
    Path file = home.resolve("contexts/server_master.json");
    long lastVersion = 0;
    int kills = 12;
    for (int k = 0; k < kills; k++) {
      Process w = worker("master_url", 0);
      BufferedReader out = new BufferedReader(new InputStreamReader(w.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).as("the worker is saving").isNotNull();
      Thread.sleep(random.nextInt(40));
      w.destroyForcibly(); // SIGKILL on Linux
      assertThat(w.waitFor(30, TimeUnit.SECONDS)).as("the worker died").isTrue();
      Versioned v = JsonCodec.read(Files.readAllBytes(file));
      assertThat(v.version()).as("versions only grow, across kills").isGreaterThan(lastVersion);
      lastVersion = v.version();
      try (Provision p = Provision.builder().home(home).build()) {
        assertThat(p.repository().load(ContextName.MASTER)).as("the repository loads after a kill").isPresent();
        assertThat(p.list()).as("only whole contexts are listed").hasSize(1);
      }
    }
    Path tempDir = home.resolve("contexts/.tmp");
    try (Stream<Path> s = Files.list(tempDir)) {
      assertThat(s.toList()).as("the Provision opened after the last kill swept what the worker left").isEmpty();
    }
    Files.write(tempDir.resolve("0123456789ab"), "{\"torn".getBytes(StandardCharsets.UTF_8));
    Files.write(tempDir.resolve("ba9876543210"), new byte[0]);
    Files.write(home.resolve("contexts/.tmp-0123456789ab"), "{\"torn".getBytes(StandardCharsets.UTF_8));
    FileContextRepository repo = new FileContextRepository(home);
    try (Stream<Path> s = Files.list(tempDir)) {
      assertThat(s.toList()).as("opening the repository sweeps the temporaries that killed writers left").isEmpty();
    }
    assertThat(repo.list()).as("a list skips an earlier build's temporary file").hasSize(1);
    assertThat(home.resolve("contexts/.tmp-0123456789ab")).as("and sweeps it, as it sees it").doesNotExist();
    assertThat(repo.removeStaleTemporaryFiles()).as("so there is nothing left to remove").isZero();
    assertThat(repo.load(ContextName.MASTER)).as("and the context is intact").isPresent();
  }
}
