package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.core.FileContextRepository;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PhpFpmServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9's kill torture: the command line, run as a child JVM ({@code java -cp
 * provision-cli/target/classes:provision-cli/target/lib/* …Main}), is killed with {@code SIGKILL}
 * at random points while it saves (a site's aliases, the master's e-mail) and while it verifies
 * three installed sites on real nginx, PHP-FPM and MariaDB (with a file, a user or nothing
 * damaged first, so that verify has work to do). A kill counts only when the child was still
 * running. After every kill each context file parses and the repository loads; once the next
 * command has opened the repository no temporary file is left; at the end one verify repairs
 * everything: every site answers over HTTP, on its name and on every alias it was last saved
 * with, with its own database.
 *
 * <p>Issue 14 adds kills at every step boundary ({@link
 * #killedAtEveryStepBoundaryOfInstallAndDeleteTheNextTaskLeavesNoOrphan}): the test-only hook
 * {@code PROVISION_TEST_HALT_AT=<task>:<k>} ({@link TestHaltHook}) halts the JVM before step k, or
 * after the last step, and the next task must leave no orphan in MariaDB, on disk or in nginx's
 * configuration.
 *
 * <p>CI: {@value #DEFAULT_KILLS} kills, 3 in 5 during save, with the seed {@value #DEFAULT_SEED}
 * (printed). {@code -Dtorture.kills=2000 -Dtorture.seed=…} for a longer run.
 */
class TortureIT {
  static final int DEFAULT_KILLS = 120;
  static final long DEFAULT_SEED = 9L;
  private static final int KILLS = Integer.getInteger("torture.kills", DEFAULT_KILLS);
  private static final long SEED = Long.getLong("torture.seed", DEFAULT_SEED);
  private static final Path CLI = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
  private static final List<String> SITES = List.of("one.example.com", "two.example.com", "three.example.com");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  Path home;
  LocalServers servers;
  NginxServer nginx;
  MariaDbServer db;

  @BeforeEach
  void start() throws IOException {
    assertThat(CLI.resolve("target/lib")).as("the CLI's dependencies are copied (package phase)").isDirectory();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    home = Files.createDirectories(tmp.resolve("aegir"));
    servers = LocalServers.in(Files.createDirectories(tmp.resolve("state")));
    PhpFpmServer fpm = servers.phpFpm();
    nginx = servers.nginx(home);
    db = servers.mariadb();
    Fixtures.phpPlatform(home.resolve("platforms/fixture"));
    try (Provision p = Provision.builder().home(home).build()) {
      p.save("server_master", nginx.masterContext(fpm));
      p.save("server_db", db.serverContext());
      p.save("platform_fixture", PropertyChanges.builder().set("context_type", "platform")
          .set("root", home.resolve("platforms/fixture").toString()).build());
      p.server("server_master").verify();
      p.server("server_db").verify();
      p.platform("platform_fixture").verify();
      for (String site : SITES) {
        p.save(site, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
            .set("db_server", "@server_db").set("install_method", "manual").set("aliases", "www." + site).build());
        p.site(site).run(Task.INSTALL);
      }
    }
  }

  @AfterEach
  void stop() {
    servers.close();
  }

  /** The outcome of one child. */
  record Child(boolean killed, int status, String out, String err, long millis) {}

  private Child run(List<String> args, long killAfterMillis) throws Exception {
    return run(args, killAfterMillis, Map.of());
  }

