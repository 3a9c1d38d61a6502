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
    List<Path> temps = new ArrayList<>();
    try (Stream<Path> s = Files.list(home.resolve("contexts"))) {
      s.filter(f -> f.getFileName().toString().startsWith(".tmp-")).forEach(temps::add);
    }
    FileContextRepository repo = new FileContextRepository(home);
    assertThat(repo.removeStaleTemporaryFiles()).as("stale temporaries are counted and removed")
        .isEqualTo(temps.size());
    assertThat(repo.load(ContextName.MASTER)).as("and the context is intact").isPresent();
  }
}
