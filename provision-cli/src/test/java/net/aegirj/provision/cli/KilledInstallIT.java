package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import net.aegirj.provision.api.PropertyChanges;
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
 * Issue 14, finding 6: {@code kill -9} of an install between {@code CREATE DATABASE} and saving
 * the site's credentials left an orphan database and two users that nothing ever removed; the
 * next install made {@code <name>_0}. Here the command line (a child JVM) is killed at exactly
 * that point on real MariaDB: the test holds a write lock on {@code mysql.db}, so the child's
 * {@code CREATE USER} (which opens that table) waits right after its {@code CREATE DATABASE}; the
 * child is killed there, then the lock is released and the server finishes the dead child's
 * {@code CREATE USER}, leaving the database and both users. The next task on the site (install,
 * verify, or a verify of the db server once the site's context is gone) must leave no orphan in
 * MariaDB, and install must give the site its normal database name.
 */
class KilledInstallIT {
  private static final Path CLI = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
  private static final String SITE = "k.example.com";
  private static final String NAME = "kexamplecom";

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
      p.save(SITE, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
          .set("db_server", "@server_db").set("install_method", "manual").build());
    }
  }

  @AfterEach
  void stop() {
    servers.close();
  }

  private Process start(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-cp", CLI.resolve("target/classes") + ":" + CLI.resolve("target/lib") + "/*",
        "net.aegirj.provision.cli.Main", "--home", home.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("PROVISION_"));
    pb.redirectErrorStream(true);
    Process p = pb.start();
    p.getOutputStream().close();
    return p;
  }

  private String ok(String... args) throws Exception {
    Process p = start(args);
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("provision %s ends", List.of(args)).isTrue();
    assertThat(p.exitValue()).as("provision %s succeeds: %s", List.of(args), out.join()).isZero();
    return out.join();
  }

  private static String read(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() < deadline).as("waiting for: %s", what).isTrue();
      Thread.sleep(50);
    }
  }

  private List<String> lines(String sql) {
    String s = db.sql(sql);
    return s.isBlank() ? List.of() : List.of(s.split("\n"));
  }

  private List<String> databases() {
    return lines("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'kexamplecom%'");
  }

  private List<String> users() {
    return lines("SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User LIKE 'kexamplecom%' ORDER BY 1");
  }

  /** Kills an install of the site right after its CREATE DATABASE; the server then creates the users. */
  private void killInstallAfterCreateDatabase() throws Exception {
    try (Connection lock = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + db.port() + "/",
        MariaDbServer.ADMIN_USER, db.adminPassword()); Statement st = lock.createStatement()) {
      st.execute("LOCK TABLES mysql.db WRITE");
      Process child = start("install", "@" + SITE);
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(child.getInputStream()));
      waitFor("the child's CREATE USER waits for the lock, after its CREATE DATABASE", () -> !lines(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'CREATE USER%'").isEmpty()
          || !child.isAlive());
      assertThat(child.isAlive()).as("the install waits in CREATE USER: %s", child.isAlive() ? "" : out.join())
          .isTrue();
      assertThat(databases()).as("the database was created").containsExactly(NAME);
      child.destroyForcibly(); // SIGKILL
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child is gone").isTrue();
      assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);
      st.execute("UNLOCK TABLES");
    }
    waitFor("the dead child's CREATE USER has run", () -> lines(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'CREATE USER%'").isEmpty());
  }

  private void assertTheFindingsState() throws IOException {
    assertThat(databases()).as("the kill left the database").containsExactly(NAME);
    assertThat(users()).as("and the site's two users").containsExactly(NAME + "@127.0.0.1", NAME + "@localhost");
    try (Provision p = Provision.builder().home(home).build()) {
      assertThat(p.site(SITE).context().dbName()).as("and the site records no database").isEmpty();
    }
    Path intents = home.resolve("state/intents");
    try (Stream<Path> s = Files.list(intents)) {
      List<Path> records = s.toList();
      assertThat(records).as("the killed install left its record of intents").hasSize(1);
      String record = Files.readString(records.get(0));
      assertThat(record).as("naming the database and the users' hosts")
          .contains("\"kind\":\"database\",\"name\":\"" + NAME + "\"", "\"kind\":\"db user\"", "127.0.0.1");
      assertThat(record).as("and no secret").doesNotContainIgnoringCase("password").doesNotContain(db.adminPassword());
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(records.get(0))))
          .as("private").isEqualTo("rw-------");
    }
  }

  @Test
  void theNextInstallDropsTheOrphanAndUsesTheNormalName() throws Exception {
    killInstallAfterCreateDatabase();
    assertTheFindingsState();
    String out = ok("install", "@" + SITE);
    assertThat(out).as("the install says what it dropped").contains("database " + NAME + " on @server_db was left by"
        + " a killed install");
    assertThat(databases()).as("one database, the normal name (not " + NAME + "_0)").containsExactly(NAME);
    assertThat(users()).as("the site's users, nothing else").containsExactly(NAME + "@127.0.0.1", NAME + "@localhost");
    try (Provision p = Provision.builder().home(home).build()) {
      assertThat(p.site(SITE).context().dbName()).as("the site records it").contains(NAME);
    }
    Http.Response r = Http.getUntil(nginx.port(), SITE, "/", x -> x.status() == 200, Duration.ofSeconds(20));
    assertThat(r.body()).as("the site answers with its database").contains("db=" + NAME);
    assertThat(Orphans.find(home, db, home.resolve("platforms/fixture/sites"),
        home.resolve("config/server_master/nginx/vhost.d"))).as("no orphan anywhere").isEmpty();
  }

  @Test
  void theNextVerifyDropsTheOrphanAndDeleteLeavesNothing() throws Exception {
    killInstallAfterCreateDatabase();
    assertTheFindingsState();
    ok("verify", "@" + SITE);
    assertThat(databases()).as("verify dropped the database the site does not record").isEmpty();
    assertThat(users()).as("and its users").isEmpty();
    ok("delete", "@" + SITE);
    assertThat(Orphans.find(home, db, home.resolve("platforms/fixture/sites"),
        home.resolve("config/server_master/nginx/vhost.d"))).as("no orphan after delete").isEmpty();
  }

  @Test
  void aVerifyOfTheDbServerSettlesWhatWasLeftForADeletedSite() throws Exception {
    killInstallAfterCreateDatabase();
    assertTheFindingsState();
    ok("save", "@" + SITE, "--delete");
    String out = ok("verify", "@server_db");
    assertThat(out).as("server verify warns about the record of a context that no longer exists")
        .contains("@" + SITE, "no longer exists");
    assertThat(databases()).as("and drops the database").isEmpty();
    assertThat(users()).as("and the users").isEmpty();
    try (Stream<Path> s = Files.list(home.resolve("state/intents"))) {
      assertThat(s.toList()).as("the record is settled").isEmpty();
    }
  }
}
