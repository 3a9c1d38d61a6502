package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import net.aegirj.provision.testkit.DrupalFixtures;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.LocalServers;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.NginxServer;
import net.aegirj.provision.testkit.PhpFpmServer;

/**
 * Real servers and a Provision home for the command-line end-to-end tests: nginx, PHP-FPM and
 * two MariaDB servers from the testkit, and {@code bin/provision} run as a child process with
 * {@code PROVISION_HOME} pointing at the home, as a user would run it. {@code @server_master}
 * serves HTTP through the nginx and holds the first MariaDB as its db server (the README's
 * layout); {@code @server_db2} is the second MariaDB. The platforms are the testkit's
 * Drupal-10-shaped fixture platforms, whose Drush stand-in does real work on the site's database
 * ({@link DrupalFixtures}).
 */
final class CliWorld implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern DB = Pattern.compile("db=([^ \\n]+)");

  final Path tmp;
  final Path home;
  final LocalServers servers;
  final PhpFpmServer fpm;
  final NginxServer nginx;
  final MariaDbServer db;
  final MariaDbServer db2;

  /**
   * Starts the servers. The temporary directory is made searchable by others (nginx's and
   * PHP-FPM's workers run as www-data).
   */
  CliWorld(Path tmp) throws IOException {
    this.tmp = tmp;
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    home = Files.createDirectories(tmp.resolve("aegir"));
    servers = LocalServers.in(tmp.resolve("state"));
    fpm = servers.phpFpm();
    nginx = servers.nginx(home);
    db = servers.mariadb();
    db2 = servers.mariadb();
  }

  /** A Drupal-10-shaped fixture platform (its first release) with its Drush 12 stand-in at {@code root}. */
  static Path platform(Path root) {
    return platform(root, DrupalFixtures.Release.BASE);
  }

  /** A Drupal-10-shaped fixture platform of that release with its Drush 12 stand-in at {@code root}. */
  static Path platform(Path root, DrupalFixtures.Release release) {
    return DrupalFixtures.platform(root, DrupalFixtures.Shape.DRUPAL10, release);
  }

  /**
   * The properties of {@code @server_master} (nginx through the fpm, and the first MariaDB as its
   * db service), as a properties file: the admin password never goes on a command line.
   */
  Path masterProperties() throws IOException {
    Map<String, String> merged = new java.util.LinkedHashMap<>();
    merged.putAll(text(nginx.masterContext(fpm)));
    merged.putAll(text(db.serverContext()));
    StringBuilder b = new StringBuilder();
    merged.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
    return write("server_master.properties", b.toString());
  }

  /** The properties of {@code @server_db2}, the second MariaDB, as a properties file. */
  Path db2Properties() throws IOException {
    StringBuilder b = new StringBuilder();
    text(db2.serverContext()).forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
    return write("server_db2.properties", b.toString());
  }

  private Path write(String name, String text) throws IOException {
    Path file = tmp.resolve(name);
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  private static Map<String, String> text(PropertyChanges changes) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    changes.changes().forEach((k, v) -> out.put(k, v.orElse(PropertyChanges.RESET)));
    return out;
  }

  /** Runs {@code bin/provision args...} from the checkout's root with {@code PROVISION_HOME} set. */
  Exit provision(String... args) {
    try {
      return BinProvisionProcess.run(BinProvisionProcess.ROOT, Map.of("PROVISION_HOME", home.toString()), args);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Runs {@code bin/provision args...} and asserts exit status 0; returns stdout. */
  String ok(String... args) {
    Exit e = provision(args);
    assertThat(e.status()).as("provision %s exits 0 (stdout: %s; stderr: %s)", String.join(" ", args), e.out(), e.err())
        .isZero();
    return e.out();
  }

  /** Runs a shell line from the checkout's root with {@code PROVISION_HOME} set. */
  Exit shell(String line) {
    try {
      return BinProvisionProcess.exec(List.of("sh", "-c", line), BinProvisionProcess.ROOT,
          Map.of("PROVISION_HOME", home.toString()), Duration.ofSeconds(300));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code provision show @name --json}: the context's properties, or empty when it does not exist. */
  Optional<JsonNode> show(String name) {
    Exit e = provision("show", name, "--json", "--show-secrets");
    if (e.status() != 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readTree(e.out()));
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /** @return a property of a context as {@code show} prints it */
  String property(String name, String property) {
    JsonNode c = show(name).orElseThrow(() -> new AssertionError(name + " does not exist"));
    JsonNode p = c.path("context").path("properties").path(property).path("value");
    assertThat(p.isMissingNode() || p.isNull()).as("%s has a value of %s: %s", name, property, c).isFalse();
    return p.isTextual() ? p.asText() : p.toString();
  }

  /** GET {@code /} of a site until it answers 200 with a database. */
  Http.Response serves(String host) {
    return Http.getUntil(nginx.port(), host, "/", r -> r.status() == 200 && DB.matcher(r.body()).find()
        && !r.body().contains("db=none") && !r.body().contains("db=error"), Duration.ofSeconds(15));
  }

  /** @return the database the site's PHP is connected to, as its page says */
  String databaseServed(String host) {
    Matcher m = DB.matcher(serves(host).body());
    assertThat(m.find()).as("the page of %s names its database", host).isTrue();
    return m.group(1);
  }

  /** A file of a site over HTTP, until it answers 200. */
  String file(String host, String path) {
    return Http.getUntil(nginx.port(), host, path, r -> r.status() == 200, Duration.ofSeconds(15)).body();
  }

  /** @return the databases of a MariaDB server */
  static List<String> databases(MariaDbServer server) {
    return Arrays.stream(server.sql("SHOW DATABASES").split("\n")).map(String::strip).filter(s -> !s.isEmpty())
        .collect(Collectors.toList());
  }

  /** @return the user names of a MariaDB server */
  static List<String> users(MariaDbServer server) {
    return new ArrayList<>(Arrays.asList(server.sql("SELECT DISTINCT User FROM mysql.user ORDER BY 1").split("\n")));
  }

  /** @return the value of {@code key = value} in a task report's text, e.g. {@code backup_file} */
  static Optional<String> result(String report, String key) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(key) + " = (.+)$").matcher(report);
    return m.find() ? Optional.of(m.group(1).strip()) : Optional.empty();
  }

  @Override
  public void close() {
    servers.close();
  }
}
