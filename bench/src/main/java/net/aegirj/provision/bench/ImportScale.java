package net.aegirj.provision.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.aegir.AegirImport;

/**
 * The cost of saving contexts as the repository grows (issue 18: "saving or importing N contexts
 * costs O(N)"): N generated Aegir alias files (a server, a platform, N sites, each site with one
 * alias) imported into an empty file repository, timed in this process ({@link AegirImport#run}
 * with a fresh {@link Provision}, opened and closed inside the timing), and, with {@code --cli},
 * as a whole process of the command line ({@code provision --home H import DIR}, wall clock).
 * Every run starts from an empty home of its own; the alias files are generated once per N (and
 * kept for later runs).
 *
 * <p>No file is deleted while the runs are timed: the homes are removed at the end, and the
 * homes an earlier run left are removed first, then the run waits {@code --settle} seconds. ext4
 * does not reuse an inode freed in the last 30 seconds: it scans past each such inode, in the
 * inode table, for every file it creates, and an import creates 40,000 entries (a file and two
 * host-name links a site). Removed just before, 30,000 files made the same import take up to
 * three times as long, two thirds of it in the kernel's {@code recently_deleted}
 * ({@code perf record -a -g}).
 *
 * <pre>{@code java -cp 'bench/target/classes:bench/target/lib/*' net.aegirj.provision.bench.ImportScale \
 *     [--sites 1000,10000] [--rounds 1] [--dir /tmp/pbench-import] [--cli bin/provision] [--settle 35]}</pre>
 */
public final class ImportScale {
  private ImportScale() {}

  /**
   * @param args see the class comment
   * @throws Exception when the files cannot be written or the import fails
   */
  public static void main(String[] args) throws Exception {
    List<Integer> sizes = List.of(1_000, 10_000);
    int rounds = 1;
    Path dir = Path.of("/tmp/pbench-import");
    String cli = null;
    int settle = 35;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--sites" -> sizes = Stream.of(args[++i].split(",")).map(s -> Integer.parseInt(s.replace("_", "")))
            .toList();
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--dir" -> dir = Path.of(args[++i]);
        case "--cli" -> cli = args[++i];
        case "--settle" -> settle = Integer.parseInt(args[++i]);
        default -> {
          System.err.println("usage: ImportScale [--sites 1000,10000] [--rounds 1] [--dir DIR] [--cli bin/provision]"
              + " [--settle SECONDS]");
          System.exit(2);
        }
      }
    }
    List<String> rows = new ArrayList<>();
    boolean removed = false;
    for (int n : sizes) {
      removed |= generate(dir.resolve("aliases-" + n), n);
    }
    Path homes = dir.resolve("homes");
    removed |= Files.exists(homes);
    fresh(homes);
    if (removed && settle > 0) {
      System.out.printf("files were removed: waiting %d s before the runs (ext4 scans past inodes freed in the"
          + " last 30 s whenever it creates a file)%n", settle);
      Thread.sleep(settle * 1000L);
    }
    for (int n : sizes) {
      Path aliases = dir.resolve("aliases-" + n);
      int contexts = n + 2;
      for (int r = 1; r <= rounds; r++) {
        Path home = Files.createDirectories(homes.resolve(n + "-" + r + "-in-process"));
        long start = System.nanoTime();
        AegirImport.Report report;
        try (Provision p = Provision.builder().home(home).build()) {
          report = AegirImport.run(p, aliases, false);
        }
        long nanos = System.nanoTime() - start;
        int imported = report.with(AegirImport.Outcome.IMPORTED).size();
        if (imported != contexts) {
          throw new IllegalStateException("imported " + imported + " of " + contexts + ": " + report.entries().stream()
              .filter(e -> e.outcome() != AegirImport.Outcome.IMPORTED).limit(3).toList());
        }
        rows.add(row(n, "in-process, round " + r, nanos, contexts));
        if (cli != null) {
          Path cliHome = Files.createDirectories(homes.resolve(n + "-" + r + "-cli"));
          long t = System.nanoTime();
          Process p = new ProcessBuilder(cli, "--home", cliHome.toString(), "import", aliases.toString())
              .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
          int rc = p.waitFor();
          long cliNanos = System.nanoTime() - t;
          if (rc != 0) {
            throw new IllegalStateException(cli + " import exited with " + rc);
          }
          rows.add(row(n, "whole process (" + cli + "), round " + r, cliNanos, contexts));
        }
      }
    }
    System.out.println();
    System.out.println("| sites | contexts | run | time (s) | ms per context | contexts/s |");
    System.out.println("|---:|---:|---|---:|---:|---:|");
    rows.forEach(System.out::println);
    fresh(homes); // after the timings
  }

  private static String row(int n, String run, long nanos, int contexts) {
    double s = nanos / 1e9;
    String line = String.format(Locale.ROOT, "| %,d | %,d | %s | %.2f | %.3f | %,.0f |", n, contexts, run, s,
        s * 1000 / contexts, contexts / s);
    System.out.println(line);
    return line;
  }

  private static Path fresh(Path home) throws IOException {
    if (Files.exists(home)) {
      try (Stream<Path> s = Files.walk(home)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    return Files.createDirectories(home);
  }

  /**
   * Writes {@code @server_master} (nginx, MySQL), {@code @platform_bench} and n sites with one alias
   * each, unless an earlier run did ({@code .generated} says so).
   *
   * @return whether files were removed (an incomplete directory written anew)
   */
  static boolean generate(Path dir, int n) throws IOException {
    Path marker = dir.resolve(".generated");
    if (Files.isRegularFile(marker)) {
      return false;
    }
    boolean removed = Files.exists(dir);
    fresh(dir);
    Files.writeString(dir.resolve("server_master" + AegirImport.SUFFIX), """
        <?php
        $aliases['server_master'] = array (
          'context_type' => 'server',
          'remote_host' => 'localhost',
          'http_service_type' => 'nginx',
          'db_service_type' => 'mysql',
          'master_db' => 'mysql://aegir_root:s3cret@localhost',
        );
        """, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("platform_bench" + AegirImport.SUFFIX), """
        <?php
        $aliases['platform_bench'] = array (
          'context_type' => 'platform',
          'root' => '/var/aegir/platforms/bench',
        );
        """, StandardCharsets.UTF_8);
    for (int i = 0; i < n; i++) {
      String site = String.format(Locale.ROOT, "s%06d.bench.test", i);
      Files.writeString(dir.resolve(site + AegirImport.SUFFIX), """
          <?php
          $aliases['%1$s'] = array (
            'context_type' => 'site',
            'platform' => '@platform_bench',
            'uri' => '%1$s',
            'aliases' => array ('www.%1$s'),
            'profile' => 'standard',
            'root' => '/var/aegir/platforms/bench',
            'site_path' => '/var/aegir/platforms/bench/sites/%1$s',
          );
          """.formatted(site), StandardCharsets.UTF_8);
    }
    Files.writeString(marker, n + "\n", StandardCharsets.UTF_8);
    return removed;
  }
}
