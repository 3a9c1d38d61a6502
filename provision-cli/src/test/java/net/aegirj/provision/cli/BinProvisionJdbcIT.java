package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/provision} with {@code $PROVISION_REPOSITORY} naming a real MariaDB: two control
 * nodes (two homes) share the contexts, and a wrong password is one error line without it.
 */
class BinProvisionJdbcIT {

  @TempDir
  Path temp;


  private Exit provision(Map<String, String> env, String... args) throws IOException, InterruptedException {
    return BinProvisionProcess.run(temp, env, args);
  }


  @Test
  void twoControlNodesShareContextsThroughTheDatabase() throws Exception {
    try (LocalServers servers = LocalServers.in(temp.resolve("state"))) {
      MariaDbServer db = servers.mariadb();
      db.sql("CREATE DATABASE aegir");
      Map<String, String> env = new HashMap<>();
      env.put("PROVISION_REPOSITORY", "jdbc:mariadb://127.0.0.1:" + db.port() + "/aegir");
      env.put("PROVISION_REPOSITORY_USER", db.adminUser());
      env.put("PROVISION_REPOSITORY_PASSWORD", db.adminPassword());
      Path nodeA = temp.resolve("node-a");
      Path nodeB = temp.resolve("node-b");

      Exit saved = provision(env, "--home", nodeA.toString(), "save", "@platform_x", "--context_type=platform",
          "--root=/var/aegir/platforms/x");
      assertThat(saved.status()).as("save on node a succeeds (stderr: %s)", saved.err()).isZero();
      assertThat(saved.out()).as("save's report").startsWith("@platform_x: created platform, version 1");
      assertThat(nodeA.resolve("contexts/platform_x.json")).as("the context is not in node a's files")
          .doesNotExist();
      assertThat(db.sql("SELECT name, version FROM aegir.provision_context WHERE name = 'platform_x'"))
          .as("the context is a row of the database").isEqualTo("platform_x\t1");

      Exit shown = provision(env, "--home", nodeB.toString(), "@platform_x", "show");
      assertThat(shown.status()).as("node b shows node a's context (stderr: %s)", shown.err()).isZero();
      assertThat(shown.out()).as("the root saved on node a").contains("/var/aegir/platforms/x");

      Map<String, String> wrong = new HashMap<>(env);
      String secret = "Wr0ng" + db.adminPassword();
      wrong.put("PROVISION_REPOSITORY_PASSWORD", secret);
      Exit refused = provision(wrong, "--home", nodeB.toString(), "list");
      assertThat(refused.status()).as("a wrong password fails").isEqualTo(1);
      assertThat(refused.err().lines().toList()).as("one error line").hasSize(1);
      assertThat(refused.err()).as("naming the database").startsWith("provision: error: cannot list contexts in ")
          .contains("jdbc:mariadb://127.0.0.1:" + db.port() + "/aegir")
          .doesNotContain(secret);
      assertThat(Files.exists(nodeB.resolve("contexts/platform_x.json"))).as("nothing fell back to files").isFalse();
    }
  }

  /**
   * The README's "Many control nodes" block, run as one {@code sh -c} script from the checkout's
   * root as it is written, with only the database it names (host, account, password) substituted.
   */
  @Test
  void theReadmeExampleListsTheSharedContexts() throws Exception {
    List<String> lines = ReadmeExamplesIT.examples("## Many control nodes");
    assertThat(lines).as("the section's block: the environment, then a command").hasSize(2);
    try (LocalServers servers = LocalServers.in(temp.resolve("state"))) {
      MariaDbServer db = servers.mariadb();
      db.sql("CREATE DATABASE aegir");
      Map<String, String> env = new HashMap<>();
      env.put("PROVISION_REPOSITORY", "jdbc:mariadb://127.0.0.1:" + db.port() + "/aegir");
      env.put("PROVISION_REPOSITORY_USER", db.adminUser());
      env.put("PROVISION_REPOSITORY_PASSWORD", db.adminPassword());
      Exit saved = provision(env, "--home", temp.resolve("node-a").toString(), "save", "@platform_shared",
          "--context_type=platform", "--root=/var/aegir/platforms/shared");
      assertThat(saved.status()).as("a context saved by another node (stderr: %s)", saved.err()).isZero();

      String script = String.join("\n", lines)
          .replace("db.example.com", "127.0.0.1:" + db.port())
          .replace("PROVISION_REPOSITORY_USER=aegir", "PROVISION_REPOSITORY_USER=" + db.adminUser())
          .replace("PROVISION_REPOSITORY_PASSWORD=\u2026", "PROVISION_REPOSITORY_PASSWORD='" + db.adminPassword() + "'");
      Exit listed = BinProvisionProcess.exec(List.of("sh", "-c", script), BinProvisionProcess.ROOT,
          Map.of("PROVISION_HOME", temp.resolve("node-b").toString()), java.time.Duration.ofSeconds(120));
      assertThat(listed.status()).as("the README's lines exit 0 (stderr: %s)", listed.err()).isZero();
      assertThat(listed.out()).as("and list the context the other node saved").contains("@platform_shared");
    }
  }

  @Test
  void postgresqlWorksFromTheCommandLineToo() throws Exception {
    Files.setPosixFilePermissions(temp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    try (LocalServers servers = LocalServers.in(temp.resolve("state"))) {
      net.aegirj.provision.testkit.PostgresServer pg = servers.postgres();
      Map<String, String> env = new HashMap<>();
      env.put("PROVISION_REPOSITORY", pg.jdbcUrl());
      env.put("PROVISION_REPOSITORY_USER", pg.user());
      env.put("PROVISION_REPOSITORY_PASSWORD", pg.password());
      Exit saved = provision(env, "--home", temp.resolve("node-a").toString(), "save", "@platform_y",
          "--context_type=platform", "--root=/var/aegir/platforms/y");
      assertThat(saved.status()).as("save through PostgreSQL succeeds (stderr: %s)", saved.err()).isZero();
      Exit shown = provision(env, "--home", temp.resolve("node-b").toString(), "show", "@platform_y", "--json");
      assertThat(shown.status()).as("another node reads it (stderr: %s)", shown.err()).isZero();
      assertThat(shown.out()).as("with the root saved by the first").contains("/var/aegir/platforms/y");
    }
  }
}
