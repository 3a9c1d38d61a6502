package net.aegirj.provision.services.drupal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.Generators;
import net.aegirj.provision.testkit.HostileArchives;
import net.aegirj.provision.testkit.HostileArchives.Archive;
import net.aegirj.provision.testkit.HostileArchives.DumpFlaw;
import net.aegirj.provision.testkit.HostileArchives.Flaw;
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
 * Issue 14, findings 2 and 3, on real servers (nginx, PHP-FPM, MariaDB) and the real file
 * system: archives handed to restore and deploy are untrusted. A hostile member (device, FIFO,
 * set-uid root file, {@code files} linked outside, …) is refused by name before anything is
 * unpacked; a dump that tries the {@code mysql} client's shell escape, {@code LOAD DATA LOCAL} or
 * {@code source} fails the import, the task rolls back, and nothing outside the site's database
 * changed. Then {@value #DEFAULT_ARCHIVES} generated archives ({@code -Darchives.it=N}) end to
 * end through restore and deploy.
 */
class HostileArchiveIT {
  static final int DEFAULT_ARCHIVES = 24;
  private static final int ARCHIVES = Integer.getInteger("archives.it", DEFAULT_ARCHIVES);
  private static final long SEED = Long.getLong("archives.seed", 20261214L);
  private static final String SITE = "one.example.com";

  @TempDir Path tmp;
  Path home;
  Path outside;
  Path uploads;
  LocalServers servers;
  NginxServer nginx;
  MariaDbServer db;

  @BeforeEach
  void start() throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    home = Files.createDirectories(tmp.resolve("aegir"));
    outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(outside.resolve("keep.txt"), "outside the site\n");
    uploads = Files.createDirectories(tmp.resolve("uploads"));
    servers = LocalServers.in(Files.createDirectories(tmp.resolve("state")));
    PhpFpmServer fpm = servers.phpFpm();
    nginx = servers.nginx(home);
    db = servers.mariadb();
    try (Provision p = provision()) {
      p.save("server_master", nginx.masterContext(fpm));
      p.save("server_db", db.serverContext());
      Fixtures.phpPlatform(home.resolve("platforms/fixture"));
      p.save("platform_fixture", PropertyChanges.builder().set("context_type", "platform")
          .set("root", home.resolve("platforms/fixture").toString()).build());
      p.save(SITE, site());
      p.server("server_master").verify();
      p.server("server_db").verify();
      p.platform("platform_fixture").verify();
      p.site(SITE).run(Task.INSTALL);
      String name = p.site(SITE).context().dbName().orElseThrow();
      db.sql("CREATE TABLE " + name + ".node (nid INT PRIMARY KEY, title VARCHAR(200));"
          + "INSERT INTO " + name + ".node VALUES (1, 'original');");
    }
  }

  private static PropertyChanges site() {
    return PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
        .set("db_server", "@server_db").set("install_method", "manual").build();
  }

  @AfterEach
  void stop() {
    servers.close();
  }

  private Provision provision() {
    return Provision.builder().home(home).build();
  }

  /** What must not change: the platform (but the site directory), the outside, the databases. */
  private Map<String, String> world(String... except) throws IOException {
    Map<String, String> out = new TreeMap<>();
    SafeExtractTest.snapshot(home.resolve("platforms")).forEach((k, v) -> {
      for (String e : except) {
        if (k.equals(e) || k.startsWith(e + "/")) {
          return;
        }
      }
      out.put("platforms/" + k, v);
    });
    SafeExtractTest.snapshot(outside).forEach((k, v) -> out.put("outside/" + k, v));
    out.put("databases", db.sql("SHOW DATABASES"));
    out.put("users", db.sql("SELECT CONCAT(User, '@', Host) FROM mysql.user ORDER BY 1"));
    return out;
  }

  private String siteDb(Provision p) {
    return p.site(SITE).context().dbName().orElseThrow();
  }

  private void assertServesItsOldDatabase(Provision p, String why) {
    String name = siteDb(p);
    assertThat(db.sql("SELECT title FROM " + name + ".node WHERE nid = 1")).as("%s: the site's rows are there", why)
        .contains("original");
    Http.Response r = Http.getUntil(nginx.port(), SITE, "/", x -> x.status() == 200, Duration.ofSeconds(10));
    assertThat(r.body()).as("%s: the site still answers with its database", why).contains("db=" + name);
  }

  // ------------------------------------------------------------------ finding 2

  /** A backup of the site with its dump replaced. */
  private Path withDump(Provision p, String dump, String name) throws Exception {
    Path archive = Path.of(p.site(SITE).backup().results().get("backup_file"));
    Path dir = Files.createDirectories(tmp.resolve("unpacked-" + name));
    run("tar", "-xzf", archive.toString(), "-C", dir.toString());
    Files.writeString(dir.resolve("database.sql"), dump);
    Path out = uploads.resolve(name + ".tar.gz");
    run("tar", "-czf", out.toString(), "-C", dir.toString(), ".");
    Files.delete(archive);
    return out;
  }

  private static void run(String... argv) throws Exception {
    Process pr = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(pr.getInputStream().readAllBytes());
    assertThat(pr.waitFor()).as("%s: %s", String.join(" ", argv), out).isZero();
  }

  @Test
  void aDumpCanRunNoCommandReadNoFileAndReachNoOtherDatabase() throws Exception {
    Path marker = outside.resolve("pwned");
    Path sourced = outside.resolve("sourced.sql");
    Files.writeString(sourced, "CREATE TABLE sourced_was_run (x INT);\n");
    try (Provision p = provision()) {
      int n = 0;
      for (DumpFlaw flaw : DumpFlaw.values()) {
        HostileArchives.Dump dump = HostileArchives.hostileDump(new Random(flaw.ordinal()), flaw, marker.toString(),
            sourced.toString());
        Path archive = withDump(p, dump.sql(), "dump-" + flaw.name().toLowerCase());
        Map<String, String> before = world();
        boolean deploy = n++ % 2 == 1;
        Throwable t = catchThrowable(() -> {
          if (deploy) {
            p.save("copy.example.com", site());
            p.site("copy.example.com").run(Task.DEPLOY, Map.of("file", archive.toString()));
          } else {
            p.site(SITE).restore(archive.toString());
          }
        });
        String task = (deploy ? "deploy" : "restore") + " with a dump that tries " + flaw;
        assertThat(marker).as("%s: no command ran, no file was written", task).doesNotExist();
        assertThat(db.sql("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME IN ('sourced_was_run', 'stolen')"))
            .as("%s: no other file was run as SQL, no local file was loaded", task).contains("0");
        assertThat(db.sql("SHOW DATABASES")).as("%s: no other database", task).doesNotContain("provision_pwned");
        if (!flaw.failsTheImport()) {
          // The batch-mode client ignores the line; the import goes through, harmlessly.
          assertThat(t).as("%s: %s", task, t).isNull();
          if (deploy) {
            p.site("copy.example.com").delete();
          }
          continue;
        }
        assertThat(t).as("%s fails", task).isInstanceOf(TaskFailedException.class);
        assertThat(t.getMessage()).as("%s: the import step failed and was rolled back", task)
            .contains("database").contains("rolled back");
        assertThat(world()).as("%s: nothing changed (the new database was dropped)", task).isEqualTo(before);
        if (deploy) {
          assertThat(home.resolve("platforms/fixture/sites/copy.example.com")).as("%s: no site directory", task)
              .doesNotExist();
          p.delete("copy.example.com");
        }
        assertServesItsOldDatabase(p, task);
      }
    }
  }

  // ------------------------------------------------------------------ finding 3

  @Test
  void devicesFifosSetuidFilesAndAFilesLinkOutsideAreRefusedByNameAndChangeNothing() throws Exception {
    try (Provision p = provision()) {
      for (Flaw flaw : List.of(Flaw.CHAR_DEVICE, Flaw.FIFO, Flaw.SETUID, Flaw.FILES_LINK, Flaw.LINK_CHAIN_OUT,
          Flaw.HARD_LINK, Flaw.ABSOLUTE_PATH)) {
        Archive a = HostileArchives.of(new Random(flaw.ordinal()), flaw);
        Path file = Files.write(uploads.resolve(flaw.name() + ".tar.gz"), a.gzip());
        for (boolean deploy : new boolean[] {false, true}) {
          refusedAndNothingChanged(p, a, file, deploy, flaw.name());
        }
      }
      assertServesItsOldDatabase(p, "after the refused archives");
    }
  }

  private void refusedAndNothingChanged(Provision p, Archive a, Path file, boolean deploy, String why) throws IOException {
    Map<String, String> before = world();
    Throwable t = catchThrowable(() -> run(p, file, deploy));
    String task = (deploy ? "deploy of " : "restore of ") + a + " (" + why + ")";
    assertThat(t).as("%s fails", task).isInstanceOf(TaskFailedException.class);
    assertThat(t.getCause()).as("%s: refused as bad input", task).isInstanceOf(InvalidContextException.class);
    assertThat(t.getMessage()).as("%s: names the archive", task).contains(file.toString());
    if (a.member() != null) {
      assertThat(t.getMessage()).as("%s: names the member", task).contains(Text.quote(a.member()));
    }
    assertThat(world()).as("%s: nothing changed", task).isEqualTo(before);
    assertThat(home.resolve("platforms/fixture/sites/" + SITE + ".restore")).as("%s: no restore directory", task)
        .doesNotExist();
    if (deploy) {
      p.delete("copy.example.com");
    }
  }

  private void run(Provision p, Path file, boolean deploy) {
    if (deploy) {
      p.save("copy.example.com", site());
      p.site("copy.example.com").run(Task.DEPLOY, Map.of("file", file.toString()));
    } else {
      p.site(SITE).restore(file.toString());
    }
  }

  // ------------------------------------------------------------------ corpus

  @Test
  void generatedArchivesEndToEndChangeNothingOutsideTheSite() throws Exception {
    System.out.printf("HostileArchiveIT: %d archives, seed %d (-Darchives.it=N -Darchives.seed=%d)%n", ARCHIVES,
        SEED, SEED);
    Random seeds = new Random(SEED);
    int accepted = 0;
    try (Provision p = provision()) {
      for (int i = 0; i < ARCHIVES; i++) {
        long seed = seeds.nextLong();
        // Every third one valid-looking, so that the unpacking itself runs end to end too.
        Archive a = i % 3 == 0 ? HostileArchives.valid(Generators.random(seed))
            : HostileArchives.generateForDefaultLimits(Generators.random(seed));
        Path file = Files.write(uploads.resolve("corpus-" + i + ".tar.gz"), a.gzip());
        boolean deploy = i % 2 == 1;
        if (a.flaw() != Flaw.NONE) {
          refusedAndNothingChanged(p, a, file, deploy, "seed " + seed);
          continue;
        }
        accepted++;
        String dir = deploy ? "fixture/sites/copy.example.com" : "fixture/sites/" + SITE;
        Map<String, String> before = world(dir);
        run(p, file, deploy);
        assertThat(withoutDb(world(dir))).as("seed %d: %s: nothing changed outside the site", seed, a)
            .isEqualTo(withoutDb(before));
        Path site = home.resolve("platforms/" + dir);
        try (var s = Files.walk(site)) {
          for (Path x : (Iterable<Path>) s::iterator) {
            if (Files.isSymbolicLink(x)) {
              continue;
            }
            int mode = (Integer) Files.getAttribute(x, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS) & 07777;
            assertThat(mode & 05002).as("seed %d: %s is not set-uid, sticky or world-writable", seed, x).isZero();
          }
        }
        String host = deploy ? "copy.example.com" : SITE;
        String name = p.site(host).context().dbName().orElseThrow();
        assertThat(db.sql("SELECT COUNT(*) FROM " + name + ".node")).as("seed %d: the dump was imported", seed)
            .doesNotContain("ERROR");
        if (deploy) {
          p.site("copy.example.com").delete();
        }
      }
    }
    System.out.printf("HostileArchiveIT: %d of %d accepted and unpacked%n", accepted, ARCHIVES);
    assertThat(accepted).as("some archives went all the way through").isPositive();
  }

  private static Map<String, String> withoutDb(Map<String, String> m) {
    Map<String, String> out = new TreeMap<>(m);
    out.remove("databases");
    out.remove("users");
    return out;
  }
}
