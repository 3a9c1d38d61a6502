package net.aegirj.provision.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * An Apache 2.4 server (event MPM), started by {@link LocalServers#apache(Path)} as
 * {@code apache2 -f <dir>/apache2.conf -d <dir> -DFOREGROUND}, whose main configuration stands in
 * for Debian's {@code apache2.conf} and {@code ports.conf}: {@code ServerRoot}, {@code PidFile},
 * {@code DefaultRuntimeDir}, logs and the SSL session cache are in its state directory; it owns the
 * ports ({@code Listen 127.0.0.1:<port>} and {@code Listen 127.0.0.1:<sslPort>}, as
 * {@code ports.conf} does, so Provision's generated {@code apache.conf} emits no {@code Listen});
 * it loads {@code mpm_event authz_core authz_host dir mime rewrite env setenvif alias headers proxy
 * proxy_fcgi ssl socache_shmcb log_config} from {@code /usr/lib/apache2/modules} (each guarded by
 * {@code <IfModule !...>}, since some are compiled in); denies {@code <Directory />} as Debian
 * does; sets {@code DirectoryIndex index.php index.html}; and ends with
 * {@code IncludeOptional <aegirRoot>/config/apache.conf}, the symlink Provision's server verify
 * writes.
 *
 * <p>Apache refuses to run its children as root, so when this JVM is root they run as
 * {@code www-data}: <strong>every document root a test serves must be readable by
 * {@code www-data}, and every directory above it and above the PHP-FPM socket searchable</strong>
 * (for example, a JUnit {@code @TempDir} made 0755, with files 0644).
 * {@link LocalServers#apache(Path)} checks this for the state directory.
 *
 * <p>{@link #port()} is a {@code Listen} of the main configuration; {@link #sslPort()} is one too, and
 * speaks TLS only once a vhost on it enables {@code SSLEngine}.
 *
 * <p>Ready means the master wrote its pid file and {@link #port()} accepts TCP connections. A
 * graceful reload ({@link #reloadCommand()}) returns before the new generation serves; poll the
 * expected response (see {@link Http#getUntil}).
 */
public final class ApacheServer extends WebServer {
  /** The Apache binary used. */
  public static final Path APACHE = Path.of("/usr/sbin/apache2");
  /** Where Debian installs Apache's modules. */
  public static final Path MODULES = Path.of("/usr/lib/apache2/modules");
  /** The modules the main configuration loads, by their short names. */
  public static final List<String> MODULE_NAMES = List.of("mpm_event", "authz_core", "authz_host", "dir", "mime",
      "rewrite", "env", "setenvif", "alias", "headers", "proxy", "proxy_fcgi", "ssl", "socache_shmcb", "log_config");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final Path dir;

  private ApacheServer(Path dir, Path mainConfig, Path errorLog, Path accessLog, int port, int sslPort,
      ServerProcess process, Duration startupTime) {
    super(mainConfig, errorLog, accessLog, port, sslPort, process, startupTime);
    this.dir = dir;
  }

  /**
   * Writes the main configuration into {@code dir}, tests it, starts Apache and waits for its port.
   *
   * @param dir an empty directory for its state (created)
   * @param aegirRoot the Aegir root whose {@code config/apache.conf} the main configuration includes
   * @return the running server
   * @throws IllegalStateException when Apache is missing, refuses the configuration or does not start
   */
  static ApacheServer start(Path dir, Path aegirRoot) {
    ServerProcess.requireExecutable(APACHE, "apache2");
    for (String module : MODULE_NAMES) {
      if (!module.equals("log_config")) {
        ServerProcess.requireFile(MODULES.resolve("mod_" + module + ".so"), "apache2-bin");
      }
    }
    Instant t0 = Instant.now();
    Path mainConfig = dir.resolve("apache2.conf");
    Path logs = dir.resolve("logs");
    Path errorLog = logs.resolve("error.log");
    Path accessLog = logs.resolve("access.log");
    Path pidFile = dir.resolve("apache2.pid");
    List<Integer> ports = Ports.free(2);
    int port = ports.get(0);
    int sslPort = ports.get(1);
    Path include = aegirRoot.toAbsolutePath().normalize().resolve("config").resolve("apache.conf");
    StringBuilder b = new StringBuilder("# written by the Provision testkit; stands in for Debian's apache2.conf\n");
    for (String module : MODULE_NAMES) {
      b.append("<IfModule !").append(module).append("_module>\n")
          .append("  LoadModule ").append(module).append("_module ").append(MODULES.resolve("mod_" + module + ".so"))
          .append("\n</IfModule>\n");
    }
    b.append("ServerRoot ").append(quote(dir)).append('\n')
        .append("ServerName 127.0.0.1\n")
        .append("DefaultRuntimeDir ").append(quote(dir)).append('\n')
        .append("PidFile ").append(quote(pidFile)).append('\n')
        .append("ErrorLog ").append(quote(errorLog)).append('\n')
        .append("LogLevel warn\n")
        .append("LogFormat \"%v:%p %h %l %u %t \\\"%r\\\" %>s %O \\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\"\" "
            + "vhost_combined\n")
        .append("CustomLog ").append(quote(accessLog)).append(" vhost_combined\n")
        .append("Timeout 30\n")
        .append("KeepAlive On\n")
        .append("StartServers 1\n")
        .append("ServerLimit 4\n")
        .append("ThreadsPerChild 10\n")
        .append("ThreadLimit 10\n")
        .append("MinSpareThreads 5\n")
        .append("MaxSpareThreads 20\n")
        .append("MaxRequestWorkers 40\n")
        .append("Listen 127.0.0.1:").append(port).append('\n')
        .append("Listen 127.0.0.1:").append(sslPort).append('\n');
    if (ServerProcess.runningAsRoot()) {
      b.append("User www-data\nGroup www-data\n");
    }
    b.append("TypesConfig /etc/mime.types\n")
        .append("SSLSessionCache shmcb:").append(dir.resolve("ssl_scache")).append("(512000)\n")
        .append("<Directory />\n  Options FollowSymLinks\n  AllowOverride None\n  Require all denied\n</Directory>\n")
        .append("<FilesMatch \"^\\.ht\">\n  Require all denied\n</FilesMatch>\n")
        .append("DirectoryIndex index.php index.html\n")
        .append("IncludeOptional ").append(quote(include)).append('\n');
    writeConfig(mainConfig, b.toString(), logs);
    List<String> base = List.of(APACHE.toString(), "-f", mainConfig.toString(), "-d", dir.toString());
    ServerProcess.checkConfig("apache2", ServerProcess.plus(base, "-t"), mainConfig, List.of(), START_TIMEOUT);
    ServerProcess process = ServerProcess.start("apache2", ServerProcess.plus(base, "-DFOREGROUND"), dir,
        dir.resolve("console.log"), List.of(errorLog), STOP_TIMEOUT);
    process.awaitReady(p -> {
      p.await("its pid file " + pidFile, () -> Files.exists(pidFile), START_TIMEOUT);
      p.awaitTcp(port, START_TIMEOUT);
    });
    return new ApacheServer(dir, mainConfig, errorLog, accessLog, port, sslPort, process,
        Duration.between(t0, Instant.now()));
  }

  /** @return the server root and state directory */
  public Path serverRoot() {
    return dir;
  }

  @Override
  public String testCommand() {
    return APACHE + " -t -f " + LocalServers.shellQuote(mainConfig().toString()) + " -d "
        + LocalServers.shellQuote(dir.toString());
  }

  /** A graceful restart: {@code apache2 -k graceful}. */
  @Override
  public String reloadCommand() {
    return APACHE + " -k graceful -f " + LocalServers.shellQuote(mainConfig().toString()) + " -d "
        + LocalServers.shellQuote(dir.toString());
  }

  @Override
  public String toString() {
    return "apache2 " + mainConfig() + " (port " + port() + ")";
  }

  private static String quote(Path path) {
    return "\"" + path.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
