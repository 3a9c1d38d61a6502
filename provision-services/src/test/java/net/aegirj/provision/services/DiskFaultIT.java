package net.aegirj.provision.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PhpFpmServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9's disk faults, on real nginx, PHP-FPM and MariaDB: a site install whose platform lies on
 * a full file system (a 2 MB tmpfs, filled), and one whose vhost directory is mounted read-only.
 * Each fails with an error naming the path and the cause, and the rollback leaves everything as
 * it was: no site directory, no vhost, no database and no database user, the site not installed.
 * Needs root (mount); skipped with a reason where mounting is not permitted.
 */
class DiskFaultIT {
  private static final String SITE = "disk.example.com";
  private static final String DB = "diskexamplecom";

  @TempDir Path tmp;
  Path home;
  LocalServers servers;
  MariaDbServer db;
  final List<Path> mounts = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    home = Files.createDirectories(tmp.resolve("aegir"));
    servers = LocalServers.in(Files.createDirectories(tmp.resolve("state")));
    PhpFpmServer fpm = servers.phpFpm();
    NginxServer nginx = servers.nginx(home);
    db = servers.mariadb();
    try (Provision p = provision()) {
      p.save("server_master", nginx.masterContext(fpm));
      p.save("server_db", db.serverContext());
      p.server("server_master").verify();
      p.server("server_db").verify();
    }
  }

  @AfterEach
  void stop() throws Exception {
    try {
      for (int i = mounts.size() - 1; i >= 0; i--) {
        sh("umount", "-l", mounts.get(i).toString());
      }
    } finally {
      servers.close();
    }
  }

  private Provision provision() {
    return Provision.builder().home(home).build();
  }

  private static int sh(String... argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
  }

  private void mount(Path dir, String... argv) throws Exception {
    int status = sh(argv);
    Assumptions.assumeTrue(status == 0, "mounting is not permitted here (" + String.join(" ", argv)
        + " exited with " + status + "); the disk fault tests need root");
    mounts.add(dir);
  }

  private void savePlatformAndSite(Path root) {
    try (Provision p = provision()) {
      p.save("platform_d", PropertyChanges.builder().set("context_type", "platform").set("root", root.toString())
          .build());
      p.platform("platform_d").verify();
      p.save(SITE, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_d")
          .set("db_server", "@server_db").set("install_method", "manual").build());
    }
  }

  private void assertNothingWasLeft(Path root) throws IOException {
    try (Provision p = provision()) {
      assertThat(p.site(SITE).context().installed().orElse(false)).as("the site is not marked installed").isFalse();
      assertThat(p.site(SITE).context().dbName()).as("no database name was stored").isEmpty();
    }
    assertThat(root.resolve("sites").resolve(SITE)).as("no site directory is left").doesNotExist();
    try (Stream<Path> s = Files.list(root.resolve("sites"))) {
      assertThat(s.map(f -> f.getFileName().toString()).filter(n -> n.contains(SITE)).toList())
          .as("nothing of the site, not even a temporary file, in sites/").isEmpty();
    }
    Path vhosts = home.resolve("config/server_master/nginx/vhost.d");
    try (Stream<Path> s = Files.list(vhosts)) {
      assertThat(s.map(f -> f.getFileName().toString()).filter(n -> n.contains(SITE)).toList())
          .as("no vhost and no temporary vhost").isEmpty();
    }
    assertThat(db.sql("SHOW DATABASES")).as("no stray database").doesNotContain(DB);
    assertThat(db.sql("SELECT User FROM mysql.user")).as("no stray database user").doesNotContain(DB);
  }

  @Test
  void aFullDiskFailsTheInstallNamingThePathAndLeavesNothing() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("full"));
    mount(root, "mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", root.toString());
    Fixtures.phpPlatform(root);
    savePlatformAndSite(root);
    // fill the file system to the last byte
    try (OutputStream out = Files.newOutputStream(root.resolve("filler"))) {
      byte[] chunk = new byte[64 * 1024];
      while (true) {
        out.write(chunk);
      }
    } catch (IOException e) {
      assertThat(e.getMessage()).as("the tmpfs is full").contains("No space left on device");
    }
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.site(SITE).run(Task.INSTALL)).as("the install fails on the full disk")
          .isInstanceOf(TaskFailedException.class)
          .hasMessageContaining(root.resolve("sites").resolve(SITE).toString())
          .hasMessageContaining("No space left on device")
          .hasMessageContaining("rolled back");
    }
    assertNothingWasLeft(root);
  }

  @Test
  void aReadOnlyVhostDirectoryFailsTheInstallNamingThePathAndLeavesNothing() throws Exception {
    Path root = Fixtures.phpPlatform(home.resolve("platforms/d"));
    savePlatformAndSite(root);
    Path vhosts = home.resolve("config/server_master/nginx/vhost.d");
    mount(vhosts, "mount", "--bind", vhosts.toString(), vhosts.toString());
    mount(vhosts, "mount", "-o", "remount,ro,bind", vhosts.toString());
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.site(SITE).run(Task.INSTALL)).as("the install fails on the read-only directory")
          .isInstanceOf(TaskFailedException.class)
          .hasMessageContaining(vhosts.resolve(SITE).toString())
          .hasMessageContaining("Read-only file system")
          .hasMessageContaining("rolled back");
    }
    assertNothingWasLeft(root);
  }
}
