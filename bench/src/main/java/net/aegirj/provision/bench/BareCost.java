package net.aegirj.provision.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;
import net.aegirj.provision.testkit.MariaDbServer;
import net.aegirj.provision.testkit.NginxServer;

/**
 * The bare cost of a first run: what no tool can avoid. One plain JDBC connection doing only each
 * site's DDL (a database, its two accounts, one grant), the same directories with the same modes and
 * group and the same files with the same bytes a Provision install wrote for a site (each file
 * written to a temporary name, flushed to disk and renamed, as a careful tool must), then one nginx
 * test and reload. One thread, no checks, no journal, no context.
 */
final class BareCost {
  private BareCost() {}

  private static final java.util.Map<String, GroupPrincipal> GROUPS = new java.util.HashMap<>();

  /** A directory or file of the site a Provision install made, to copy for each bare site. */
  private record Entry(String relative, boolean directory, int mode, String group, byte[] bytes) {}

  /**
   * @param n how many sites
   * @param model the uri of a site Provision installed (its files are the model)
   * @param modelDb its database name
   * @param modelPassword its database password (the settings files copied name it)
   * @param sites the platform's {@code sites/} directory
   * @param vhosts the web server's vhost directory
   * @param db the db server
   * @param nginx the web server
   * @return the uris of the sites made
   */
  static List<String> run(int n, String model, String modelDb, String modelPassword, Path sites, Path vhosts, MariaDbServer db,
      NginxServer nginx) throws Exception {
    List<Entry> tree = model(sites.resolve(model));
    Entry vhost = entry(vhosts, vhosts.resolve(model));
    List<String> uris = new ArrayList<>();
    try (Connection c = connect(db); Statement s = c.createStatement()) {
      for (int i = 1; i <= n; i++) {
        String uri = String.format(Locale.ROOT, "b%05d.bench.test", i);
        String name = uri.replace(".", "");
        uris.add(uri);
        s.execute("CREATE DATABASE `" + name + "`");
        s.execute("CREATE USER '" + name + "'@'localhost' IDENTIFIED BY '" + modelPassword + "', '" + name
            + "'@'127.0.0.1' IDENTIFIED BY '" + modelPassword + "'");
        s.execute("GRANT ALL PRIVILEGES ON `" + name + "`.* TO '" + name + "'@'localhost', '" + name + "'@'127.0.0.1'");
        Path site = sites.resolve(uri);
        for (Entry e : tree) {
          place(site.resolve(e.relative()), e, model, uri, modelDb, name);
        }
        place(vhosts.resolve(uri), vhost, model, uri, modelDb, name);
      }
    }
    Process reload = new ProcessBuilder("/bin/sh", "-c", nginx.testCommand() + " && " + nginx.reloadCommand())
        .redirectErrorStream(true).start();
    String output = new String(reload.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (reload.waitFor() != 0) {
      throw new IllegalStateException("nginx test and reload failed: " + output);
    }
    return uris;
  }

  /** Drops what {@link #run} made (databases and accounts; the files go with the state). */
  static void drop(List<String> uris, MariaDbServer db) throws SQLException {
    try (Connection c = connect(db); Statement s = c.createStatement()) {
      for (String uri : uris) {
        String name = uri.replace(".", "");
        s.execute("DROP DATABASE IF EXISTS `" + name + "`");
        s.execute("DROP USER IF EXISTS '" + name + "'@'localhost', '" + name + "'@'127.0.0.1'");
      }
    }
  }

  private static Connection connect(MariaDbServer db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", db.adminUser());
    p.setProperty("password", db.adminPassword());
    p.setProperty("sslMode", "disable");
    return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + db.port() + "/", p);
  }

  private static List<Entry> model(Path site) throws IOException {
    List<Entry> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(site)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        out.add(entry(site, p));
      }
    }
    return out;
  }

  private static Entry entry(Path base, Path p) throws IOException {
    boolean dir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
    int mode = ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
    String group = Files.readAttributes(p, java.nio.file.attribute.PosixFileAttributes.class,
        LinkOption.NOFOLLOW_LINKS).group().getName();
    return new Entry(base.relativize(p).toString(), dir, mode, group, dir ? null : Files.readAllBytes(p));
  }

  private static void place(Path target, Entry e, String model, String uri, String modelDb, String db)
      throws IOException {
    if (e.directory()) {
      Files.createDirectory(target);
    } else {
      byte[] bytes = new String(e.bytes(), StandardCharsets.UTF_8).replace(model, uri).replace(modelDb, db)
          .getBytes(StandardCharsets.UTF_8);
      Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.setAttribute(target, "unix:mode", e.mode(), LinkOption.NOFOLLOW_LINKS);
    PosixFileAttributeView view = Files.getFileAttributeView(target, PosixFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS);
    GroupPrincipal g = GROUPS.get(e.group());
    if (g == null) {
      g = target.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(e.group());
      GROUPS.put(e.group(), g);
    }
    view.setGroup(g);
  }
}
