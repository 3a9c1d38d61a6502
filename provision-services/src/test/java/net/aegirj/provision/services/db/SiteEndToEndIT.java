package net.aegirj.provision.services.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Failures;
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
 * Sites end to end on real servers: nginx, PHP-FPM and MariaDB from Debian's packages. A site
 * answers over HTTP with its own database only when the vhost, the settings, the credentials and
 * the grants all agree.
 */
class SiteEndToEndIT {
  @TempDir Path tmp;
  Path home;
  LocalServers servers;
  NginxServer nginx;
  MariaDbServer db;

  @BeforeEach
  void start() throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    home = Files.createDirectories(tmp.resolve("aegir"));
    Path state = Files.createDirectories(tmp.resolve("state"));
    servers = LocalServers.in(state);
    PhpFpmServer fpm = servers.phpFpm();
    nginx = servers.nginx(home);
    db = servers.mariadb();
    try (Provision p = Provision.builder().home(home).build()) {
      p.save("server_master", nginx.masterContext(fpm));
      p.save("server_db", db.serverContext());
      Fixtures.phpPlatform(home.resolve("platforms/fixture"));
      p.save("platform_fixture", PropertyChanges.builder().set("context_type", "platform")
          .set("root", home.resolve("platforms/fixture").toString()).build());
      for (String site : List.of("one.example.com", "two.example.com")) {
        p.save(site, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
            .set("db_server", "@server_db").set("install_method", "manual").set("aliases", "www." + site).build());
      }
    }
  }

  @AfterEach
  void stop() {
    servers.close();
  }

  private Provision provision() {
    return Provision.builder().home(home).build();
  }

  private String databases() {
    return db.sql("SHOW DATABASES");
  }

  private String users() {
    return db.sql("SELECT CONCAT(User, '@', Host) FROM mysql.user ORDER BY 1");
  }

  private void installAll(Provision p) {
    p.server("server_master").verify();
    p.server("server_db").verify();
    p.platform("platform_fixture").verify();
    p.site("one.example.com").run(Task.INSTALL);
    p.site("two.example.com").run(Task.INSTALL);
  }

  @Test
  void twoSitesEachAnswerWithTheirOwnDatabase() {
    try (Provision p = provision()) {
      installAll(p);
      for (String site : List.of("one.example.com", "two.example.com")) {
        Site s = p.site(site).context();
        assertThat(s.installed()).as("%s is installed", site).contains(true);
        assertThat(s.dbName()).as("%s has its own database named after it", site)
            .contains(site.replace(".", ""));
        Http.Response r = Http.getUntil(nginx.port(), site, "/", x -> x.status() == 200, Duration.ofSeconds(10));
        assertThat(r.body()).as("%s answers with its own name and database: %s", site, r.body())
            .contains("host=" + site, "site=" + site, "db=" + s.dbName().orElseThrow());
        Http.Response alias = Http.getUntil(nginx.port(), "www." + site, "/", x -> x.status() == 200,
            Duration.ofSeconds(10));
        assertThat(alias.body()).as("the alias of %s is served in place", site).contains("db=" + s.dbName().orElseThrow());
      }
      assertThat(databases()).as("both databases exist").contains("oneexamplecom", "twoexamplecom");
      assertThat(p.resolve("server_db").get("utf8mb4_is_supported")).as("server verify probed utf8mb4")
          .contains(true);
      assertThat(p.server("server_db").verify().changedPaths()).as("a second server verify records nothing new")
          .isEmpty();
      assertThat(p.resolve("one.example.com").property("db_passwd").orElseThrow().secret())
          .as("the password is a secret").isTrue();
    }
  }

  @Test
  void anInstallThatWasKilledIsTakenOverByTheNextInstall() {
    try (Provision p = provision()) {
      installAll(p);
      String oldDb = p.site("one.example.com").context().dbName().orElseThrow();
      // What a SIGKILL between the last step and the end of an install leaves: our settings.php,
      // the database recorded in the context, and the context not marked installed.
      p.save("one.example.com", PropertyChanges.builder().reset("installed").build());
      TaskReport again = p.site("one.example.com").run(Task.INSTALL);
      assertThat(again.warnings()).as("the install says it takes over from the unfinished one")
          .anyMatch(w -> w.contains("did not finish"));
      Site s = p.site("one.example.com").context();
      assertThat(s.installed()).as("the site is installed").contains(true);
      assertThat(databases()).as("the unfinished install's database is gone, the new one is there")
          .contains(s.dbName().orElseThrow());
      assertThat(databases()).as("made afresh, not next to the leftover").doesNotContain(oldDb + "_1");
      Http.Response r = Http.getUntil(nginx.port(), "one.example.com", "/", x -> x.body().contains(
          "db=" + s.dbName().orElseThrow()), Duration.ofSeconds(10));
      assertThat(r.body()).as("it answers with its database").contains("db=" + s.dbName().orElseThrow());
    }
  }

  @Test
  void verifyTwiceChangesNothingAndRunsNoDdl() {
    try (Provision p = provision()) {
      installAll(p);
      p.site("one.example.com").verify();
      TaskReport second = p.site("one.example.com").verify();
      assertThat(second.changedPaths()).as("no file, no DDL, no context change: %s", second.changedPaths()).isEmpty();
      assertThat(second.reloads()).as("no reload").isEmpty();
      db.sql("DROP USER 'oneexamplecom'@'127.0.0.1'");
      TaskReport repair = p.site("one.example.com").verify();
      assertThat(repair.changedPaths()).as("a missing grant is repaired")
          .anyMatch(c -> c.startsWith("CREATE USER 'oneexamplecom'@'127.0.0.1'"));
      assertThat(repair.changedPaths()).as("and the password never appears in the report")
          .noneMatch(c -> c.contains(p.site("one.example.com").context().dbPasswd().orElseThrow()));
    }
  }

  @Test
  void deleteLeavesNothingOfTheSite() {
    try (Provision p = provision()) {
      installAll(p);
      Path dir = home.resolve("platforms/fixture/sites/one.example.com");
      assertThat(dir.resolve("settings.php")).as("settings written").exists();
      p.site("one.example.com").delete();
      assertThat(databases()).as("the database is dropped").doesNotContain("oneexamplecom").contains("twoexamplecom");
      assertThat(users()).as("the users are dropped").doesNotContain("oneexamplecom@");
      assertThat(dir).as("the site directory is removed").doesNotExist();
      assertThat(home.resolve("config/server_master/nginx/vhost.d/one.example.com")).as("the vhost is removed")
          .doesNotExist();
      assertThat(Http.getUntil(nginx.port(), "one.example.com", "/", x -> x.status() == 404, Duration.ofSeconds(10)).status())
          .as("the site no longer answers").isEqualTo(404);
      assertThat(p.list()).as("the context is gone").noneMatch(c -> c.name().value().equals("one.example.com"));
    }
  }

  @Test
  void backupArchivesFilesAndDatabaseAndBackupDeleteRemovesOnlyThisSitesArchives() throws Exception {
    try (Provision p = provision()) {
      installAll(p);
      db.sql("CREATE TABLE oneexamplecom.node (nid INT PRIMARY KEY, title VARCHAR(200));"
          + "INSERT INTO oneexamplecom.node VALUES (1, 'hello'), (2, 'world');");
      Path site = home.resolve("platforms/fixture/sites/one.example.com");
      Files.writeString(site.resolve("files/upload.txt"), "a user's file\n");
      TaskReport r = p.site("one.example.com").backup();
      Path archive = Path.of(r.results().get("backup_file"));
      assertThat(archive.getParent()).as("in the master's backup_path").isEqualTo(home.resolve("backups"));
      assertThat(archive.getFileName().toString()).as("named <uri>-<timestamp>.tar.gz")
          .matches("one\\.example\\.com-[0-9]{8}\\.[0-9]{6}\\.tar\\.gz");
      assertThat(Long.parseLong(r.results().get("backup_file_size"))).as("its size is reported")
          .isEqualTo(Files.size(archive));
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(archive)))
          .as("an archive holds credentials: private").isEqualTo("rw-------");
      Process tar = new ProcessBuilder("tar", "-tzf", archive.toString()).start();
      String listing = new String(tar.getInputStream().readAllBytes());
      assertThat(listing).as("Aegir's format: the site directory's contents and the dump at the root")
          .contains("./database.sql", "./settings.php", "./files/upload.txt");
      Process sql = new ProcessBuilder("tar", "-xzOf", archive.toString(), "./database.sql").start();
      assertThat(new String(sql.getInputStream().readAllBytes())).as("the dump holds the rows")
          .contains("INSERT INTO `node`").contains("hello");
      assertThat(site.resolve("database.sql")).as("no dump is left behind").doesNotExist();

      assertThatThrownBy(() -> p.site("one.example.com").backupDelete(List.of(home.resolve("etc-passwd").toString())))
          .as("a path outside backup_path is refused").hasMessageContaining("not in the backup directory");
      Path other = Files.createFile(home.resolve("backups/two.example.com-20260101.000000.tar.gz"));
      assertThatThrownBy(() -> p.site("one.example.com").backupDelete(List.of(other.toString())))
          .as("another site's archive is refused").hasMessageContaining("is not a backup of @one.example.com");
      p.site("one.example.com").backupDelete(List.of(archive.toString()));
      assertThat(archive).as("backup-delete removes the archive").doesNotExist();
      assertThat(other).as("and nothing else").exists();
    }
  }

  @Test
  void deleteWithBackupKeepsAnArchiveAndLoginResetNeedsDrush() {
    try (Provision p = provision()) {
      installAll(p);
      assertThatThrownBy(() -> p.site("two.example.com").loginReset()).as("no Drush in the fixture platform")
          .isInstanceOf(TaskFailedException.class).hasMessageContaining("vendor/bin/drush");
      db.sql("CREATE TABLE twoexamplecom.node (nid INT PRIMARY KEY); INSERT INTO twoexamplecom.node VALUES (1);");
      TaskReport r = p.site("two.example.com").delete(true);
      assertThat(Path.of(r.results().get("backup_file"))).as("the backup taken before the delete").exists();
      assertThat(databases()).as("the site is gone").doesNotContain("twoexamplecom");
    }
  }

  @Test
  void restorePutsRowsAndFilesBackAndSwitchesToANewDatabase() throws Exception {
    try (Provision p = provision()) {
      installAll(p);
      Path site = home.resolve("platforms/fixture/sites/one.example.com");
      db.sql("CREATE TABLE oneexamplecom.node (nid INT PRIMARY KEY, title VARCHAR(200));"
          + "INSERT INTO oneexamplecom.node VALUES (1, 'before');");
      Files.writeString(site.resolve("files/note.txt"), "before\n");
      String archive = p.site("one.example.com").backup().results().get("backup_file");
      db.sql("INSERT INTO oneexamplecom.node VALUES (2, 'after'); UPDATE oneexamplecom.node SET title='changed' WHERE nid=1;");
      Files.writeString(site.resolve("files/note.txt"), "after\n");
      Files.writeString(site.resolve("files/extra.txt"), "new\n");

      TaskReport r = p.site("one.example.com").restore(archive);
      assertThat(r.succeeded()).as("restore succeeds: %s", r.summary()).isTrue();
      String newDb = p.site("one.example.com").context().dbName().orElseThrow();
      assertThat(newDb).as("a new database with new credentials").isEqualTo("oneexamplecom_0");
      assertThat(db.sql("SELECT CONCAT(nid, ':', title) FROM " + newDb + ".node ORDER BY nid").strip())
          .as("the rows as they were at the backup").isEqualTo("1:before");
      assertThat(site.resolve("files/note.txt")).as("the files as they were").hasContent("before");
      assertThat(site.resolve("files/extra.txt")).as("files added later are gone").doesNotExist();
      assertThat(databases()).as("the old database is dropped once the new one works")
          .doesNotContain("oneexamplecom\n").contains(newDb);
      assertThat(users()).as("the old user is dropped").doesNotContain("oneexamplecom@");
      assertThat(home.resolve("platforms/fixture/sites/one.example.com.old")).as("no old directory left").doesNotExist();
      assertThat(home.resolve("platforms/fixture/sites/one.example.com.restore")).as("no restore directory left")
          .doesNotExist();
      assertThat(site.resolve("database.sql")).as("no dump left").doesNotExist();
      Http.Response after = Http.getUntil(nginx.port(), "one.example.com", "/",
          x -> x.body().contains("db=" + newDb), Duration.ofSeconds(10));
      assertThat(after.body()).as("the site answers with its new database").contains("db=" + newDb);
    }
  }

  @Test
  void aRestoreThatFailsAtAnyStepLeavesTheSiteServingAsItWas() throws Exception {
    String archive;
    int steps;
    try (Provision p = provision()) {
      installAll(p);
      db.sql("CREATE TABLE oneexamplecom.node (nid INT PRIMARY KEY); INSERT INTO oneexamplecom.node VALUES (1);");
      archive = p.site("one.example.com").backup().results().get("backup_file");
      steps = p.site("one.example.com").plan(Task.RESTORE).steps().size();
    }
    String dbsBefore = databases();
    String usersBefore = users();
    for (int n = 1; n <= steps; n++) {
      try (Provision p = Provision.builder().home(home).failureInjector(Failures.atStep(n)).build()) {
        int step = n;
        assertThatThrownBy(() -> p.site("one.example.com").restore(archive)).as("step %d fails", step)
            .isInstanceOf(TaskFailedException.class);
        assertThat(p.site("one.example.com").context().dbName()).as("credentials unchanged (step %d)", n)
            .contains("oneexamplecom");
      }
      assertThat(databases()).as("no stray database (step %d)", n).isEqualTo(dbsBefore);
      assertThat(users()).as("no stray user (step %d)", n).isEqualTo(usersBefore);
      assertThat(home.resolve("platforms/fixture/sites/one.example.com.restore")).as("no restore dir (step %d)", n)
          .doesNotExist();
      assertThat(home.resolve("platforms/fixture/sites/one.example.com.old")).as("no old dir (step %d)", n)
          .doesNotExist();
      Http.Response r = Http.getUntil(nginx.port(), "one.example.com", "/", x -> x.body().contains("db=oneexamplecom"),
          Duration.ofSeconds(10));
      assertThat(r.body()).as("the site still serves its own database after a failure at step %d", n)
          .contains("db=oneexamplecom");
    }
  }

  @Test
  void cloneCopiesTheSiteUnderANewNameWithItsOwnDatabase() throws Exception {
    try (Provision p = provision()) {
      installAll(p);
      db.sql("CREATE TABLE oneexamplecom.node (nid INT PRIMARY KEY, title VARCHAR(200));"
          + "INSERT INTO oneexamplecom.node VALUES (1, 'original');"
          + "CREATE TABLE oneexamplecom.node__body (entity_id INT PRIMARY KEY, body_value LONGTEXT, body_summary LONGTEXT);"
          + "INSERT INTO oneexamplecom.node__body VALUES (1, '<img src=\"/sites/one.example.com/files/a.png\">', 'x');");
      Files.writeString(home.resolve("platforms/fixture/sites/one.example.com/files/f.txt"), "file\n");
      TaskReport r = p.site("one.example.com").cloneTo("copy.example.com", null);
      assertThat(db.sql("SELECT body_value FROM copyexamplecom.node__body").strip())
          .as("paths carrying the old uri are rewritten in the copy's database")
          .isEqualTo("<img src=\"/sites/copy.example.com/files/a.png\">");
      assertThat(db.sql("SELECT body_value FROM oneexamplecom.node__body").strip())
          .as("and left alone in the original's").contains("/sites/one.example.com/files/a.png");
      assertThat(r.succeeded()).as("clone succeeds: %s", r.summary()).isTrue();
      Site copy = p.site("copy.example.com").context();
      assertThat(copy.dbName()).as("its own database").contains("copyexamplecom");
      assertThat(copy.aliases()).as("aliases are not copied").isEmpty();
      assertThat(db.sql("SELECT title FROM copyexamplecom.node").strip()).as("the rows came along").isEqualTo("original");
      assertThat(home.resolve("platforms/fixture/sites/copy.example.com/files/f.txt")).as("the files came along")
          .hasContent("file");
      assertThat(Http.getUntil(nginx.port(), "copy.example.com", "/", x -> x.body().contains("db=copyexamplecom"),
          Duration.ofSeconds(10)).body()).as("the clone answers with its own database").contains("db=copyexamplecom");
      assertThat(Http.getUntil(nginx.port(), "one.example.com", "/", x -> x.status() == 200, Duration.ofSeconds(10))
          .body()).as("the original is untouched").contains("db=oneexamplecom");
      assertThat(home.resolve("backups")).as("the clone's backup is not kept").isEmptyDirectory();
    }
  }

  @Test
  void aCloneWhoseDeployFailsAtAnyStepLeavesNoTrace() {
    try (Provision p = provision()) {
      installAll(p);
      db.sql("CREATE TABLE oneexamplecom.node (nid INT PRIMARY KEY); INSERT INTO oneexamplecom.node VALUES (1);");
    }
    String dbsBefore = databases();
    String usersBefore = users();
    int deploySteps = 8; // the code-base check, six more Drupal steps and the vhost
    for (int n = 1; n <= deploySteps; n++) {
      int step = n;
      try (Provision p = Provision.builder().home(home).failureInjector((task, ctx, index, name) -> {
        if (task == Task.DEPLOY && index == step) {
          throw new IllegalStateException("injected failure at deploy step " + step + " (" + name + ")");
        }
      }).build()) {
        assertThatThrownBy(() -> p.site("one.example.com").cloneTo("copy.example.com", null)).as("deploy step %d fails", step)
            .isInstanceOf(TaskFailedException.class).hasMessageContaining("deploy step " + step);
        assertThat(p.list()).as("no clone context (step %d)", step)
            .noneMatch(c -> c.name().value().equals("copy.example.com"));
      }
      assertThat(databases()).as("no stray database (step %d)", n).isEqualTo(dbsBefore);
      assertThat(users()).as("no stray user (step %d)", n).isEqualTo(usersBefore);
      assertThat(home.resolve("platforms/fixture/sites/copy.example.com")).as("no clone directory (step %d)", n)
          .doesNotExist();
      assertThat(home.resolve("config/server_master/nginx/vhost.d/copy.example.com")).as("no clone vhost (step %d)", n)
          .doesNotExist();
      assertThat(home.resolve("backups")).as("no archive left (step %d)", n).isEmptyDirectory();
    }
  }

  private void secondPlatform(Provision p) {
    Fixtures.phpPlatform(home.resolve("platforms/fixture2"));
    p.save("platform_fixture2", PropertyChanges.builder().set("context_type", "platform")
        .set("root", home.resolve("platforms/fixture2").toString()).build());
    p.platform("platform_fixture2").verify();
  }

  @Test
  void migrateMovesTheSiteToAnotherPlatformWithANewDatabase() throws Exception {
    try (Provision p = provision()) {
      installAll(p);
      secondPlatform(p);
      db.sql("CREATE TABLE oneexamplecom.node (nid INT PRIMARY KEY, title VARCHAR(200));"
          + "INSERT INTO oneexamplecom.node VALUES (1, 'moving');");
      Files.writeString(home.resolve("platforms/fixture/sites/one.example.com/files/f.txt"), "moved\n");
      TaskReport r = p.site("one.example.com").migrate("platform_fixture2", null);
      assertThat(r.succeeded()).as("migrate succeeds: %s", r.summary()).isTrue();
      Site s = p.site("one.example.com").context();
      assertThat(s.platform()).as("on the new platform").hasValueSatisfying(v -> assertThat(v.value()).isEqualTo("platform_fixture2"));
      String newDb = s.dbName().orElseThrow();
      assertThat(newDb).as("a new database").isNotEqualTo("oneexamplecom");
      assertThat(db.sql("SELECT title FROM " + newDb + ".node").strip()).as("the rows moved").isEqualTo("moving");
      assertThat(home.resolve("platforms/fixture2/sites/one.example.com/files/f.txt")).as("the files moved")
          .hasContent("moved");
      assertThat(home.resolve("platforms/fixture/sites/one.example.com")).as("the old directory is removed").doesNotExist();
      assertThat(databases()).as("the old database is dropped").doesNotContain("oneexamplecom\n");
      assertThat(Http.getUntil(nginx.port(), "one.example.com", "/", x -> x.body().contains("db=" + newDb),
          Duration.ofSeconds(10)).body()).as("served from the new platform").contains("db=" + newDb);
      p.platform("platform_fixture2").lock();
      assertThatThrownBy(() -> p.site("two.example.com").migrate("platform_fixture2", null))
          .as("a locked platform takes no migrations").hasMessageContaining("locked");
    }
  }

  @Test
  void migrateToANewUriServesTheNewNameAndRemovesTheOld() throws Exception {
    try (Provision p = provision()) {
      installAll(p);
      secondPlatform(p);
      db.sql("CREATE TABLE oneexamplecom.node (nid INT PRIMARY KEY); INSERT INTO oneexamplecom.node VALUES (7);");
      TaskReport r = p.site("one.example.com").migrate("platform_fixture2", null, "renamed.example.com");
      assertThat(r.succeeded()).as("rename migrate succeeds: %s", r.summary()).isTrue();
      assertThat(p.list()).as("the old context is gone").noneMatch(c -> c.name().value().equals("one.example.com"));
      String db2 = p.site("renamed.example.com").context().dbName().orElseThrow();
      assertThat(db.sql("SELECT nid FROM " + db2 + ".node").strip()).as("the rows came along").isEqualTo("7");
      assertThat(databases()).as("the old database is gone").doesNotContain("oneexamplecom\n");
      assertThat(Http.getUntil(nginx.port(), "renamed.example.com", "/", x -> x.body().contains("db=" + db2),
          Duration.ofSeconds(10)).body()).as("the new name answers with its database").contains("db=" + db2);
      assertThat(Http.getUntil(nginx.port(), "one.example.com", "/", x -> x.status() == 404, Duration.ofSeconds(10))
          .status()).as("the old name no longer answers").isEqualTo(404);
    }
  }

  @Test
  void aMigrateWhoseDeployFailsLeavesTheSiteWhereItWas() {
    try (Provision p = provision()) {
      installAll(p);
      secondPlatform(p);
    }
    String dbsBefore = databases();
    String usersBefore = users();
    for (int n = 1; n <= 8; n++) { // the code-base check, six more Drupal steps and the vhost
      int step = n;
      try (Provision p = Provision.builder().home(home).failureInjector((task, ctx, index, name) -> {
        if (task == Task.DEPLOY && index == step) {
          throw new IllegalStateException("injected failure at deploy step " + step);
        }
      }).build()) {
        assertThatThrownBy(() -> p.site("one.example.com").migrate("platform_fixture2", null))
            .as("deploy step %d fails", step).isInstanceOf(TaskFailedException.class);
        Site s = p.site("one.example.com").context();
        assertThat(s.platform()).as("still on the old platform (step %d)", step)
            .hasValueSatisfying(v -> assertThat(v.value()).isEqualTo("platform_fixture"));
        assertThat(s.dbName()).as("with its database (step %d)", step).contains("oneexamplecom");
      }
      assertThat(databases()).as("no stray database (step %d)", n).isEqualTo(dbsBefore);
      assertThat(users()).as("no stray user (step %d)", n).isEqualTo(usersBefore);
      assertThat(home.resolve("platforms/fixture2/sites/one.example.com")).as("nothing on the target (step %d)", n)
          .doesNotExist();
      assertThat(Http.getUntil(nginx.port(), "one.example.com", "/", x -> x.body().contains("db=oneexamplecom"),
          Duration.ofSeconds(10)).body()).as("still serving from the original (step %d)", n).contains("db=oneexamplecom");
    }
  }

  @Test
  void aBackupOfADatabaseLargerThanTheHeapCompletes() throws Exception {
    try (Provision p = provision()) {
      installAll(p);
    }
    // About 96 MB of rows; the backup runs in a JVM limited to 32 MB of heap.
    db.sql("CREATE TABLE oneexamplecom.big (id INT PRIMARY KEY, pad LONGTEXT);"
        + "INSERT INTO oneexamplecom.big SELECT seq, REPEAT(MD5(seq), 30000) FROM oneexamplecom.seq_1_to_100;");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-Xmx32m", "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", BackupMain.class.getName(), home.toString(), "one.example.com")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(child.getInputStream().readAllBytes()).strip();
    assertThat(child.waitFor()).as("the backup in a 32 MB heap succeeds").isZero();
    Path archive = Path.of(out);
    assertThat(archive).as("the archive exists").exists();
    Process list = new ProcessBuilder("tar", "-tvzf", archive.toString(), "./database.sql").start();
    String line = new String(list.getInputStream().readAllBytes()).strip();
    long dumpSize = Long.parseLong(line.split("\\s+")[2]);
    assertThat(dumpSize).as("the dump is larger than the heap it was made with: %s", line)
        .isGreaterThan(64L * 1024 * 1024);
  }

  @Test
  void importTakesARunningSiteUnderManagementWithoutChangingIt() throws Exception {
    try (Provision p = provision()) {
      installAll(p);
      Site installed = p.site("one.example.com").context();
      Path dir = home.resolve("platforms/fixture/sites/one.example.com");
      byte[] settings = Files.readAllBytes(dir.resolve("settings.php"));
      // Forget the site as if it had been made elsewhere, then take it over again.
      p.repository().delete(installed.name(), p.repository().load(installed.name()).orElseThrow().version());
      p.save("one.example.com", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
          .set("db_server", "@server_db").build());
      TaskReport r = p.site("one.example.com").importExisting();
      Site imported = p.site("one.example.com").context();
      assertThat(imported.dbName()).as("the database name is read back").isEqualTo(installed.dbName());
      assertThat(imported.dbPasswd()).as("and the password").isEqualTo(installed.dbPasswd());
      assertThat(imported.installed()).as("the site counts as installed").contains(true);
      assertThat(Files.readAllBytes(dir.resolve("settings.php"))).as("nothing of the site was changed").isEqualTo(settings);
      assertThat(r.changedPaths()).as("only the context changed").allMatch(c -> c.startsWith("context "));
      TaskReport verify = p.site("one.example.com").verify();
      assertThat(verify.changedPaths()).as("a verify after import finds the database and grants in place")
          .noneMatch(c -> c.contains("CREATE") || c.contains("GRANT"));
    }
  }

  @Test
  void aBackupThatFailsLeavesNoArchiveAndNoDump() {
    try (Provision p = provision()) {
      installAll(p);
      db.sql("CREATE TABLE oneexamplecom.node (nid INT PRIMARY KEY); INSERT INTO oneexamplecom.node VALUES (1);");
    }
    for (int n = 1; n <= 2; n++) {
      try (Provision p = Provision.builder().home(home).failureInjector(Failures.atStep(n)).build()) {
        int step = n;
        assertThatThrownBy(() -> p.site("one.example.com").backup()).as("step %d fails", step)
            .isInstanceOf(TaskFailedException.class);
      }
      assertThat(home.resolve("backups")).as("no archive after a failure at step %d", n).isEmptyDirectory();
      assertThat(home.resolve("platforms/fixture/sites/one.example.com/database.sql"))
          .as("no dump after a failure at step %d", n).doesNotExist();
    }
  }

  @Test
  void anInstallThatFailsAtAnyStepLeavesNothingBehind() {
    int steps;
    try (Provision p = provision()) {
      p.server("server_master").verify();
      p.server("server_db").verify();
      p.platform("platform_fixture").verify();
      steps = p.site("one.example.com").plan(Task.INSTALL).steps().size();
    }
    String dbsBefore = databases();
    String usersBefore = users();
    for (int n = 1; n <= steps; n++) {
      try (Provision p = Provision.builder().home(home).failureInjector(Failures.atStep(n)).build()) {
        int step = n;
        assertThatThrownBy(() -> p.site("one.example.com").run(Task.INSTALL)).as("step %d fails", step)
            .isInstanceOf(TaskFailedException.class);
        Site s = p.site("one.example.com").context();
        assertThat(s.dbName()).as("after a failure at step %d no credentials are recorded", n).isEmpty();
        assertThat(s.installed()).as("and the site is not installed").isEmpty();
      }
      assertThat(databases()).as("after a failure at step %d no database remains", n).isEqualTo(dbsBefore);
      assertThat(users()).as("after a failure at step %d no user remains", n).isEqualTo(usersBefore);
      assertThat(home.resolve("platforms/fixture/sites/one.example.com")).as("no site directory (step %d)", n)
          .doesNotExist();
      assertThat(home.resolve("config/server_master/nginx/vhost.d/one.example.com")).as("no vhost (step %d)", n)
          .doesNotExist();
    }
  }
}
