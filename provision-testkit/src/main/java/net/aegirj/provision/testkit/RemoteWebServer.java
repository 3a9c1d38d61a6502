package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.aegirj.provision.api.PropertyChanges;

/**
 * nginx and PHP-FPM from Debian's packages running "on" a remote machine: inside the mount and
 * PID namespaces of an {@link SshServer}, so they serve what was pushed there over SSH (the
 * private mounts), not the master's copies at the same paths. Both listen on this machine's
 * loopback (the network is shared): nginx on {@link #port()}, PHP-FPM on a Unix socket.
 *
 * <p>The commands for a server context ({@link #testCommand()}, {@link #reloadCommand()}) are run
 * by Provision over SSH, so they too run inside the namespaces. Stopping the {@link SshServer}
 * stops both; {@link #close()} stops them first.
 *
 * <pre>{@code
 * try (SshServer ssh = SshServer.builder().listenAddress("127.0.0.2").privateMount(home, view).start();
 *      RemoteWebServer web = RemoteWebServer.start(ssh, stateDir, home)) {
 *   // server_web1: remote_host 127.0.0.2, ssh_*, http_port web.port(), phpfpm_address web.phpFpmAddress(), ...
 * }
 * }</pre>
 */
public final class RemoteWebServer implements AutoCloseable {
  private static final Path NGINX = Path.of("/usr/sbin/nginx");
  private static final Path PHP_FPM = PhpFpmServer.PHP_FPM;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final SshServer ssh;
  private final Path dir;
  private final int port;
  private final String nginxOptions;
  private final Path socket;
  private boolean closed;

  private RemoteWebServer(SshServer ssh, Path dir, int port, String nginxOptions, Path socket) {
    this.ssh = ssh;
    this.dir = dir;
    this.port = port;
    this.nginxOptions = nginxOptions;
    this.socket = socket;
  }

