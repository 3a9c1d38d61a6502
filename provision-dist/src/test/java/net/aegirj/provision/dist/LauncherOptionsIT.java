package net.aegirj.provision.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The JVM options the launchers choose per command ({@code provision_quick_opts} of
 * {@code provision-cds.bash}, sourced by both launchers), asked of bash itself.
 */
class LauncherOptionsIT {
  /** @return the options chosen for these arguments, with this PROVISION_JAVA_OPTS */
  private static List<String> options(String javaOpts, String... args) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of("bash", "-c",
        "source src/bin/provision-cds.bash && provision_quick_opts \"$@\" && printf '%s\\n' ${quick_opts[@]+\"${quick_opts[@]}\"}",
        "provision"));
    argv.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.remove("PROVISION_JAVA_OPTS");
    if (javaOpts != null) {
      env.put("PROVISION_JAVA_OPTS", javaOpts);
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("bash ran the function: %s", out).isZero();
    return out.isBlank() ? List.of() : List.of(out.strip().split("\n"));
  }

  @Test
  void tasksRunWithTheQuickCompilerAlone() throws Exception {
    for (String task : List.of("install", "verify", "delete", "backup", "migrate")) {
      assertThat(options(null, "--home", "/srv/aegir", task, "@a.example.com", "@b.example.com"))
          .as("%s of a batch waits on the database, disk and web server: no optimising compiler", task)
          .containsExactly("-XX:TieredStopAtLevel=1");
    }
  }

  @Test
  void quickCommandsStartSoonestAndImportKeepsItsCollector() throws Exception {
    assertThat(options(null, "--home", "/srv/aegir", "show", "@server_master"))
        .as("show: quick compiler, serial collector, no perf data")
        .containsExactly("-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-XX:+UseSerialGC");
    assertThat(options("-XX:+UseG1GC", "list")).as("a collector of the user's replaces the launcher's")
        .containsExactly("-XX:TieredStopAtLevel=1", "-XX:-UsePerfData");
    assertThat(options(null, "import", "/var/aegir/.drush")).as("import: the parallel collector")
        .containsExactly("-XX:+UseParallelGC");
    assertThat(options("-XX:+UseSerialGC", "import", "/var/aegir/.drush")).as("unless the user names one")
        .isEmpty();
    assertThat(options(null, "save", "--from=/tmp/sites.jsonl"))
        .as("save --from checks and writes a batch: the quick compiler alone, the default collector")
        .containsExactly("-XX:TieredStopAtLevel=1");
    assertThat(options("-XX:+UseSerialGC", "save", "--from", "/tmp/sites.jsonl"))
        .as("save --from with a collector of the user's: still the quick compiler")
        .containsExactly("-XX:TieredStopAtLevel=1");
    assertThat(options(null, "--home", "install", "list")).as("--home takes a value: the command is list")
        .contains("-XX:+UseSerialGC");
  }
}
