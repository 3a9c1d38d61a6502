package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts real nginx, Apache, PHP-FPM and MariaDB with {@link LocalServers}, serves the fixture PHP
 * platform through both web servers with a database check from PHP, and proves that
 * {@link LocalServers#close()} leaves no process behind.
 */
class LocalServersIT {
  private static final Duration RELOAD_TIMEOUT = Duration.ofSeconds(30);

  @TempDir
  Path temp;

  @Test
  void serversServeTheFixtureAndStopCompletely() throws IOException {
    // www-data (Apache's children, nginx's workers) must reach the sockets and the document root
    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path state = temp.resolve("state");
    Path aegirRoot = temp.resolve("aegir");
    Files.createDirectories(aegirRoot.resolve("config"));
    Files.setPosixFilePermissions(aegirRoot, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path root = Fixtures.phpPlatform(temp.resolve("platform"));
    Files.createDirectories(root.resolve("sites/a.test"));
    Files.setPosixFilePermissions(root.resolve("sites/a.test"), PosixFilePermissions.fromString("rwxr-xr-x"));

    Set<Long> pids = new LinkedHashSet<>();
    LocalServers servers = LocalServers.in(state);
    try {
      PhpFpmServer fpm = servers.phpFpm();
      MariaDbServer db = servers.mariadb();
      NginxServer nginx = servers.nginx(aegirRoot);
      ApacheServer apache = servers.apache(aegirRoot);
      System.out.printf("startup: php-fpm %d ms, mariadb %d ms (install-db included), nginx %d ms, apache %d ms%n",
          fpm.startupTime().toMillis(), db.startupTime().toMillis(), nginx.startupTime().toMillis(),
          apache.startupTime().toMillis());

      // MariaDB: root through the socket, the admin account over TCP
      assertThat(db.sql("SELECT 1")).as("root runs SQL through the socket").isEqualTo("1");
      assertThat(db.sqlOverTcp(db.adminUser(), db.adminPassword(), "SELECT CURRENT_USER()"))
          .as("the admin account logs in over TCP 127.0.0.1")
          .startsWith("provision_admin@");
      assertThat(db.sql("SHOW GRANTS FOR 'provision_admin'@'127.0.0.1'"))
          .as("the admin account has every privilege with grant option")
          .contains("ALL PRIVILEGES ON *.*").contains("WITH GRANT OPTION");
      assertThat(db.masterDbUrl()).as("master_db names the admin account and the port")
          .isEqualTo("mysql://provision_admin:" + db.adminPassword() + "@127.0.0.1:" + db.port());

      // nginx: nothing listens until a server block says so; then reload
      assertThat(ServerProcess.acceptsTcp(nginx.port())).as("nginx listens nowhere before a vhost exists").isFalse();
      Files.writeString(aegirRoot.resolve("config/nginx.conf"), "server {\n"
          + "  listen 127.0.0.1:" + nginx.port() + ";\n"
          + "  server_name a.test;\n"
          + "  root " + root + ";\n"
          + "  index index.php;\n"
          + "  location ~ \\.php$ {\n"
          + "    include /etc/nginx/fastcgi_params;\n"
          + "    fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n"
          + dbParams("    fastcgi_param %s %s;\n", db)
          + "    fastcgi_pass " + fpm.address() + ";\n"
          + "  }\n"
          + "}\n");
      assertThat(sh(nginx.testCommand()).exitCode()).as("nginx -t accepts the vhost").isZero();
      assertThat(sh(nginx.reloadCommand()).exitCode()).as("nginx -s reload succeeds").isZero();
      nginx.awaitListening(RELOAD_TIMEOUT);
      Http.Response viaNginx = Http.getUntil(nginx.port(), "a.test", "/", r -> r.status() == 200, RELOAD_TIMEOUT);
      assertThat(viaNginx.body()).as("nginx passes the request and db_* to PHP-FPM, and PHP reaches MariaDB")
          .isEqualTo("host=a.test site=a.test db=mysql\n");
      assertThat(viaNginx.header("Content-Type")).as("the fixture answers in plain text")
          .hasValueSatisfying(v -> assertThat(v).as("content type").startsWith("text/plain"));

      // Apache: graceful reload picks up the vhost
      Files.writeString(aegirRoot.resolve("config/apache.conf"), "<VirtualHost 127.0.0.1:" + apache.port() + ">\n"
          + "  ServerName a.test\n"
          + "  DocumentRoot " + root + "\n"
          + "  <Directory " + root + ">\n"
          + "    Require all granted\n"
          + "  </Directory>\n"
          + dbParams("  SetEnv %s %s\n", db)
          + "  <FilesMatch \\.php$>\n"
          + "    SetHandler \"proxy:unix:" + fpm.socket() + "|fcgi://localhost\"\n"
          + "  </FilesMatch>\n"
          + "</VirtualHost>\n");
      ServerProcess.Result test = sh(apache.testCommand());
      assertThat(test.exitCode()).as("apache2 -t accepts the vhost: %s", test.stderr()).isZero();
      assertThat(sh(apache.reloadCommand()).exitCode()).as("apache2 -k graceful succeeds").isZero();
      Http.Response viaApache = Http.getUntil(apache.port(), "a.test", "/",
          r -> r.status() == 200 && r.body().startsWith("host=a.test"), RELOAD_TIMEOUT);
      assertThat(viaApache.body()).as("Apache passes the request and SetEnv db_* to PHP-FPM, and PHP reaches MariaDB")
          .isEqualTo("host=a.test site=a.test db=mysql\n");
      assertThat(Http.get(apache.port(), "other.test", "/").body())
          .as("the only vhost is the default for other names too; no site directory for them")
          .isEqualTo("host=other.test site=none db=mysql\n");
      assertThat(Http.get(apache.port(), "a.test", "/.htaccess").status())
          .as("Apache denies .ht* files as Debian does").isEqualTo(403);

      for (ServerProcess p : List.of(fpm.process(), db.process(), nginx.process(), apache.process())) {
        assertThat(p.isAlive()).as("%s still runs", p).isTrue();
        pids.addAll(p.pids());
      }
      assertThat(pids).as("masters and workers are known").hasSizeGreaterThan(4);
    } finally {
      servers.close();
    }
    servers.close(); // idempotent

    List<Long> alive = new ArrayList<>();
    for (long pid : pids) {
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        alive.add(pid);
      }
    }
    assertThat(alive).as("close() stops every server process and worker (%s)", pids).isEmpty();
    assertThat(ServerProcess.acceptsUnix(state.resolve("php-fpm/php-fpm.sock")))
        .as("the PHP-FPM socket is closed").isFalse();
  }

  @Test
  void startupErrorsShowTheLogTail() throws IOException {
    Path log = temp.resolve("console.log");
    try (ServerProcess dying = ServerProcess.start("dying", List.of("/bin/sh", "-c", "echo boom >&2; exit 3"), temp,
        log, List.of(), Duration.ofSeconds(5))) {
      assertThatThrownBy(() -> dying.awaitTcp(Ports.free(), Duration.ofSeconds(30)))
          .as("a server that exits before it is ready fails at once, with its output")
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("exited with status 3")
          .hasMessageContaining("boom");
    }
    ServerProcess slow = ServerProcess.start("slow", List.of("/bin/sleep", "60"), temp, temp.resolve("slow.log"),
        List.of(log), Duration.ofSeconds(5));
    try (slow) {
      assertThatThrownBy(() -> slow.awaitUnixSocket(temp.resolve("never.sock"), Duration.ofMillis(300)))
          .as("a server that does not become ready in time fails with every log's tail")
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("did not provide a listener on unix:")
          .hasMessageContaining("last lines of " + log)
          .hasMessageContaining("boom");
    }
    assertThat(ProcessHandle.of(slow.pid()).map(ProcessHandle::isAlive).orElse(false))
        .as("close() stopped the slow process").isFalse();

    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path aegirRoot = temp.resolve("aegir");
    Files.createDirectories(aegirRoot.resolve("config"));
    Files.writeString(aegirRoot.resolve("config/nginx.conf"), "this is not nginx;\n");
    Files.writeString(aegirRoot.resolve("config/apache.conf"), "ThisIsNotApache on\n");
    try (LocalServers servers = LocalServers.in(temp.resolve("state"))) {
      assertThatThrownBy(() -> servers.nginx(aegirRoot)).as("nginx refuses a broken include, and says why")
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("unknown directive \"this\"");
      assertThatThrownBy(() -> servers.apache(aegirRoot)).as("Apache refuses a broken include, and says why")
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("ThisIsNotApache");
    }
  }

  @Test
  void fixtureFilesAreReadableByTheWebServer() throws IOException {
    Path root = Fixtures.phpPlatform(temp.resolve("platform"));
    for (String file : Fixtures.phpFiles()) {
      assertThat(Files.getPosixFilePermissions(root.resolve(file)))
          .as("%s is mode 0644", file).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
    }
    assertThat(Files.getPosixFilePermissions(root.resolve("sites/all/modules")))
        .as("directories are mode 0755").isEqualTo(PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(Files.readString(root.resolve("core/lib/Drupal.php")))
        .as("version detection sees Drupal 10").contains("class Drupal").contains("const VERSION = '10.3.0';");
  }

  private static String dbParams(String format, MariaDbServer db) {
    return String.format(format, "db_type", "mysql") + String.format(format, "db_host", "127.0.0.1")
        + String.format(format, "db_port", db.port()) + String.format(format, "db_name", "mysql")
        + String.format(format, "db_user", db.adminUser()) + String.format(format, "db_passwd", db.adminPassword());
  }

  private static ServerProcess.Result sh(String command) {
    return ServerProcess.run(List.of("/bin/sh", "-c", command), Duration.ofSeconds(60));
  }
}