  /**
   * Writes both configurations into {@code dir} and starts PHP-FPM and nginx inside the server's
   * namespaces.
   *
   * @param ssh the running "remote" machine
   * @param dir an empty directory for their state; not under a private mount, so both sides see it
   * @param aegirRoot the Aegir root on the remote, whose {@code config/nginx.conf} nginx includes
   * @return the running servers
   * @throws IllegalStateException when a program is missing or does not start
   */
  public static RemoteWebServer start(SshServer ssh, Path dir, Path aegirRoot) {
    ServerProcess.requireExecutable(NGINX, "nginx");
    ServerProcess.requireExecutable(PHP_FPM, "php-fpm (Debian's php-fpm package)");
    int port = Ports.free(1).get(0);
    Path socket = dir.resolve("php-fpm.sock");
    LocalServers.checkSocketPath(socket);
    Path conf = dir.resolve("nginx.conf");
    Path fpmConf = dir.resolve("php-fpm.conf");
    try {
      Files.createDirectories(dir.resolve("tmp"));
      Files.createDirectories(dir.resolve("sessions"));
      Files.writeString(conf, "# written by the Provision testkit: the remote's /etc/nginx/nginx.conf\n"
          + "user www-data www-data;\n"
          + "worker_processes 1;\n"
          + "pid " + dir.resolve("nginx.pid") + ";\n"
          + "error_log " + dir.resolve("nginx-error.log") + " notice;\n"
          + "events { worker_connections 256; }\n"
          + "http {\n"
          + "  include /etc/nginx/mime.types;\n"
          + "  default_type application/octet-stream;\n"
          + "  access_log " + dir.resolve("nginx-access.log") + ";\n"
          + "  client_body_temp_path " + dir.resolve("tmp/client_body") + ";\n"
          + "  proxy_temp_path " + dir.resolve("tmp/proxy") + ";\n"
          + "  fastcgi_temp_path " + dir.resolve("tmp/fastcgi") + ";\n"
          + "  uwsgi_temp_path " + dir.resolve("tmp/uwsgi") + ";\n"
          + "  scgi_temp_path " + dir.resolve("tmp/scgi") + ";\n"
          + "  include " + aegirRoot.toAbsolutePath().normalize().resolve("config/nginx.con[f]") + ";\n"
          + "}\n");
      Files.writeString(fpmConf, "; written by the Provision testkit: the remote's PHP-FPM\n"
          + "[global]\n"
          + "pid = " + dir.resolve("php-fpm.pid") + "\n"
          + "error_log = " + dir.resolve("php-fpm.log") + "\n"
          + "daemonize = yes\n"
          + "[www]\n"
          + "user = root\ngroup = root\n"
          + "listen = " + socket + "\n"
          + "listen.mode = 0666\n"
          + "pm = static\npm.max_children = 2\n"
          + "clear_env = no\ncatch_workers_output = yes\n"
          + "php_admin_value[session.save_path] = " + dir.resolve("sessions") + "\n"
          + "php_admin_value[sys_temp_dir] = " + dir.resolve("tmp") + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the remote web server's configuration in " + dir, e);
    }
    String options = " -e " + dir.resolve("nginx-error.log") + " -p " + dir + "/ -c " + conf;
    RemoteWebServer web = new RemoteWebServer(ssh, dir, port, options, socket);
    Path log = dir.resolve("console.log");
    web.inside("start php-fpm", List.of(PHP_FPM.toString(), "-R", "-y", fpmConf.toString()), log);
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!ServerProcess.acceptsUnix(socket)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the remote PHP-FPM did not open " + socket + ":\n"
            + ServerProcess.tail(dir.resolve("php-fpm.log"), 40));
      }
      sleep();
    }
    web.inside("test the nginx configuration", List.of("/bin/sh", "-c", NGINX + " -t -q" + options), log);
    web.inside("start nginx", List.of("/bin/sh", "-c", NGINX + options), log);
    return web;
  }

  private void inside(String what, List<String> command, Path log) {
    List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", "exec \"$@\" </dev/null >>\"$0\" 2>&1", log.toString()));
    argv.addAll(command);
    ServerProcess.Result r = ssh.runInside(argv, TIMEOUT);
    if (r.exitCode() != 0) {
      throw new IllegalStateException("cannot " + what + " on the remote (status " + r.exitCode() + "):\n"
          + ServerProcess.tail(log, 40) + "\n" + ServerProcess.tail(dir.resolve("nginx-error.log"), 20));
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** @return the port for {@code http_port}; nginx listens there once a vhost says so */
  public int port() {
    return port;
  }

  /** @return the value for {@code phpfpm_address} */
  public String phpFpmAddress() {
    return "unix:" + socket;
  }

  /** @return the shell command for {@code http_test_cmd} (run on the remote) */
  public String testCommand() {
    return NGINX + " -t -q" + nginxOptions;
  }

  /** @return the shell command for {@code http_restart_cmd} (run on the remote) */
  public String reloadCommand() {
    return NGINX + nginxOptions + " -s reload";
  }

  /**
   * @return what a server context needs to be this web server: a remote {@code remote_host}
   *     reached over the SSH server, and nginx with its port, PHP-FPM, test and reload commands
   */
  public PropertyChanges serverContext() {
    return serverContext(ssh.address(), ssh.port(), ssh.knownHosts());
  }

  /**
   * @param via a proxy in front of the SSH server ({@link SshServer#latencyProxy})
   * @return {@link #serverContext()}, reached through the proxy: its address and port, and a
   *     {@code known_hosts} that holds the SSH server's key for them
   */
  public PropertyChanges serverContext(LatencyProxy via) {
    return serverContext(via.address(), via.port(), ssh.knownHostsFor(via.address(), via.port()));
  }

  private PropertyChanges serverContext(String address, int sshPort, Path knownHosts) {
    return PropertyChanges.builder().set("context_type", "server")
        .set("remote_host", address).set("ssh_port", Integer.toString(sshPort))
        .set("ssh_user", ssh.user()).set("ssh_identity", ssh.identity().toString())
        .set("ssh_known_hosts", knownHosts.toString())
        .set("http_service_type", "nginx").set("http_port", Integer.toString(port))
        .set("http_listen_address", "127.0.0.1").set("phpfpm_address", phpFpmAddress())
        .set("http_test_cmd", testCommand()).set("http_restart_cmd", reloadCommand()).build();
  }

  /** @return nginx's error log */
  public Path errorLog() {
    return dir.resolve("nginx-error.log");
  }

  /** Stops nginx and PHP-FPM (quietly: the server may be gone already). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!ssh.isRunning()) {
      return;
    }
    try {
      ssh.runInside(List.of("/bin/sh", "-c", NGINX + nginxOptions + " -s stop; kill $(cat " + dir.resolve("php-fpm.pid")
          + ") 2>/dev/null; true"), TIMEOUT);
    } catch (RuntimeException e) {
      // the namespace went away with the server
    }
  }

  @Override
  public String toString() {
    return "nginx and PHP-FPM inside " + ssh;
  }
}
