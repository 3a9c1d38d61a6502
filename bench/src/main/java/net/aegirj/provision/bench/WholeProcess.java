package net.aegirj.provision.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PhpFpmServer;

/**
 * The whole-process benchmark: for each N, real nginx, PHP-FPM and MariaDB on loopback ports (the
 * testkit's {@link LocalServers}), N sites on one platform installed by Provision for Java (the
 * first run: database, users, grants, directories, settings, vhost) and then verified again with
 * {@link Provision#verifyAll(List)} (nothing changed); then the same work done by the Ansible
 * playbook in {@code bench/ansible} on the same servers under other site names, run twice.
 *
 * <p>Every run is measured the same way from outside: wall-clock time; SQL statements as the
 * change of MariaDB's {@code Questions} counter, DDL as the change of its {@code Com_create_*},
 * {@code Com_drop_*}, {@code Com_grant}, {@code Com_revoke} and {@code Com_alter_user} counters;
 * writes as the files and directories under the platform's {@code sites/} and the vhost directory
 * whose inode changed (ctime) during the run; reloads as the "signal process started" lines (one per {@code nginx -s reload}) in its
 * error log. For Provision the task reports' own counts are printed beside them.
 *
 * <pre>{@code java -cp … net.aegirj.provision.bench.WholeProcess --sites 10,100 --state /tmp/pbench
 *     [--threads 4] [--ansible DIR|--no-ansible] [--results FILE]}</pre>
 */
public final class WholeProcess {
  private static final Pattern RECAP = Pattern.compile("ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)");
  private static final SecureRandom RANDOM = new SecureRandom();

  private WholeProcess() {}

  /** One measured run. */
  record Measure(String who, int sites, String run, Duration time, long statements, long ddl, long writes,
      long reloads, String detail) {
    double sitesPerSecond() {
      return sites / Math.max(1e-9, time.toNanos() / 1e9);
    }

    String row() {
      return String.format(Locale.ROOT, "| %-15s | %5d | %-9s | %9.2f | %8.1f | %6d | %5d | %6d | %3d | %s |", who, sites, run,
          time.toNanos() / 1e9, sitesPerSecond(), statements, ddl, writes, reloads, detail);
    }
  }

