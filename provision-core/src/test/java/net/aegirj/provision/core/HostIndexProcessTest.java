package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.Versioned;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file repository's index of host names with real processes sharing one home: concurrent
 * saves of one name from two processes (one at a time, and a batch against single saves), and
 * processes killed while they save a batch.
 */
class HostIndexProcessTest {
  @TempDir Path home;

  @BeforeEach
  void platform() {
    platform(home);
  }

  private static void platform(Path home) {
    try (Provision p = Provision.builder().home(home).build()) {
      p.save(Platform.named("platform_x").root("/var/aegir/platforms/x"));
    }
  }

  private Process worker(String id, int count, String mode) throws Exception {
    return worker(home, id, count, mode);
  }

  private static Process worker(Path home, String id, int count, String mode) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", HostNameWorker.class.getName(), home.toString(), id,
        Integer.toString(count), mode);
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    return pb.start();
  }

  private static int savedBy(Process w) throws Exception {
    List<String> lines = new String(w.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().lines().toList();
    assertThat(w.waitFor(240, TimeUnit.SECONDS)).as("the worker finishes").isTrue();
    assertThat(w.exitValue()).as("the worker succeeded").isZero();
    return Integer.parseInt(lines.get(lines.size() - 1));
  }

  /** Every shared alias is served by exactly one stored site, and the index says which. */
  private void assertOneSitePerAlias(int n) {
    try (FileContextRepository r = new FileContextRepository(home)) {
      List<Versioned> sites = r.list(ContextType.SITE);
      for (int i = 0; i < n; i++) {
        String alias = "shared-" + i + ".example.org";
        List<ContextName> serving = sites.stream().filter(v -> ContextRepository.hostNames(v.context()).contains(alias))
            .map(v -> v.context().name()).toList();
        assertThat(serving).as("%s is served by exactly one site", alias).hasSize(1);
        assertThat(r.hostOwners(List.of(alias))).as("the index names that site for %s", alias)
            .isEqualTo(Map.of(alias, serving.get(0)));
      }
    }
  }

  /** Runs two workers at once over the same n aliases; @return how many sites each saved */
  private int[] race(int n, String first, String firstMode, String second, String secondMode) throws Exception {
    Process a = worker(first, n, firstMode);
    Process b = worker(second, n, secondMode);
    int[] saved = {savedBy(a), savedBy(b)};
    assertThat(saved[0] + saved[1]).as("each alias went to one of the two processes (%s %d, %s %d)", first, saved[0],
        second, saved[1]).isEqualTo(n);
    assertOneSitePerAlias(n);
    return saved;
  }

  @Test
  void twoProcessesSavingSitesWithTheSameAliasesLetOneSiteHaveEach() throws Exception {
    race(150, "a", "single", "b", "single");
  }

  @Test
  void aBatchAgainstSingleSavesOfTheSameNamesIsWrittenWholeOrNotAtAll() throws Exception {
    int n = 300;
    int[] saved = race(n, "batch", "batch", "single", "single");
    assertThat(saved[0]).as("the batch is written whole or not at all").isIn(0, n - saved[1]);
  }

  /**
   * A process killed at a random point of a batch of 2,000 sites leaves an index that lets no
   * duplicate through and refuses no legal name: every stored site's names are indexed for it,
   * the names of sites that were not written are free.
   */
  @Test
  void aProcessKilledDuringABatchLeavesAnIndexThatIsRight() throws Exception {
    Random random = new Random(7);
    int n = 2000;
    for (int k = 0; k < 6; k++) {
      String id = "k" + k;
      Path h = home.resolve(id); // a home per kill: every batch has all its names free
      platform(h);
      Process w = worker(h, id, n, "batch");
      BufferedReader out = new BufferedReader(new InputStreamReader(w.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).as("the worker is committing").isEqualTo("ready");
      Thread.sleep(random.nextInt(700)); // before, during or after the writes
      w.destroyForcibly();
      assertThat(w.waitFor(30, TimeUnit.SECONDS)).as("the worker died").isTrue();
      try (Provision p = Provision.builder().home(h).build()) {
        List<Versioned> sites = p.repository().list(ContextType.SITE);
        int stored = 0;
        for (int i = 0; i < n; i++) {
          ContextName name = ContextName.of(id + "-" + i + ".example.org");
          String alias = "shared-" + i + ".example.org";
          boolean written = sites.stream().anyMatch(v -> v.context().name().equals(name));
          Map<String, ContextName> owners = p.repository().hostOwners(List.of(alias, name.value()));
          if (written) {
            stored++;
            assertThat(owners).as("kill %d: stored %s keeps its names", k, name)
                .isEqualTo(Map.of(alias, name, name.value(), name));
          } else {
            assertThat(owners).as("kill %d: the names of %s, which was not written, are free", k, name).isEmpty();
          }
        }
        System.out.printf("HostIndexProcessTest: kill %d left %d of %d sites stored%n", k, stored, n);
        if (stored < n) {
          ContextName missing = null;
          for (int i = n - 1; i >= 0 && missing == null; i--) {
            ContextName c = ContextName.of(id + "-" + i + ".example.org");
            if (p.repository().load(c).isEmpty()) {
              missing = c;
            }
          }
          p.save(missing.value(), net.aegirj.provision.api.PropertyChanges.builder().set("context_type", "site")
              .set("platform", "@platform_x").build());
          assertThat(p.repository().hostOwners(List.of(missing.value()))).as("kill %d: a name left half-claimed is"
              + " legal", k).isEqualTo(Map.of(missing.value(), missing));
        }
      }
    }
  }
}
