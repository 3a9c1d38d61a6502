package net.aegirj.provision.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.aegirj.provision.api.PropertyChanges;

/**
 * An nginx 1.22 master, started by {@link LocalServers#nginx(Path)} as
 * {@code nginx -e <errorLog> -p <dir> -c <dir>/nginx.conf -g 'daemon off;'}, whose main
 * configuration stands in for Debian's {@code /etc/nginx/nginx.conf}: pid file, error and access
 * logs and every temporary path are in its state directory, and its {@code http} block includes
 * {@code /etc/nginx/mime.types} and then {@code <aegirRoot>/config/nginx.con[f]}. The glob makes
 * that include optional: it matches nothing until Provision's server verify writes the file (a
 * symlink to the server's {@code nginx.conf}). {@code /etc/nginx/fastcgi_params} is not included:
 * generated vhosts include it themselves.
 *
 * <p>The main configuration listens nowhere: generated server blocks {@code listen
 * 127.0.0.1:<port>}, so {@link #port()} and {@link #sslPort()} are free ports chosen for the tests
 * to put into {@code http_port} and {@code http_ssl_port}. Because there may be nothing to probe
 * before a verify, <em>ready</em> means: {@code nginx -t} accepted the configuration, and the master
 * is running and has written its pid file (which {@link #reloadCommand()} needs). After a reload,
 * {@link #awaitListening(Duration)} waits for {@link #port()}; a reload that nginx refused leaves
 * the old configuration running and shows up in {@link #errorLog()}.
 *
 * <p>When this JVM runs as root, workers run as {@code www-data} as on Debian, so the document
 * roots and the PHP-FPM socket must be reachable by that user (search permission on every directory
 * above them, read permission on the files).
 */
public final class NginxServer extends WebServer {
  /** The nginx binary used. */
  public static final Path NGINX = Path.of("/usr/sbin/nginx");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final Path dir;
  private final Path pidFile;

  private NginxServer(Path dir, Path mainConfig, Path errorLog, Path accessLog, Path pidFile, int port, int sslPort,
      ServerProcess process, Duration startupTime) {
    super(mainConfig, errorLog, accessLog, port, sslPort, process, startupTime);
    this.dir = dir;
    this.pidFile = pidFile;
  }

  /**
   * Writes the main configuration into {@code dir}, tests it and starts nginx.
   *
   * @param dir an empty directory for its state (created)
   * @param aegirRoot the Aegir root whose {@code config/nginx.conf} the main configuration includes
   * @return the running server
   * @throws IllegalStateException when nginx is missing, refuses the configuration or does not start
   */
  static NginxServer start(Path dir, Path aegirRoot) {
    ServerProcess.requireExecutable(NGINX, "nginx");
    Instant t0 = Instant.now();
    Path mainConfig = dir.resolve("nginx.conf");
    Path errorLog = dir.resolve("error.log");
    Path accessLog = dir.resolve("access.log");
    Path pidFile = dir.resolve("nginx.pid");
    List<Integer> ports = Ports.free(2);
    Path temp = dir.resolve("tmp");
    Path include = aegirRoot.toAbsolutePath().normalize().resolve("config").resolve("nginx.con[f]");
    String user = ServerProcess.runningAsRoot() ? "user www-data www-data;\n" : "";
    String text = "# written by the Provision testkit; stands in for /etc/nginx/nginx.conf\n"
        + user
        + "worker_processes 1;\n"
        + "pid " + pidFile + ";\n"
        + "error_log " + errorLog + " notice;\n"
        + "events {\n"
        + "  worker_connections 256;\n"
        + "}\n"
        + "http {\n"
        + "  include /etc/nginx/mime.types;\n"
        + "  default_type application/octet-stream;\n"
        + "  sendfile on;\n"
        + "  access_log " + accessLog + ";\n"
        + "  client_body_temp_path " + temp.resolve("client_body") + ";\n"
        + "  proxy_temp_path " + temp.resolve("proxy") + ";\n"
        + "  fastcgi_temp_path " + temp.resolve("fastcgi") + ";\n"
        + "  uwsgi_temp_path " + temp.resolve("uwsgi") + ";\n"
        + "  scgi_temp_path " + temp.resolve("scgi") + ";\n"
        + "  include " + include + ";\n"
        + "}\n";
    writeConfig(mainConfig, text, temp);
    List<String> base = List.of(NGINX.toString(), "-e", errorLog.toString(), "-p", dir + "/", "-c",
        mainConfig.toString());
    ServerProcess.checkConfig("nginx", ServerProcess.plus(base, "-t", "-q"), mainConfig, List.of(errorLog),
        START_TIMEOUT);
    ServerProcess process = ServerProcess.start("nginx", ServerProcess.plus(base, "-g", "daemon off;"), dir,
        dir.resolve("console.log"), List.of(errorLog), STOP_TIMEOUT);
    String pid = Long.toString(process.pid());
    process.awaitReady(p -> p.await("its pid file " + pidFile, () -> pidIs(pidFile, pid), START_TIMEOUT));
    return new NginxServer(dir, mainConfig, errorLog, accessLog, pidFile, ports.get(0), ports.get(1), process,
        Duration.between(t0, Instant.now()));
  }

  /** @return the prefix and state directory */
  public Path dir() {
    return dir;
  }

  /** @return the master's pid file */
  public Path pidFile() {
    return pidFile;
  }

  /** Tests quietly: {@code nginx -t -q}. */
  @Override
  public String testCommand() {
    return NGINX + " -t -q" + options();
  }

  /** The running master reloads: {@code nginx -s reload}. */
  @Override
  public String reloadCommand() {
    return NGINX + options() + " -s reload";
  }

  /**
   * @param fpm the PHP-FPM server the vhosts pass PHP to
   * @return what {@code @server_master} needs to serve through this nginx: the http service type,
   *     port and listen address, {@code phpfpm_address}, and the test and reload commands
   */
  public PropertyChanges masterContext(PhpFpmServer fpm) {
    return PropertyChanges.builder().set("http_service_type", "nginx").set("http_port", Integer.toString(port()))
        .set("http_listen_address", "127.0.0.1").set("phpfpm_address", fpm.address())
        .set("http_test_cmd", testCommand()).set("http_restart_cmd", reloadCommand()).build();
  }

  /**
   * Waits until {@link #port()} accepts TCP connections, as it does after a reload that brought a
   * server block listening there.
   *
   * @param timeout how long to wait at most
   * @throws IllegalStateException when it does not, with the tail of the error log
   */
  public void awaitListening(Duration timeout) {
    process().awaitTcp(port(), timeout);
  }

  @Override
  public String toString() {
    return "nginx " + mainConfig() + " (port " + port() + ")";
  }

  private String options() {
    return " -e " + LocalServers.shellQuote(errorLog().toString()) + " -p " + LocalServers.shellQuote(dir + "/")
        + " -c " + LocalServers.shellQuote(mainConfig().toString());
  }

  private static boolean pidIs(Path pidFile, String pid) {
    try {
      return Files.exists(pidFile) && Files.readString(pidFile).trim().equals(pid);
    } catch (IOException e) {
      return false;
    }
  }
}