  /**
   * @param args see the class comment
   * @throws Exception when a server cannot start or a run fails
   */
  public static void main(String[] args) throws Exception {
    List<Integer> sizes = List.of(10);
    Path state = Path.of("/tmp/pbench");
    int threads = 4;
    Path ansible = null;
    Path results = null;
    boolean diagnose = false;
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--sites" -> sizes = Stream.of(args[++i].split(",")).map(s -> Integer.parseInt(s.replace("_", "").strip())).toList();
        case "--state" -> state = Path.of(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--ansible" -> ansible = Path.of(args[++i]).toAbsolutePath();
        case "--no-ansible" -> ansible = null;
        case "--results" -> results = Path.of(args[++i]);
        case "--diagnose" -> diagnose = true;
        case "--cli" -> o.cli = Path.of(args[++i]).toAbsolutePath();
        case "--bare" -> o.bare = true;
        case "--strategies" -> o.strategies = List.of(args[++i].split(","));
        case "--ansible-max" -> o.ansibleMax = Integer.parseInt(args[++i]);
        default -> {
          System.err.println("usage: WholeProcess --sites 10,100 [--state DIR] [--threads N] [--ansible DIR] [--results FILE]"
              + " [--cli bin/provision] [--bare] [--strategies linear[:MAX],mitogen[:MAX]] [--ansible-max N]");
          System.exit(2);
        }
      }
    }
    List<Measure> all = new ArrayList<>();
    for (int n : sizes) {
      all.addAll(runOne(n, state.resolve("n" + n), threads, n <= o.ansibleMax ? ansible : null, diagnose, o));
    }
    StringBuilder table = new StringBuilder();
    table.append("| who             | sites | run       |  time (s) |  sites/s | SQL    | DDL   | writes | rel | detail |\n");
    table.append("|-----------------|------:|-----------|----------:|---------:|-------:|------:|-------:|----:|--------|\n");
    for (Measure m : all) {
      table.append(m.row()).append('\n');
    }
    table.append('\n').append("| sites | run | ours | ours (s) | theirs | theirs (s) | theirs / ours |\n"
        + "|---:|---|---|---:|---|---:|---:|\n");
    for (Measure theirs : all) {
      if (!theirs.who().startsWith("ansible") && !theirs.who().equals("bare")) {
        continue;
      }
      for (String who : List.of("provision-cli", "provision")) {
        Duration ours = oursFor(all, who, theirs);
        if (ours != null) {
          table.append(String.format(Locale.ROOT, "| %d | %s | %s | %.2f | %s | %.2f | %.1fx |%n", theirs.sites(),
              theirs.run(), who, ours.toNanos() / 1e9, theirs.who(), theirs.time().toNanos() / 1e9,
              (double) theirs.time().toNanos() / ours.toNanos()));
        }
      }
    }
    System.out.println();
    System.out.print(table);
    if (results != null) {
      Files.writeString(results, table.toString(), StandardCharsets.UTF_8);
    }
  }

  /** The options beyond the original ones. */
  static final class Options {
    Path cli;
    boolean bare;
    List<String> strategies = List.of("linear");
    int ansibleMax = Integer.MAX_VALUE;
  }

  /**
   * Our time for the run another tool's measure compares with: the command line's first run
   * includes saving the contexts (Ansible's has nothing to save); the in-process first run's
   * contexts were saved before the timing.
   */
  private static Duration oursFor(List<Measure> all, String who, Measure theirs) {
    Duration t = null;
    for (Measure m : all) {
      if (m.who().equals(who) && m.sites() == theirs.sites()) {
        boolean first = theirs.run().equals("first");
        if (m.run().equals(first ? "first" : "re-verify") || (first && m.run().equals("save"))) {
          t = t == null ? m.time() : t.plus(m.time());
        }
      }
    }
    return theirs.who().equals("bare") && !theirs.run().equals("first") ? null : t;
  }

  private static List<Measure> runOne(int n, Path dir, int threads, Path ansible, boolean diagnose, Options o)
      throws Exception {
    deleteTree(dir);
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path home = Files.createDirectories(dir.resolve("aegir"));
    List<Measure> out = new ArrayList<>();
    try (LocalServers servers = LocalServers.in(dir.resolve("s"))) {
      PhpFpmServer fpm = servers.phpFpm();
      NginxServer nginx = servers.nginx(home);
      MariaDbServer db = servers.mariadb();
      Path platform = home.resolve("platforms/fixture");
      Path vhosts = home.resolve("config/server_master/nginx/vhost.d");
      Counters counters = new Counters(db, nginx, List.of(platform.resolve("sites"), vhosts));
      List<String> names = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        names.add(String.format(Locale.ROOT, "s%05d.bench.test", i));
      }
      try (Provision p = Provision.builder().home(home).parallelism(threads).build()) {
        p.save("server_master", nginx.masterContext(fpm));
        p.save("server_db", db.serverContext());
        Fixtures.phpPlatform(platform);
        p.save("platform_fixture", PropertyChanges.builder().set("context_type", "platform")
            .set("root", platform.toString()).build());
        p.server("server_master").verify();
        p.server("server_db").verify();
        p.platform("platform_fixture").verify();

        long t0 = System.nanoTime();
        for (String s : names) {
          p.save(s, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
              .set("db_server", "@server_db").set("install_method", "manual").build());
        }
        Duration save = Duration.ofNanos(System.nanoTime() - t0);
        System.err.printf(Locale.ROOT, "N=%d: saved %d site contexts in %d ms%n", n, n, save.toMillis());

        Counters.Snapshot before = counters.snapshot();
        t0 = System.nanoTime();
        List<TaskReport> installs = installAll(p, names);
        Duration first = Duration.ofNanos(System.nanoTime() - t0);
        out.add(measure("provision", n, "first", first, before, counters.snapshot(), installs));
        checkServed(nginx, names, p);

        before = counters.snapshot();
        t0 = System.nanoTime();
        List<TaskReport> verifies = p.verifyAll(names);
        Duration again = Duration.ofNanos(System.nanoTime() - t0);
        out.add(measure("provision", n, "re-verify", again, before, counters.snapshot(), verifies));
        checkServed(nginx, names, p);
        System.err.println(out.get(out.size() - 2).row());
        System.err.println(out.get(out.size() - 1).row());
        if (diagnose) {
          out.add(diagnose(p, n, nginx, counters));
          System.err.println(out.get(out.size() - 1).row());
        }
      }

      boolean more = o.cli != null || o.bare || ansible != null;
      if (more && n > 1) {
        // Each tool starts from the same servers in the same state: the sites one measured are
        // deleted (not timed) before the next begins; the first stays as the bare loop's model.
        clear(home, names.subList(1, n), "in-process");
      }
      if (o.cli != null) {
        out.addAll(commandLine(n, o.cli, home, dir, nginx, counters));
        clear(home, CommandLine.uris('c', n), "command line");
      }
      if (o.bare) {
        String model = names.get(0);
        String modelDb;
        String modelPassword;
        try (Provision p = Provision.builder().home(home).build()) {
          modelDb = p.site(model).context().dbName().orElseThrow();
          modelPassword = p.site(model).context().dbPasswd().orElseThrow();
        }
        Counters.Snapshot before = counters.snapshot();
        long t0 = System.nanoTime();
        List<String> bare = BareCost.run(n, model, modelDb, modelPassword, platform.resolve("sites"), vhosts, db, nginx);
        Duration signalled = Duration.ofNanos(System.nanoTime() - t0);
        // The workload ends with every site answering over HTTP, and nginx applies a reload
        // asynchronously: the bare loop's time runs until its last site answers with its database
        // (asked every 10 ms), as Provision's install ends when its reload check has seen the new
        // configuration served.
        String last = bare.get(bare.size() - 1);
        String want = "db=" + last.replace(".", "");
        Duration time = null;
        String seen = "nothing";
        while (time == null && System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos()) {
          try {
            Http.Response r = Http.get(nginx.port(), last, "/");
            if (r.body().contains(want)) {
              time = Duration.ofNanos(System.nanoTime() - t0);
              break;
            }
            seen = r.status() + " " + r.body().strip();
          } catch (java.io.UncheckedIOException e) {
            seen = e.getMessage();
          }
          Thread.sleep(10);
        }
        if (time == null) {
          throw new IllegalStateException(last + " (bare) does not answer with its database: " + seen);
        }
        Counters.Snapshot after = counters.snapshot();
        Measure m = new Measure("bare", n, "first", time, after.statements() - before.statements(),
            after.ddl() - before.ddl(), after.writesSince(before), after.reloads() - before.reloads(),
            String.format(Locale.ROOT, "one JDBC connection (DDL only), the same directories and files (each flushed),"
                + " one reload, until its last site answers (reload signalled at %.2f s); one thread",
                signalled.toNanos() / 1e9));
        System.err.println(m.row());
        out.add(m);
        BareCost.drop(bare, db);
        for (String uri : bare) {
          deleteTree(platform.resolve("sites").resolve(uri));
          Files.deleteIfExists(vhosts.resolve(uri));
        }
        Process reload = new ProcessBuilder("bash", "-c", nginx.reloadCommand()).inheritIO().start();
        if (reload.waitFor() != 0) {
          throw new IllegalStateException("nginx reload after removing the bare loop's sites failed");
        }
        System.err.printf(Locale.ROOT, "N=%d: removed the bare loop's %d sites (not timed)%n", n, bare.size());
        settle();
      }
      if (ansible != null && more) {
        clear(home, names.subList(0, 1), "in-process model");
      }
      if (ansible != null) {
        for (String spec : o.strategies) {
          // "linear:100": stock Ansible only up to 100 sites (its 1,000-site runs take half an hour)
          String strategy = spec.contains(":") ? spec.substring(0, spec.indexOf(':')) : spec;
          if (spec.contains(":") && n > Integer.parseInt(spec.substring(spec.indexOf(':') + 1))) {
            System.err.printf(Locale.ROOT, "N=%d: the playbook with strategy %s runs only up to %s sites%n", n, strategy,
                spec.substring(spec.indexOf(':') + 1));
            continue;
          }
          out.addAll(ansible(n, dir, ansible, db, nginx, fpm, platform, vhosts, counters, strategy));
        }
      }
    }
    return out;
  }

  /**
   * Not a figure to compare: what the first run costs when nginx is tested and reloaded once at
   * the end instead of once per site (the server's test and reload commands are {@code /bin/true}
   * during the installs, then one real test and reload runs, inside the timing).
   */
  private static Measure diagnose(Provision p, int n, NginxServer nginx, Counters counters) throws Exception {
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      String s = String.format(Locale.ROOT, "d%05d.bench.test", i);
      names.add(s);
      p.save(s, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_fixture")
          .set("db_server", "@server_db").set("install_method", "manual").build());
    }
    p.save("server_master", PropertyChanges.builder().set("http_test_cmd", "/bin/true")
        .set("http_restart_cmd", "/bin/true").build());
    Counters.Snapshot before = counters.snapshot();
    long t0 = System.nanoTime();
    List<TaskReport> installs = installAll(p, names);
    Process reload = new ProcessBuilder("/bin/sh", "-c", nginx.testCommand() + " && " + nginx.reloadCommand())
        .redirectErrorStream(true).start();
    String output = new String(reload.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (reload.waitFor() != 0) {
      throw new IllegalStateException("nginx test and reload failed: " + output);
    }
    Duration time = Duration.ofNanos(System.nanoTime() - t0);
    Measure m = measure("diagnose", n, "first", time, before, counters.snapshot(), installs);
    p.save("server_master", PropertyChanges.builder().set("http_test_cmd", nginx.testCommand())
        .set("http_restart_cmd", nginx.reloadCommand()).build());
    checkServed(nginx, names, p);
    return new Measure(m.who(), m.sites(), m.run(), m.time(), m.statements(), m.ddl(), m.writes(), m.reloads(),
        "one nginx test and reload at the end instead of one per site; " + m.detail());
  }

  /** The first run: every site installed as one batch (web server tested and reloaded once per group). */
  private static List<TaskReport> installAll(Provision p, List<String> names) {
    return p.runAll(Task.INSTALL, names);
  }



  private static Measure measure(String who, int n, String run, Duration time, Counters.Snapshot a,
      Counters.Snapshot b, List<TaskReport> reports) {
    long failed = reports.stream().filter(r -> !r.succeeded()).count();
    if (failed > 0) {
      throw new IllegalStateException(failed + " tasks failed, e.g. "
          + reports.stream().filter(r -> !r.succeeded()).findFirst().orElseThrow().summary());
    }
    long files = 0;
    long ddl = 0;
    long contexts = 0;
    long reloads = 0;
    for (TaskReport r : reports) {
      reloads += r.reloads().size();
      for (String c : r.changedPaths()) {
        if (c.startsWith("/")) {
          files++;
        } else if (c.startsWith("context ")) {
          contexts++;
        } else {
          ddl++;
        }
      }
    }
    String detail = String.format(Locale.ROOT, "reports: %d file changes, %d DDL, %d context saves, %d reports naming a reload",
        files, ddl, contexts, reloads);
    return new Measure(who, n, run, time, b.statements() - a.statements(), b.ddl() - a.ddl(),
        b.writesSince(a), b.reloads() - a.reloads(), detail);
  }

  private static void checkServed(NginxServer nginx, List<String> names, Provision p) {
    for (String s : List.of(names.get(0), names.get(names.size() - 1))) {
      String dbName = p.site(s).context().dbName().orElseThrow();
      Http.Response r = Http.getUntil(nginx.port(), s, "/", x -> x.body().contains("db=" + dbName), Duration.ofSeconds(10));
      if (!r.body().contains("db=" + dbName)) {
        throw new IllegalStateException(s + " does not answer with its database: " + r);
      }
    }
  }

  /**
   * Deletes sites a tool made (a batch delete: files, vhosts, databases, accounts; not timed), then
   * waits for the file system to settle (ext4 scans inodes freed in the last 30 s at every
   * creation, which slowed the next tool's first files).
   */
  private static void clear(Path home, List<String> sites, String whose) throws InterruptedException {
    long t0 = System.nanoTime();
    try (Provision p = Provision.builder().home(home).build()) {
      List<TaskReport> reports = p.runAll(Task.DELETE, sites);
      for (TaskReport r : reports) {
        if (!r.succeeded()) {
          throw new IllegalStateException("deleting the " + whose + " sites failed: " + r.summary());
        }
      }
    }
    System.err.printf(Locale.ROOT, "deleted the %d %s sites in %d ms (not timed)%n", sites.size(), whose,
        (System.nanoTime() - t0) / 1_000_000);
    settle();
  }

  private static void settle() throws InterruptedException {
    Thread.sleep(35_000);
  }

  /** The same first run and no-op verify for N other sites, through the command line. */
  private static List<Measure> commandLine(int n, Path cli, Path home, Path dir, NginxServer nginx, Counters counters)
      throws Exception {
    List<String> uris = CommandLine.uris('c', n);
    Path logs = Files.createDirectories(dir.resolve("cli"));
    Path lines = logs.resolve("sites.jsonl");
    Files.writeString(lines, CommandLine.siteLines(uris), StandardCharsets.UTF_8);
    CommandLine run = new CommandLine(cli, home, logs);
    List<Measure> out = new ArrayList<>();
    String[][] steps = {{"save", "save"}, {"first", "install"}, {"re-verify", "verify"}};
    for (String[] step : steps) {
      List<String> args = new ArrayList<>();
      args.add(step[1]);
      if (step[1].equals("save")) {
        args.add("--from=" + lines);
      } else {
        args.addAll(CommandLine.at(uris));
      }
      Counters.Snapshot before = counters.snapshot();
      Duration time = run.run(step[1], args);
      Counters.Snapshot after = counters.snapshot();
      Measure m = new Measure("provision-cli", n, step[0], time, after.statements() - before.statements(),
          after.ddl() - before.ddl(), after.writesSince(before), after.reloads() - before.reloads(),
          "whole process: bin/provision " + step[1] + (step[1].equals("save") ? " --from=FILE" : " @c00001 … (" + n + " names)"));
      System.err.println(m.row());
      out.add(m);
    }
    try (Provision p = Provision.builder().home(home).build()) {
      checkServed(nginx, uris, p);
    }
    return out;
  }

  // ------------------------------------------------------------------ Ansible

  private static List<Measure> ansible(int n, Path dir, Path playbookDir, MariaDbServer db, NginxServer nginx,
      PhpFpmServer fpm, Path platform, Path vhosts, Counters counters, String strategy) throws Exception {
    boolean mitogen = strategy.equals("mitogen");
    String who = mitogen ? "ansible-mitogen" : "ansible";
    char prefix = mitogen ? 'm' : 'a';
    Path work = Files.createDirectories(dir.resolve("ansible-" + strategy));
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
    StringBuilder vars = new StringBuilder();
    vars.append("{\n");
    vars.append("  \"db_login_host\": \"127.0.0.1\",\n");
    vars.append("  \"db_login_port\": ").append(db.port()).append(",\n");
    vars.append("  \"db_login_user\": ").append(json(db.adminUser())).append(",\n");
    vars.append("  \"db_login_password\": ").append(json(db.adminPassword())).append(",\n");
    vars.append("  \"platform_root\": ").append(json(platform.toString())).append(",\n");
    vars.append("  \"vhost_dir\": ").append(json(vhosts.toString())).append(",\n");
    vars.append("  \"http_port\": ").append(nginx.port()).append(",\n");
    vars.append("  \"fastcgi_pass\": ").append(json(fpm.address())).append(",\n");
    vars.append("  \"common_include\": ").append(json(vhosts.getParent().getParent().resolve("nginx_vhost_common.conf")
        .toString())).append(",\n");
    vars.append("  \"web_group\": \"www-data\",\n");
    vars.append("  \"nginx_test_cmd\": ").append(json(nginx.testCommand())).append(",\n");
    vars.append("  \"nginx_reload_cmd\": ").append(json(nginx.reloadCommand())).append(",\n");
    vars.append("  \"sites\": [\n");
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      String uri = String.format(Locale.ROOT, "%c%05d.bench.test", prefix, i);
      names.add(uri);
      String dbName = uri.replace(".", "");
      vars.append("    {\"uri\": ").append(json(uri)).append(", \"db\": ").append(json(dbName))
          .append(", \"password\": ").append(json(password())).append(", \"salt\": ").append(json(password() + password()))
          .append("}").append(i < n ? ",\n" : "\n");
    }
    vars.append("  ]\n}\n");
    Path varsFile = work.resolve("vars.json");
    Files.writeString(varsFile, vars.toString(), StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(varsFile, PosixFilePermissions.fromString("rw-------"));

    List<Measure> out = new ArrayList<>();
    for (String run : List.of("first", "re-verify")) {
      Path log = work.resolve("ansible-" + run + ".log");
      Counters.Snapshot before = counters.snapshot();
      long t0 = System.nanoTime();
      ProcessBuilder pb = new ProcessBuilder("ansible-playbook", "-i", playbookDir.resolve("inventory").toString(),
          playbookDir.resolve("site.yml").toString(), "-e", "@" + varsFile)
          .redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().put("ANSIBLE_CONFIG", playbookDir.resolve("ansible.cfg").toString());
      pb.environment().put("ANSIBLE_LOCAL_TEMP", work.resolve("tmp").toString());
      // ansible-core refuses to run under a locale that is not UTF-8
      pb.environment().put("LC_ALL", "C.UTF-8");
      if (mitogen) {
        // Debian's ansible-mitogen: the strategy plugin that keeps one Python interpreter per host
        pb.environment().put("ANSIBLE_STRATEGY_PLUGINS", "/usr/lib/python3/dist-packages/ansible_mitogen/plugins/strategy");
        pb.environment().put("ANSIBLE_STRATEGY", "mitogen_linear");
      }
      int exit = pb.start().waitFor();
      Duration time = Duration.ofNanos(System.nanoTime() - t0);
      Counters.Snapshot after = counters.snapshot();
      String text = Files.readString(log, StandardCharsets.UTF_8);
      if (exit != 0) {
        throw new IllegalStateException("ansible-playbook exited " + exit + "; see " + log);
      }
      Matcher m = RECAP.matcher(text);
      String detail = m.find() ? "recap: ok=" + m.group(1) + " changed=" + m.group(2) + " (tasks)" : "no recap";
      Measure measure = new Measure(who, n, run, time, after.statements() - before.statements(),
          after.ddl() - before.ddl(), after.writesSince(before), after.reloads() - before.reloads(), detail);
      System.err.println(measure.row());
      out.add(measure);
      for (String s : List.of(names.get(0), names.get(n - 1))) {
        String want = "db=" + s.replace(".", "");
        Http.Response r = Http.getUntil(nginx.port(), s, "/", x -> x.body().contains(want), Duration.ofSeconds(10));
        if (!r.body().contains(want)) {
          throw new IllegalStateException(s + " (" + who + ") does not answer with its database: " + r);
        }
      }
    }
    return out;
  }

  private static String password() {
    byte[] b = new byte[18];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b).replace('-', 'x').replace('_', 'y');
  }

  private static String json(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  // ------------------------------------------------------------------ counters

  /** What is measured from outside both tools. */
  static final class Counters {
    private static final List<String> DDL = List.of("Com_create_db", "Com_create_user", "Com_grant", "Com_drop_db",
        "Com_drop_user", "Com_revoke", "Com_alter_user", "Com_create_table", "Com_drop_table");
    private final MariaDbServer db;
    private final NginxServer nginx;
    private final List<Path> trees;
    private final long overhead;
    /** How many snapshots were taken: each one's own statements are subtracted from later ones. */
    private long taken;

    Counters(MariaDbServer db, NginxServer nginx, List<Path> trees) {
      this.db = db;
      this.nginx = nginx;
      this.trees = trees;
      // Our own status query counts as statements: measure how many, and subtract them.
      Map<String, Long> a = status();
      Map<String, Long> b = status();
      this.overhead = b.get("Questions") - a.get("Questions");
    }

    /** Counters at one moment. */
    final class Snapshot {
      final Map<String, Long> status;
      final long reloads;
      final FileTime at;

      Snapshot(Map<String, Long> status, long reloads, FileTime at) {
        this.status = status;
        this.reloads = reloads;
        this.at = at;
      }

      long statements() {
        return status.get("Questions");
      }

      long ddl() {
        return DDL.stream().mapToLong(k -> status.getOrDefault(k, 0L)).sum();
      }

      long reloads() {
        return reloads;
      }

      /** Files and directories whose inode changed after {@code earlier} was taken. */
      long writesSince(Snapshot earlier) {
        long count = 0;
        for (Path t : trees) {
          if (!Files.exists(t)) {
            continue;
          }
          try (Stream<Path> s = Files.walk(t)) {
            for (Path p : (Iterable<Path>) s::iterator) {
              FileTime ctime = (FileTime) Files.getAttribute(p, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
              if (ctime.compareTo(earlier.at) > 0 && ctime.compareTo(at) <= 0) {
                count++;
              }
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
        return count;
      }
    }

    Snapshot snapshot() {
      Map<String, Long> s = status();
      s.put("Questions", s.get("Questions") - overhead * ++taken);
      long reloads;
      try {
        // nginx logs a reload when its master handles the signal, a moment after the command
        // returned: wait until the count settles.
        reloads = reloadsLogged();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
          Thread.sleep(300);
          long again = reloadsLogged();
          if (again == reloads) {
            break;
          }
          reloads = again;
        }
        // the file system's clock, as ctime is
        Path mark = Files.createTempFile(trees.get(0).getParent(), ".mark", "");
        FileTime at = (FileTime) Files.getAttribute(mark, "unix:ctime");
        Files.delete(mark);
        return new Snapshot(s, reloads, at);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }

    private long reloadsLogged() throws IOException {
      try (Stream<String> lines = Files.lines(nginx.errorLog(), StandardCharsets.UTF_8)) {
        return lines.filter(l -> l.contains("signal process started")).count();
      }
    }

    private Map<String, Long> status() {
      String text = db.sql("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', '" + String.join("', '", DDL) + "')");
      Map<String, Long> out = new LinkedHashMap<>();
      for (String line : text.split("\n")) {
        String[] f = line.strip().split("\\s+");
        if (f.length == 2 && f[1].matches("\\d+")) {
          out.put(f[0], Long.parseLong(f[1]));
        }
      }
      if (!out.containsKey("Questions")) {
        throw new IllegalStateException("no Questions counter in: " + text);
      }
      return out;
    }
  }
}
