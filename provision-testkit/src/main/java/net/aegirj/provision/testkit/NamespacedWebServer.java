package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import net.aegirj.provision.api.PropertyChanges;

/**
 * A "remote" web server machine in one call: an {@link SshServer} on a loopback address of its
 * own, in whose mount namespace the master's Aegir root is backed by a directory of its own
 * ({@link #view()}), and a {@link RemoteWebServer} (nginx and PHP-FPM) inside it. Several can run
 * at once, each on its own address and ports, each seeing only what was pushed to it.
 *
 * <pre>{@code
 * try (NamespacedWebServer web1 = NamespacedWebServer.start("127.0.0.2", home, tmp.resolve("web1"));
 *      NamespacedWebServer web2 = NamespacedWebServer.start("127.0.0.3", home, tmp.resolve("web2"))) {
 *   provision.save("server_web1", web1.serverContext());
 *   assertThat(web1.remote(home.resolve("platforms/d10/index.php"))).exists();
 * }
 * }</pre>
 */
public final class NamespacedWebServer implements AutoCloseable {
  private final Path home;
  private final Path view;
  private final SshServer ssh;
  private final RemoteWebServer web;

  private NamespacedWebServer(Path home, Path view, SshServer ssh, RemoteWebServer web) {
    this.home = home;
    this.view = view;
    this.ssh = ssh;
    this.web = web;
  }

  /**
   * Starts the SSH server and, inside its namespaces, nginx and PHP-FPM.
   *
   * @param loopback the address the SSH server listens on (e.g. {@code 127.0.0.2}; not {@code
   *     127.0.0.1}, which counts as the local machine)
   * @param home the master's Aegir root, which the remote sees backed by {@link #view()}
   * @param dir a directory of this remote's own (created, world-searchable so that the web server's
   *     user reaches what is pushed): {@code view/} and the web servers' state {@code web/}
   * @return the running remote
   * @throws IllegalStateException when sshd, nginx or PHP-FPM is missing or does not start
   */
  public static NamespacedWebServer start(String loopback, Path home, Path dir) {
    Path view;
    Path state;
    try {
      Files.createDirectories(dir);
      view = Files.createDirectories(dir.resolve("view"));
      state = Files.createDirectories(dir.resolve("web"));
      for (Path p : new Path[] {dir, view, state}) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the remote's directories in " + dir, e);
    }
    SshServer ssh = SshServer.builder().listenAddress(loopback).privateMount(home, view).start();
    try {
      return new NamespacedWebServer(home.toAbsolutePath().normalize(), view, ssh, RemoteWebServer.start(ssh, state, home));
    } catch (RuntimeException e) {
      ssh.close();
      throw e;
    }
  }

  /** @return the SSH server ("the machine") */
  public SshServer ssh() {
    return ssh;
  }

  /** @return nginx and PHP-FPM inside it */
  public RemoteWebServer web() {
    return web;
  }

  /** @return the directory backing the master's Aegir root on this remote */
  public Path view() {
    return view;
  }

  /**
   * @param onMaster a path under the master's Aegir root
   * @return where the same path lives on this remote, seen from this machine
   */
  public Path remote(Path onMaster) {
    return view.resolve(home.relativize(onMaster.toAbsolutePath().normalize()));
  }

  /** @return nginx's port on this remote (its {@code http_port}) */
  public int port() {
    return web.port();
  }

  /** @return the server context of this remote web server ({@link RemoteWebServer#serverContext()}) */
  public PropertyChanges serverContext() {
    return web.serverContext();
  }

  /** Stops nginx and PHP-FPM, then the SSH server and its namespaces. */
  @Override
  public void close() {
    try {
      web.close();
    } finally {
      ssh.close();
    }
  }

  @Override
  public String toString() {
    return "remote web server " + ssh.address() + " (" + web + ")";
  }
}