  /** Runs the command line with extra environment variables (e.g. the test-only halt hook). */
  private Child run(List<String> args, long killAfterMillis, Map<String, String> env) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:+UseSerialGC",
        "-cp", CLI.resolve("target/classes") + ":" + CLI.resolve("target/lib") + "/*",
        "net.aegirj.provision.cli.Main", "--home", home.toString()));
    command.addAll(args);
    long start = System.nanoTime();
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("PROVISION_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    boolean killed = false;
    if (killAfterMillis >= 0 && !p.waitFor(killAfterMillis, TimeUnit.MILLISECONDS)) {
      p.destroyForcibly(); // SIGKILL
      killed = true;
    }
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("provision %s ends", args).isTrue();
    return new Child(killed, p.exitValue(), out.join(), err.join(), (System.nanoTime() - start) / 1_000_000);
  }

  private static String read(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private Child ok(String... args) throws Exception {
    Child c = run(List.of(args), -1);
    assertThat(c.status()).as("provision %s succeeds: %s %s", List.of(args), c.out(), c.err()).isZero();
    return c;
  }

  @Test
  void killedDuringSaveAndVerifyTheRepositoryStaysWholeAndOneVerifyRepairsEverything() throws Exception {
    Random random = new Random(SEED);
    // How long a whole save and a whole verify take here, to aim the kills inside them.
    long saveMillis = ok("save", "@server_master", "--admin_email=admin0@example.com").millis();
    long verifyMillis = ok("verify", SITES.get(0), SITES.get(1), SITES.get(2)).millis();
    System.out.printf("TortureIT: %d kills, seed %d (-Dtorture.seed=%d); a save takes %d ms, a verify %d ms%n",
        KILLS, SEED, SEED, saveMillis, verifyMillis);
    Map<String, String> aliases = new LinkedHashMap<>();
    SITES.forEach(s -> aliases.put(s, "www." + s));
    int saveKills = 0;
    int verifyKills = 0;
    int finished = 0;
    int tempsSeen = 0;
    long started = System.nanoTime();
    for (int attempt = 0; saveKills + verifyKills < KILLS; attempt++) {
      assertThat(attempt).as("enough children are killed before they end").isLessThan(KILLS * 4);
      boolean save = random.nextInt(5) < 3;
      List<String> args = new ArrayList<>();
      long delay;
      String site = SITES.get(random.nextInt(SITES.size()));
      String newAliases = null;
      if (save) {
        if (random.nextBoolean()) {
          newAliases = "www." + site + ",a" + attempt + "." + site;
          args.addAll(List.of("save", "@" + site, "--aliases=" + newAliases));
        } else {
          args.addAll(List.of("save", "@server_master", "--admin_email=admin" + attempt + "@example.com"));
        }
        delay = saveMillis / 3 + random.nextInt((int) Math.max(1, saveMillis * 3 / 4));
      } else {
        damage(random, site);
        args.add("verify");
        args.addAll(random.nextInt(4) == 0 ? List.of("@server_master") : SITES);
        delay = verifyMillis / 4 + random.nextInt((int) Math.max(1, verifyMillis));
      }
      Child c = run(args, delay);
      if (!c.killed()) {
        finished++;
        if (newAliases != null && c.status() == 0) {
          aliases.put(site, newAliases);
        }
      } else if (save) {
        saveKills++;
        if (newAliases != null) {
          // killed before or after its rename: the stored value is whichever won
          aliases.put(site, String.join(",", storedAliases(site)));
        }
      } else {
        verifyKills++;
      }
      tempsSeen += checkRepository(attempt);
    }
    System.out.printf("TortureIT: %d kills during save, %d during verify, %d children finished before their kill,"
        + " %d stale temporary files found and swept, in %d s%n", saveKills, verifyKills, finished, tempsSeen,
        (System.nanoTime() - started) / 1_000_000_000);

    ok("verify", "@server_master");
    ok("verify", "@server_db");
    ok("verify", SITES.get(0), SITES.get(1), SITES.get(2));
    try (Provision p = Provision.builder().home(home).build()) {
      for (String site : SITES) {
        Site s = p.site(site).context();
        String dbName = s.dbName().orElseThrow();
        List<String> names = new ArrayList<>(List.of(site));
        names.addAll(s.aliases());
        assertThat(String.join(",", s.aliases())).as("@%s keeps the aliases it was last saved with", site)
            .isEqualTo(aliases.get(site));
        for (String name : names) {
          Http.Response r = Http.getUntil(nginx.port(), name, "/", x -> x.status() == 200
              && x.body().contains("db=" + dbName), Duration.ofSeconds(20));
          // the fixture names the site directory only for the site's own name, not for an alias
          assertThat(r.body()).as("%s (@%s) answers with its own database after the repairing verify", name, site)
              .contains("db=" + dbName).contains(name.equals(site) ? "site=" + site : "db=");
        }
      }
    }
  }

  /**
   * The narrowest kill window made certain: the configuration test kills the command line's JVM,
   * after the new vhost is written and before nginx is reloaded. The vhost on disk is then up to
   * date, so the next verify changes no file; it must still reload nginx, or the new alias would
   * never be served.
   */
  @Test
  void aVerifyKilledBetweenItsVhostAndTheReloadIsRepairedByTheNextVerify() throws Exception {
    String site = SITES.get(0);
    ok("save", "@" + site, "--aliases=www." + site + ",new." + site);
    ok("save", "@server_master", "--http_test_cmd=kill -9 $PPID");
    Child killed = run(List.of("verify", "@" + site), -1);
    assertThat(killed.status()).as("the configuration test killed the JVM (SIGKILL): %s %s", killed.out(),
        killed.err()).isEqualTo(128 + 9);
    assertThat(Files.readString(home.resolve("config/server_master/nginx/vhost.d").resolve(site)))
        .as("the new vhost was written before the kill").contains("new." + site);
    assertThat(Http.get(nginx.port(), "new." + site, "/").status())
        .as("nginx was not reloaded: the new alias is not served yet").isEqualTo(404);

    ok("save", "@server_master", "--http_test_cmd=" + nginx.testCommand());
    Child repair = ok("verify", "@" + site);
    assertThat(repair.out()).as("the repairing verify reloads nginx although it changes no file: %s", repair.out())
        .contains("reloaded @server_master: http");
    String dbName;
    try (Provision p = Provision.builder().home(home).build()) {
      dbName = p.site(site).context().dbName().orElseThrow();
    }
    Http.Response r = Http.getUntil(nginx.port(), "new." + site, "/", x -> x.status() == 200, Duration.ofSeconds(20));
    assertThat(r.body()).as("the new alias is served, with the site's database").contains("db=" + dbName);
    try (Stream<Path> debts = Files.list(home.resolve("locks/reload-owed"))) {
      assertThat(debts.toList()).as("no reload is owed any more").isEmpty();
    }
    Child again = ok("verify", "@" + site);
    assertThat(again.out()).as("and the verify after that reloads nothing: %s", again.out()).doesNotContain("reloaded @server_master");

    // The same repaired by a batch: one of its tasks takes the debt over (the others do not look
    // again), and the batch's one reload pays it.
    ok("save", "@" + site, "--aliases=www." + site + ",new." + site + ",newer." + site);
    ok("save", "@server_master", "--http_test_cmd=kill -9 $PPID");
    Child killedAgain = run(List.of("verify", "@" + site), -1);
    assertThat(killedAgain.status()).as("killed again before the reload: %s %s", killedAgain.out(), killedAgain.err())
        .isEqualTo(128 + 9);
    ok("save", "@server_master", "--http_test_cmd=" + nginx.testCommand());
    Child batch = ok("verify", "@" + SITES.get(1), "@" + site, "@" + SITES.get(2));
    assertThat(batch.out()).as("the repairing batch reloads nginx: %s", batch.out()).contains("reloaded @server_master: http");
    Http.Response newer = Http.getUntil(nginx.port(), "newer." + site, "/", x -> x.status() == 200, Duration.ofSeconds(20));
    assertThat(newer.body()).as("the alias saved before the kill is served after the batch").contains("db=" + dbName);
    try (Stream<Path> debts = Files.list(home.resolve("locks/reload-owed"))) {
      assertThat(debts.toList()).as("no reload is owed after the batch").isEmpty();
    }
  }

  /**
   * An install killed at a random point: installing again either completes it or is refused
   * because it had completed (the message says to verify), and then verify leaves an installed
   * site that answers over HTTP with its own database.
   */
  @Test
  void anInstallKilledAtARandomPointIsCompletedByInstallOrVerify() throws Exception {
    Random random = new Random(SEED);
    String save = "--context_type=site";
    ok("save", "@k0.example.com", save, "--platform=@platform_fixture", "--db_server=@server_db",
        "--install_method=manual");
    long installMillis = ok("install", "@k0.example.com").millis();
    int kills = 0;
    for (int k = 1; k <= Integer.getInteger("torture.installs", 8); k++) {
      String site = "k" + k + ".example.com";
      ok("save", "@" + site, save, "--platform=@platform_fixture", "--db_server=@server_db", "--install_method=manual");
      Child c = run(List.of("install", "@" + site), installMillis / 3 + random.nextInt((int) installMillis));
      kills += c.killed() ? 1 : 0;
      Child again = run(List.of("install", "@" + site), -1);
      assertThat(again.status() == 0 || again.err().contains("the site is installed already"))
          .as("@%s: installing again completes the install, or is refused as done: %s", site, again.err()).isTrue();
      ok("verify", "@" + site);
      try (Provision p = Provision.builder().home(home).build()) {
        Site s = p.site(site).context();
        assertThat(s.installed()).as("@%s is installed", site).contains(true);
        String dbName = s.dbName().orElseThrow();
        Http.Response r = Http.getUntil(nginx.port(), site, "/", x -> x.status() == 200
            && x.body().contains("db=" + dbName), Duration.ofSeconds(20));
        assertThat(r.body()).as("@%s answers with its own database", site).contains("site=" + site, "db=" + dbName);
      }
    }
    System.out.printf("TortureIT: %d installs killed, each completed by install or verify%n", kills);
  }

  private int steps(String json) throws IOException {
    return JSON.readTree(json).path("report").path("steps").size();
  }

  private List<String> orphans() throws IOException {
    return Orphans.find(home, db, home.resolve("platforms/fixture/sites"),
        home.resolve("config/server_master/nginx/vhost.d"));
  }

  /**
   * For every step boundary of install (before step k, for every k, and after the last step):
   * the command line is halted there ({@code Runtime.halt}, as {@code kill -9}: no rollback), then
   * install is run again: it completes the install (or is refused as done, and verify completes
   * it), the site gets its normal database name, answers over HTTP with it, and nothing is left
   * that no context owns: no database or user in MariaDB, no site directory, vhost, temporary file
   * or intent record. Then the site's delete is halted at a step boundary in turn, the next delete
   * completes it, and again nothing is left.
   */
  @Test
  void killedAtEveryStepBoundaryOfInstallAndDeleteTheNextTaskLeavesNoOrphan() throws Exception {
    String save = "--context_type=site";
    ok("save", "@b0.example.com", save, "--platform=@platform_fixture", "--db_server=@server_db",
        "--install_method=manual");
    int installSteps = steps(ok("--json", "install", "@b0.example.com").out());
    int deleteSteps = steps(ok("--json", "delete", "@b0.example.com").out());
    assertThat(installSteps).as("install has steps to kill between").isGreaterThan(2);
    assertThat(orphans()).as("nothing is left before the kills").isEmpty();
    int kills = 0;
    for (int k = 1; k <= installSteps + 1; k++) {
      String site = "b" + k + ".example.com";
      String name = "b" + k + "examplecom";
      ok("save", "@" + site, save, "--platform=@platform_fixture", "--db_server=@server_db", "--install_method=manual");
      Child halted = run(List.of("install", "@" + site), -1, Map.of(TestHaltHook.ENV, "install:" + k));
      assertThat(halted.status()).as("install halted before step %d of %d: %s %s", k, installSteps, halted.out(),
          halted.err()).isEqualTo(TestHaltHook.STATUS);
      kills++;
      Child again = run(List.of("install", "@" + site), -1);
      assertThat(again.status() == 0 || again.err().contains("the site is installed already"))
          .as("@%s (halted at %d): installing again completes it, or is refused as done: %s %s", site, k,
              again.out(), again.err()).isTrue();
      ok("verify", "@" + site);
      try (Provision p = Provision.builder().home(home).build()) {
        Site s = p.site(site).context();
        assertThat(s.dbName()).as("@%s (halted at %d) has its normal database name", site, k).contains(name);
      }
      Http.Response r = Http.getUntil(nginx.port(), site, "/", x -> x.status() == 200
          && x.body().contains("db=" + name), Duration.ofSeconds(20));
      assertThat(r.body()).as("@%s (halted at %d) answers with its own database", site, k).contains("db=" + name);
      assertThat(orphans()).as("after an install halted before step %d and the next install", k).isEmpty();

      int d = Math.min(k, deleteSteps + 1);
      Child deleteHalted = run(List.of("delete", "@" + site), -1, Map.of(TestHaltHook.ENV, "delete:" + d));
      assertThat(deleteHalted.status()).as("delete halted before step %d of %d: %s %s", d, deleteSteps,
          deleteHalted.out(), deleteHalted.err()).isEqualTo(TestHaltHook.STATUS);
      kills++;
      ok("delete", "@" + site);
      assertThat(db.sql("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '" + name + "%'"))
          .as("@%s: no database after a delete halted at %d and the next delete", site, d).isEmpty();
      assertThat(db.sql("SELECT User FROM mysql.user WHERE User LIKE '" + name + "%'"))
          .as("@%s: no user", site).isEmpty();
      assertThat(orphans()).as("after a delete halted before step %d and the next delete", d).isEmpty();
    }
    System.out.printf("TortureIT: %d halts at step boundaries (install: %d steps, delete: %d), no orphan after any%n",
        kills, installSteps, deleteSteps);
  }

  private List<String> storedAliases(String site) {
    try (Provision p = Provision.builder().home(home).build()) {
      return p.site(site).context().aliases();
    }
  }

  /** Gives verify something to repair: a vhost, a settings file or a database user gone, or nothing. */
  private void damage(Random random, String site) throws IOException {
    switch (random.nextInt(4)) {
      case 0 -> Files.deleteIfExists(home.resolve("config/server_master/nginx/vhost.d").resolve(site));
      case 1 -> Files.deleteIfExists(home.resolve("platforms/fixture/sites").resolve(site).resolve("settings.php"));
      case 2 -> db.sql("DROP USER IF EXISTS '" + site.replace(".", "") + "'@'127.0.0.1'");
      default -> {
        // nothing: a verify with nothing to do is killed too
      }
    }
  }

  /** @return the number of temporary files found before the repository was opened */
  private int checkRepository(int attempt) throws IOException {
    Path contexts = home.resolve("contexts");
    List<Path> files;
    try (Stream<Path> s = Files.list(contexts)) {
      files = s.toList();
    }
    int temps;
    try (Stream<Path> s = Files.list(contexts.resolve(".tmp"))) {
      temps = (int) s.count();
    }
    for (Path f : files) {
      String name = f.getFileName().toString();
      if (name.endsWith(".json")) {
        assertThat(JSON.readTree(f.toFile()).get("version").asLong())
            .as("attempt %d: %s parses and has a version", attempt, name).isPositive();
      }
    }
    FileContextRepository repository = new FileContextRepository(home);
    assertThat(repository.list()).as("attempt %d: the repository loads every context", attempt).hasSize(6);
    try (Stream<Path> s = Files.list(contexts.resolve(".tmp"))) {
      assertThat(s.map(p -> p.getFileName().toString()).toList())
          .as("attempt %d: no temporary file is left once the repository has been opened", attempt).isEmpty();
    }
    return temps;
  }
}
