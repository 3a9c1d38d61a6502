package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
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
 * Issue 14, finding 8: {@code --debug} printed a site's database password (the MariaDB driver's
 * debug log of {@code CREATE USER … IDENTIFIED BY '…'}). Every task is run here through
 * {@code bin/provision --debug}, as a user would, against real nginx, PHP-FPM and MariaDB: the db
 * server's save with {@code --properties-from} carrying the admin's password, server and platform
 * verify, install, verify, disable, enable, backup, restore, deploy, clone, migrate, plan,
 * backup-delete, a site's save with a secret from a file, and delete. After every run each
 * secret the home then holds is gathered (every {@code db_passwd}, {@code cron_key} and
 * {@code master_db} of the saved contexts, the admin's password); at the end stdout and stderr
 * of every run and every log file of the servers are searched for each of them: zero hits. That
 * the debug logs were on is checked too, so that a quiet run cannot pass for a clean one.
 */
class DebugSecretsIT {
  private static final Pattern URL_PASSWORD = Pattern.compile("://[^:/@]+:([^@]+)@");
  private static final List<String> SECRET_KEYS = List.of("db_passwd", "cron_key", "master_db");
  private static final String CRON_KEY = "cronkeyDebugSecrets4f9a8b7c6d5e";

  @TempDir Path tmp;
  Path home;
  Path state;
  LocalServers servers;
  NginxServer nginx;
  MariaDbServer db;
  PhpFpmServer fpm;

  /** Every run's command line, status, stdout and stderr. */
  private final List<String> transcripts = new ArrayList<>();
  /** Every secret seen in the home at any point, with where it was found. */
  private final Map<String, String> secrets = new TreeMap<>();

  @BeforeEach
  void start() throws IOException {
    assertThat(BinProvisionProcess.ROOT.resolve("provision-cli/target/lib")).as("the CLI's dependencies are copied")
        .isDirectory();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    home = Files.createDirectories(tmp.resolve("aegir"));
    state = Files.createDirectories(tmp.resolve("state"));
    servers = LocalServers.in(state);
    fpm = servers.phpFpm();
    nginx = servers.nginx(home);
    db = servers.mariadb();
    Fixtures.phpPlatform(home.resolve("platforms/one"));
    Fixtures.phpPlatform(home.resolve("platforms/two"));
  }

  @AfterEach
  void stop() {
    servers.close();
  }

  private Exit run(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--home", home.toString(), "--debug"));
    all.addAll(List.of(args));
    Exit e = BinProvisionProcess.run(tmp, Map.of(), all.toArray(String[]::new));
    transcripts.add("$ provision " + String.join(" ", all) + "\n[exit " + e.status() + "]\n--- stdout\n" + e.out()
        + "\n--- stderr\n" + e.err());
    harvest();
    return e;
  }

  private Exit ok(String... args) throws Exception {
    Exit e = run(args);
    assertThat(e.status()).as("provision --debug %s succeeds; stderr: %s", List.of(args), tail(e.err())).isZero();
    return e;
  }

  private static String tail(String s) {
    return s.length() > 4000 ? "…" + s.substring(s.length() - 4000) : s;
  }

  /** Gathers every secret the saved contexts hold now. */
  private void harvest() throws IOException {
    secrets.put(db.adminPassword(), "the MariaDB admin's password");
    Path contexts = home.resolve("contexts");
    if (!Files.isDirectory(contexts)) {
      return;
    }
    try (Stream<Path> files = Files.list(contexts)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".json"))::iterator) {
        collect(Cli.MAPPER.readTree(f.toFile()), f.getFileName().toString());
      }
    }
  }

  private void collect(JsonNode node, String where) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isContainerNode()) {
        collect(e.getValue(), where);
      } else if (SECRET_KEYS.contains(e.getKey()) && e.getValue().isTextual()) {
        String value = e.getValue().asText();
        Matcher m = URL_PASSWORD.matcher(value);
        secrets.put(m.find() ? m.group(1) : value, e.getKey() + " in " + where);
      }
    }
    if (node.isArray()) {
      node.forEach(n -> collect(n, where));
    }
  }

  private static String backupFile(Exit e) {
    JsonNode report = Cli.singleJsonObject(e.out()).get("report");
    return report.get("results").get("backup_file").asText();
  }

  private void answers(String host, String why) {
    Http.Response r = Http.getUntil(nginx.port(), host, "/", x -> x.status() == 200, Duration.ofSeconds(20));
    assertThat(r.status()).as("%s: %s answers over HTTP", why, host).isEqualTo(200);
  }

  @Test
  void everyTaskWithDebugPrintsNoSecretTheRunKnows() throws Exception {
    List<String> master = new ArrayList<>(List.of("save", "@server_master"));
    nginx.masterContext(fpm).changes().forEach((k, v) -> master.add("--" + k + "=" + v.orElseThrow()));
    ok(master.toArray(String[]::new));
    Path dbProperties = properties("server_db.properties", db.serverContext());
    ok("save", "@server_db", "--properties-from=" + dbProperties);
    ok("verify", "@server_master");
    ok("verify", "@server_db");
    for (String p : List.of("one", "two")) {
      ok("save", "@platform_" + p, "--context_type=platform", "--root=" + home.resolve("platforms/" + p));
      ok("verify", "@platform_" + p);
    }

    String a = "a.example.com";
    ok("save", "@" + a, "--context_type=site", "--platform=@platform_one", "--db_server=@server_db",
        "--install_method=manual", "--aliases=www." + a);
    ok("install", "@" + a);
    answers(a, "after install");
    ok("verify", "@" + a);
    ok("plan", "@" + a, "verify");
    ok("disable", "@" + a);
    ok("enable", "@" + a);
    answers(a, "after enable");

    Exit refused = run("save", "@" + a, "--delete");
    assertThat(refused.status()).as("save --delete of the installed site is refused (finding 10)").isEqualTo(2);
    assertThat(refused.err()).as("naming the task that removes it").contains("'provision delete @" + a + "'");
    answers(a, "after the refused save --delete");

    String archive = backupFile(ok("--json", "backup", "@" + a));
    assertThat(Path.of(archive)).as("the backup archive").isRegularFile();
    ok("restore", "@" + a, archive);
    answers(a, "after restore");

    String b = "b.example.com";
    ok("save", "@" + b, "--context_type=site", "--platform=@platform_one", "--db_server=@server_db",
        "--install_method=manual");
    ok("deploy", "@" + b, archive);
    answers(b, "after deploy");

    String c = "c.example.com";
    ok("clone", "@" + a, "@" + c);
    answers(c, "after clone");
    Path cronKey = properties("c.properties", PropertyChanges.builder().set("cron_key", CRON_KEY).build());
    ok("save", "@" + c, "--properties-from=" + cronKey);
    assertThat(secrets).as("the cron key saved from a file is among the secrets searched for").containsKey(CRON_KEY);

    ok("migrate", "@" + a, "@platform_two");
    answers(a, "after migrate");
    String second = backupFile(ok("--json", "backup", "@" + a));
    ok("backup-delete", "@" + a, second);

    ok("delete", "@" + b);
    ok("delete", "@" + c);
    ok("delete", "@" + a, "--backup");
    ok("verify", "@server_db");

    String all = String.join("\n", transcripts) + "\n" + serverLogs();
    assertThat(all).as("the runs logged at debug level (else this search proves nothing)").contains("[DEBUG]");
    long sitePasswords = secrets.values().stream().filter(w -> w.startsWith("db_passwd")).count();
    assertThat(sitePasswords).as("the site passwords of a, b, c and a after migrate were gathered")
        .isGreaterThanOrEqualTo(4);
    TreeSet<String> leaked = new TreeSet<>();
    secrets.forEach((secret, where) -> {
      if (all.contains(secret)) {
        leaked.add(where);
      }
    });
    if (!leaked.isEmpty()) {
      Path dump = Files.writeString(Path.of(System.getProperty("basedir", ".")).resolve("target/DebugSecretsIT-transcript.txt"), all);
      System.out.println("DebugSecretsIT: transcript in " + dump);
    }
    assertThat(leaked).as("no secret (%d searched for) in any output or log of %d runs", secrets.size(),
        transcripts.size()).isEmpty();
  }

  /** Writes name=value lines to a 0600 file. */
  private Path properties(String name, PropertyChanges changes) throws IOException {
    StringBuilder b = new StringBuilder();
    changes.changes().forEach((k, v) -> b.append(k).append('=').append(v.orElseThrow()).append('\n'));
    Path f = tmp.resolve(name);
    Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    return Files.writeString(f, b.toString(), StandardCharsets.UTF_8);
  }

  /** @return every log file the servers wrote, with its name */
  private String serverLogs() throws IOException {
    StringBuilder b = new StringBuilder();
    for (Path root : List.of(state, home)) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)
            .filter(p -> p.getFileName().toString().endsWith(".log") || p.getFileName().toString().endsWith(".err"))::iterator) {
          b.append("--- ").append(f).append('\n').append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
        }
      }
    }
    return b.toString();
  }
}
