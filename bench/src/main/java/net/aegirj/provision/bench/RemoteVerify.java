package net.aegirj.provision.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
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
import net.aegirj.provision.testkit.LatencyProxy;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PhpFpmServer;
import net.aegirj.provision.testkit.RemoteWebServer;
import net.aegirj.provision.testkit.SshServer;

/**
 * The remote figure against the local one. For each N: N sites whose web server is the local
 * nginx (the local figure, its own Aegir home), then N sites whose web server is the testkit's
 * sshd on 127.0.0.2 (its own mount namespace, with real nginx and PHP-FPM inside), and with
 * {@code --latency-ms} N more through a {@link LatencyProxy} that holds each chunk that long in
 * each direction; each set installed as one batch, then verified as one batch (nothing changed).
 * The direct remote set is verified once more after 10 files per site were added (uploads on the
 * web server and module files pushed from the master). SSH connections, commands and SFTP
 * operations per batch come from {@link SshHost#statistics()}: one connection per batch, and as
 * many exchanges for 10 sites as for 1,000. A no-op re-verify (local or remote) is timed
 * {@value #REPEATS} times in a row and its row gives the median, the times of all runs in its last
 * column: one run of under a second moved by a third between runs of this benchmark (0.45 s and
 * 0.72 s for the same local re-verify of 1,000 sites), and the ratio with it.
 *
 * <pre>{@code java -cp bench/target/classes:bench/target/lib/* net.aegirj.provision.bench.RemoteVerify --sites 10,100 --latency-ms 10}</pre>
 */
public final class RemoteVerify {
  private static final String HEADER = "| web server | latency (ms each way) | sites | run | time (s) | × local | connections"
      + " | commands | file operations | exchanges per batch | exchanges per site | runs (s) |";
  /** How many times a no-op re-verify is timed: its row gives the median. */
  static final int REPEATS = 3;

  private RemoteVerify() {}

