package net.aegirj.provision.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.host.SshHost;
import net.aegirj.provision.core.internal.DefaultHostProvider;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.HostProvider;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.RemoteWebServer;
import net.aegirj.provision.testkit.SshServer;

/**
 * The remote figure: N sites whose web server is the testkit's sshd on 127.0.0.2 (its own mount
 * namespace, with real nginx and PHP-FPM inside), installed as one batch, then verified as one
 * batch twice: before and after 10 files per site were added (uploads on the web server and
 * module files pushed from the master). It counts SSH connections, commands and SFTP operations
 * per run from {@link SshHost#statistics()}: the re-verify must need one connection and as many
 * exchanges with the extra files as without.
 *
 * <pre>{@code java -cp bench/target/classes:bench/target/lib/* net.aegirj.provision.bench.RemoteVerify --sites 100}</pre>
 */
public final class RemoteVerify {
  private RemoteVerify() {}

  /**
   * @param args {@code --sites N} (default 100) and {@code --state DIR} (default /tmp/pbench-remote)
   * @throws Exception when a run fails
   */
  public static void main(String[] args) throws Exception {
    int n = 100;
    Path state = Path.of("/tmp/pbench-remote");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--sites" -> n = Integer.parseInt(args[++i]);
        case "--state" -> state = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("usage: RemoteVerify [--sites N] [--state DIR]");
      }
    }
    Path dir = state.resolve("n" + n + "-" + System.nanoTime());
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path home = Files.createDirectories(dir.resolve("aegir"));
    Path view = Files.createDirectories(dir.resolve("view"));
    try (LocalServers servers = LocalServers.in(Files.createDirectories(dir.resolve("state")));
        SshServer sshd = SshServer.builder().listenAddress("127.0.0.2").privateMount(home, view).start();
        RemoteWebServer web = RemoteWebServer.start(sshd, Files.createDirectories(dir.resolve("web")), home)) {
      MariaDbServer db = servers.mariadb();
      List<SshHost> opened = new CopyOnWriteArrayList<>();
      HostProvider counting = server -> {
        Host h = new DefaultHostProvider().open(server);
        if (h instanceof SshHost ssh) {
          opened.add(ssh);
        }
        return h;
      };
      try (Provision p = Provision.builder().home(home).hosts(counting).parallelism(4).build()) {
        p.save("server_web1", web.serverContext());
        p.save("server_db", db.serverContext());
        Path root = home.resolve("platforms/fixture");
        Fixtures.phpPlatform(root);
        p.save("platform_fixture", PropertyChanges.builder().set("context_type", "platform")
            .set("root", root.toString()).set("web_server", "@server_web1").build());
        p.server("server_master").verify();
        p.server("server_web1").verify();
        p.server("server_db").verify();
        p.platform("platform_fixture").verify();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          String site = String.format(Locale.ROOT, "r%05d.bench.test", i);
          names.add(site);
          p.save(site, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
              .set("db_server", "@server_db").set("install_method", "manual").build());
        }
        System.out.println("| run | sites | time (s) | connections | commands | file operations | exchanges per site |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        row("install (batch)", p, names, Task.INSTALL, opened);
        row("re-verify", p, names, Task.VERIFY, opened);
        for (String site : names) {
          Path sitePath = root.resolve("sites").resolve(site);
          Files.createDirectories(sitePath.resolve("modules/custom"));
          for (int f = 0; f < 5; f++) {
            Files.writeString(view.resolve(home.relativize(sitePath)).resolve("files/upload" + f), "x");
            Files.writeString(sitePath.resolve("modules/custom/m" + f + ".php"), "<?php // " + f + "\n");
          }
        }
        p.verifyAll(names); // pushes the module files once
        row("re-verify, 10 more files per site", p, names, Task.VERIFY, opened);
        for (String site : List.of(names.get(0), names.get(n - 1))) {
          Http.Response r = Http.getUntil(web.port(), site, "/", x -> x.status() == 200, Duration.ofSeconds(10));
          if (!r.body().contains("host=" + site)) {
            throw new IllegalStateException(site + " is not served by the remote nginx: " + r);
          }
        }
      }
    }
  }

  private static void row(String what, Provision p, List<String> names, Task task, List<SshHost> opened)
      throws IOException {
    opened.clear();
    long t0 = System.nanoTime();
    List<TaskReport> reports = p.runAll(task, names);
    double s = (System.nanoTime() - t0) / 1e9;
    long failed = reports.stream().filter(r -> !r.succeeded()).count();
    if (failed > 0) {
      throw new IllegalStateException(failed + " tasks failed, e.g. "
          + reports.stream().filter(r -> !r.succeeded()).findFirst().orElseThrow().summary());
    }
    long connections = 0;
    long commands = 0;
    long files = 0;
    for (SshHost h : opened) {
      SshHost.Statistics st = h.statistics();
      connections += st.connections();
      commands += st.commands();
      files += st.fileOperations();
    }
    System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %d | %d | %d | %.1f |%n", what, names.size(), s, connections,
        commands, files, (commands + files) / (double) names.size());
  }
}
