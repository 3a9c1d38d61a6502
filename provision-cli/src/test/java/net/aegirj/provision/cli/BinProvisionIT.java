package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code bin/provision} as a child process. A Failsafe integration test: it runs after the
 * package phase, once {@code target/classes} and {@code target/lib} exist.
 */
class BinProvisionIT {
  private static final Path ROOT = BinProvisionProcess.ROOT;
  private static final Path SCRIPT = BinProvisionProcess.SCRIPT;

  @TempDir
  Path home;

  @TempDir
  Path cwd;


  @BeforeEach
  void checkBuild() {
    assertThat(Files.isExecutable(SCRIPT)).as("%s is executable", SCRIPT).isTrue();
    assertThat(ROOT.resolve("provision-cli/target/classes")).as("the classes are built").isDirectory();
    assertThat(ROOT.resolve("provision-cli/target/lib")).as("the dependencies are copied").isDirectory();
  }

  private Exit provision(Map<String, String> env, String... args) throws IOException, InterruptedException {
    return BinProvisionProcess.run(cwd, env, args);
  }


  @Test
  void runsFromAnyDirectoryWithExitStatusZeroAndTwo() throws Exception {
    Exit saved = provision(Map.of(), "--home", home.toString(), "save", "@platform_x",
        "--context_type=platform", "--root=/var/aegir/platforms/x");
    assertThat(saved.status()).as("save succeeds (stderr: %s)", saved.err()).isZero();
    assertThat(saved.out()).as("save's report").startsWith("@platform_x: created platform, version 1");
    assertThat(saved.err()).as("no info logs on stderr: the level is warn").doesNotContain("INFO");

    Exit shown = provision(Map.of(), "@platform_x", "show", "--home", home.toString());
    assertThat(shown.status()).as("show in Aegir's order (stderr: %s)", shown.err()).isZero();
    assertThat(shown.out()).as("the root").contains("/var/aegir/platforms/x");

    Exit bad = provision(Map.of(), "--home", home.toString(), "save", "@platform_x", "--frob=1");
    assertThat(bad.status()).as("an unknown property is bad input").isEqualTo(2);
    assertThat(bad.out()).as("nothing on stdout").isEmpty();
    assertThat(bad.err().lines().toList()).as("one error line").hasSize(1);
    assertThat(bad.err()).as("the error line").startsWith("provision: error: @platform_x: property 'frob'");
  }

  @Test
  void jsonIsOneObjectOnStdout() throws Exception {
    Map<String, String> env = Map.of("PROVISION_HOME", home.toString());
    Exit saved = provision(env, "save", "@server_web", "--context_type=server", "--remote_host=web1.example.com",
        "--json");
    assertThat(saved.status()).as("save succeeds (stderr: %s)", saved.err()).isZero();
    JsonNode json = Cli.singleJsonObject(saved.out());
    assertThat(json.get("ok").asBoolean()).as("ok").isTrue();
    assertThat(Files.exists(home.resolve("contexts"))).as("$PROVISION_HOME is the default home").isTrue();

    Exit missing = provision(env, "--json", "show", "@missing");
    assertThat(missing.status()).as("a missing context is bad input").isEqualTo(2);
    JsonNode error = Cli.singleJsonObject(missing.out());
    assertThat(error.get("ok").asBoolean()).as("ok").isFalse();
    assertThat(error.get("exit_code").asInt()).as("exit_code").isEqualTo(2);
    assertThat(error.get("error").get("type").asText()).as("type").isEqualTo("context_not_found");

    Exit list = provision(env, "list", "--json");
    assertThat(list.status()).as("list succeeds").isZero();
    assertThat(Cli.singleJsonObject(list.out()).get("contexts").size()).as("the server and the master").isEqualTo(2);
  }

  @Test
  void tasksKeepStdoutForTheReportAndStderrForOneErrorLine() throws Exception {
    Exit verified = provision(Map.of(), "--home", home.toString(), "verify", "@server_master");
    assertThat(verified.status()).as("verify succeeds (stderr: %s)", verified.err()).isZero();
    assertThat(verified.out()).as("the report").contains("verify @server_master: succeeded");
    assertThat(verified.err()).as("stderr is a pipe, not a terminal: no step progress").isEmpty();
    assertThat(home.resolve("config/server_master")).as("the master's config_path").isDirectory();

    Files.writeString(home.resolve("config/server_a"), "in the way");
    provision(Map.of(), "--home", home.toString(), "save", "@server_a", "--context_type=server",
        "--remote_host=localhost");
    Exit failed = provision(Map.of(), "--home", home.toString(), "@server_a", "verify");
    assertThat(failed.status()).as("a failed task exits with 1").isEqualTo(1);
    assertThat(failed.out()).as("its report is on stdout").contains("verify @server_a: failed");
    assertThat(failed.err().lines().toList()).as("one error line on stderr, no engine log line")
        .hasSize(1);
    assertThat(failed.err()).as("the error line").startsWith("provision: error: verify @server_a: failed");
  }
}