  /**
   * @param args {@code --sites 10,100,1000} (default 100), {@code --latency-ms MS} (default 0:
   *     no run through the proxy), {@code --threads T} (default 4), {@code --state DIR} (default
   *     /tmp/pbench-remote)
   * @throws Exception when a run fails
   */
  public static void main(String[] args) throws Exception {
    List<Integer> sizes = List.of(100);
    int latency = 0;
    int threads = 4;
    Path state = Path.of("/tmp/pbench-remote");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--sites" -> sizes = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
        case "--latency-ms" -> latency = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--state" -> state = Path.of(args[++i]);
        default -> throw new IllegalArgumentException(
            "usage: RemoteVerify [--sites N,N…] [--latency-ms MS] [--threads T] [--state DIR]");
      }
    }
    System.out.println(HEADER);
    System.out.println("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for (int n : sizes) {
      runOne(n, latency, threads, state.resolve("n" + n + "-" + System.nanoTime()));
    }
  }

  /** What one batch cost. */
  private record Row(double seconds, long connections, long commands, long files, List<Double> runs) {
    long exchanges() {
      return commands + files;
    }
  }

  private static void runOne(int n, int latency, int threads, Path dir) throws Exception {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path home = Files.createDirectories(dir.resolve("aegir"));
    Path localHome = Files.createDirectories(dir.resolve("aegir-local"));
    Path view = Files.createDirectories(dir.resolve("view"));
    try (LocalServers servers = LocalServers.in(Files.createDirectories(dir.resolve("state")));
        SshServer sshd = SshServer.builder().listenAddress("127.0.0.2").privateMount(home, view).start();
        RemoteWebServer web = RemoteWebServer.start(sshd, Files.createDirectories(dir.resolve("web")), home);
        LatencyProxy proxy = sshd.latencyProxy(Duration.ofMillis(latency))) {
      MariaDbServer db = servers.mariadb();
      Row[] local = localRuns(n, threads, localHome, servers, db);
      List<SshHost> opened = new CopyOnWriteArrayList<>();
      HostProvider counting = server -> {
        Host h = new DefaultHostProvider().open(server);
        if (h instanceof SshHost ssh) {
          opened.add(ssh);
        }
        return h;
      };
      try (Provision p = Provision.builder().home(home).hosts(counting).parallelism(threads).build()) {
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
        List<String> names = saveSites(p, "r", n);
        print("remote", 0, n, "install (batch)", run(p, names, Task.INSTALL, opened), local[0]);
        print("remote", 0, n, "re-verify", verifyRepeated(p, names, opened), local[1]);
        for (String site : names) {
          Path sitePath = root.resolve("sites").resolve(site);
          Files.createDirectories(sitePath.resolve("modules/custom"));
          for (int f = 0; f < 5; f++) {
            Files.writeString(view.resolve(home.relativize(sitePath)).resolve("files/upload" + f), "x");
            Files.writeString(sitePath.resolve("modules/custom/m" + f + ".php"), "<?php // " + f + "\n");
          }
        }
        p.verifyAll(names); // pushes the module files once
        print("remote", 0, n, "re-verify, 10 more files per site", verifyRepeated(p, names, opened), local[1]);
        checkServed(web, List.of(names.get(0), names.get(n - 1)));
        if (latency > 0) {
          p.save("server_web1", web.serverContext(proxy));
          List<String> far = saveSites(p, "q", n);
          print("remote", latency, n, "install (batch)", run(p, far, Task.INSTALL, opened), local[0]);
          print("remote", latency, n, "re-verify", verifyRepeated(p, far, opened), local[1]);
          checkServed(web, List.of(far.get(0), far.get(n - 1)));
        }
      }
    }
  }

  /** The local figure: the same sites on the local nginx, in their own Aegir home. */
  private static Row[] localRuns(int n, int threads, Path home, LocalServers servers, MariaDbServer db)
      throws IOException {
    PhpFpmServer fpm = servers.phpFpm();
    NginxServer nginx = servers.nginx(home);
    try (Provision p = Provision.builder().home(home).parallelism(threads).build()) {
      p.save("server_master", nginx.masterContext(fpm));
      p.save("server_db", db.serverContext());
      Path root = home.resolve("platforms/fixture");
      Fixtures.phpPlatform(root);
      p.save("platform_fixture", PropertyChanges.builder().set("context_type", "platform")
          .set("root", root.toString()).build());
      p.server("server_master").verify();
      p.server("server_db").verify();
      p.platform("platform_fixture").verify();
      List<String> names = saveSites(p, "l", n);
      Row install = run(p, names, Task.INSTALL, new ArrayList<>());
      print("local", 0, n, "install (batch)", install, install);
      Row verify = verifyRepeated(p, names, new ArrayList<>());
      print("local", 0, n, "re-verify", verify, verify);
      return new Row[] {install, verify};
    }
  }

  private static List<String> saveSites(Provision p, String prefix, int n) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String site = String.format(Locale.ROOT, "%s%05d.bench.test", prefix, i);
      names.add(site);
      p.save(site, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
          .set("db_server", "@server_db").set("install_method", "manual").build());
    }
    return names;
  }

  private static void checkServed(RemoteWebServer web, List<String> sites) throws IOException {
    for (String site : sites) {
      Http.Response r = Http.getUntil(web.port(), site, "/", x -> x.status() == 200, Duration.ofSeconds(10));
      if (!r.body().contains("host=" + site)) {
        throw new IllegalStateException(site + " is not served by the remote nginx: " + r);
      }
    }
  }

  private static Row run(Provision p, List<String> names, Task task, List<SshHost> opened) {
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
    return new Row(s, connections, commands, files, List.of(s));
  }

  /**
   * A no-op re-verify {@link #REPEATS} times: the median run's counters, its time, and every run's
   * time. Every run must cost the same connections, commands and file operations as the first
   * (else the runs were not alike, and the median would hide it).
   *
   * @throws IllegalStateException when they do not
   */
  private static Row verifyRepeated(Provision p, List<String> names, List<SshHost> opened) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < REPEATS; i++) {
      Row r = run(p, names, Task.VERIFY, opened);
      Row first = rows.isEmpty() ? r : rows.get(0);
      if (r.connections() != first.connections() || r.commands() != first.commands() || r.files() != first.files()) {
        throw new IllegalStateException("re-verify " + (i + 1) + " of " + names.size() + " sites cost " + r
            + ", the first " + first + ": the runs are not alike");
      }
      rows.add(r);
    }
    List<Double> times = rows.stream().map(Row::seconds).toList();
    Row median = rows.stream().sorted(Comparator.comparingDouble(Row::seconds)).toList().get(REPEATS / 2);
    return new Row(median.seconds(), median.connections(), median.commands(), median.files(), times);
  }

  private static void print(String where, int latency, int n, String what, Row r, Row local) {
    System.out.printf(Locale.ROOT, "| %s | %d | %d | %s | %.2f | %.1f | %d | %d | %d | %d | %.2f | %s |%n", where, latency,
        n, what, r.seconds(), r.seconds() / local.seconds(), r.connections(), r.commands(), r.files(), r.exchanges(),
        r.exchanges() / (double) n, r.runs().stream().map(t -> String.format(Locale.ROOT, "%.2f", t))
            .collect(Collectors.joining(" / ")));
    System.out.flush();
  }
}
