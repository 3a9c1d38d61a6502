package net.aegirj.provision.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs nginx, PHP-FPM and MariaDB for the README's Quickstart until it is stopped: starts them
 * with {@link LocalServers}, writes their settings to {@code <stateDir>/servers.env}, or to the
 * file given third (shell {@code KEY='value'} lines; mode 0600, since {@code MASTER_DB} holds
 * the MariaDB admin's password), and waits. {@code SIGTERM} stops every server.
 *
 * <pre>{@code java -cp … net.aegirj.provision.testkit.DemoServers <stateDir> <aegirRoot> [<envFile>]}</pre>
 */
public final class DemoServers {
  private DemoServers() {}

  /**
   * @param args the state directory, the Provision home (the master's aegir_root) and, optionally,
   *     the file the settings go to
   * @throws Exception when a server cannot start
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 2 && args.length != 3) {
      System.err.println("usage: DemoServers <stateDir> <aegirRoot> [<envFile>]");
      System.exit(2);
    }
    Path state = Path.of(args[0]).toAbsolutePath();
    Path root = Path.of(args[1]).toAbsolutePath();
    Path envFile = args.length == 3 ? Path.of(args[2]).toAbsolutePath() : state.resolve("servers.env");
    LocalServers servers = LocalServers.in(state);
    try {
      PhpFpmServer fpm = servers.phpFpm();
      NginxServer nginx = servers.nginx(root);
      MariaDbServer db = servers.mariadb();
      Map<String, String> env = new LinkedHashMap<>();
      env.put("NGINX_PORT", Integer.toString(nginx.port()));
      env.put("NGINX_TEST_CMD", nginx.testCommand());
      env.put("NGINX_RELOAD_CMD", nginx.reloadCommand());
      env.put("PHPFPM_ADDRESS", fpm.address());
      env.put("DB_PORT", Integer.toString(db.port()));
      env.put("MASTER_DB", db.masterDbUrl());
      StringBuilder b = new StringBuilder();
      env.forEach((k, v) -> b.append(k).append("='").append(v.replace("'", "'\\''")).append("'\n"));
      write(envFile, b.toString());
    } catch (RuntimeException e) {
      servers.close();
      throw e;
    }
    CountDownLatch forever = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(servers::close));
    forever.await();
  }

  private static void write(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    // Created private: the settings hold the admin's password.
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
