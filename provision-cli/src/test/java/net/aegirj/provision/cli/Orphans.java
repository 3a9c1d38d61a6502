package net.aegirj.provision.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.MariaDbServer;

/**
 * Finds what no context owns, judged from outside: databases and users in MariaDB that no site
 * records, site directories and vhost files of no site, temporary files anywhere in the home, and
 * records of intents left in the home's state directory.
 */
final class Orphans {
  private static final Set<String> SYSTEM_SCHEMAS =
      Set.of("mysql", "information_schema", "performance_schema", "sys", "test");
  private static final Set<String> SYSTEM_USERS = Set.of("root", "mariadb.sys", "mysql", "PUBLIC", "",
      MariaDbServer.ADMIN_USER);

  private Orphans() {}

  /**
   * @param home the Provision home
   * @param db the db server
   * @param sites the platform's {@code sites} directory
   * @param vhosts the web server's vhost directory
   * @return one line per orphan; empty when there is none
   */
  static List<String> find(Path home, MariaDbServer db, Path sites, Path vhosts) throws IOException {
    Set<String> dbNames = new HashSet<>();
    Set<String> dbUsers = new HashSet<>();
    Set<String> uris = new HashSet<>();
    try (Provision p = Provision.builder().home(home).build()) {
      for (Context c : p.list(ContextType.SITE)) {
        Site s = (Site) c;
        s.dbName().ifPresent(dbNames::add);
        Object user = c.properties().get("db_user");
        if (user != null) {
          dbUsers.add(String.valueOf(user));
        }
        uris.add(p.resolve(c.name().toString()).get("uri").map(String::valueOf).orElseThrow());
      }
    }
    List<String> out = new ArrayList<>();
    for (String schema : lines(db.sql("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"))) {
      if (!SYSTEM_SCHEMAS.contains(schema) && !dbNames.contains(schema)) {
        out.add("database " + schema + " (no site records it)");
      }
    }
    for (String row : lines(db.sql("SELECT CONCAT(User, '@', Host) FROM mysql.user"))) {
      String user = row.substring(0, row.lastIndexOf('@'));
      if (!SYSTEM_USERS.contains(user) && !dbUsers.contains(user)) {
        out.add("user " + row + " (no site records it)");
      }
    }
    if (Files.isDirectory(sites)) {
      try (Stream<Path> s = Files.list(sites)) {
        for (Path d : s.toList()) {
          String name = d.getFileName().toString();
          if (Files.isDirectory(d) && !Files.isSymbolicLink(d) && !name.equals("all") && !name.equals("default")
              && !uris.contains(name)) {
            out.add("site directory " + d);
          }
        }
      }
    }
    if (Files.isDirectory(vhosts)) {
      try (Stream<Path> s = Files.list(vhosts)) {
        for (Path f : s.toList()) {
          if (!uris.contains(f.getFileName().toString())) {
            out.add("vhost " + f);
          }
        }
      }
    }
    try (Stream<Path> s = Files.walk(home)) {
      for (Path f : s.toList()) {
        String name = f.getFileName().toString();
        if (name.contains(".tmp-") || name.startsWith(".new-")) {
          out.add("temporary file " + f);
        }
      }
    }
    Path intents = home.resolve("state/intents");
    if (Files.isDirectory(intents)) {
      try (Stream<Path> s = Files.list(intents)) {
        s.forEach(f -> out.add("intent record " + f));
      }
    }
    return out;
  }

  private static List<String> lines(String text) {
    return text.isBlank() ? List.of() : List.of(text.split("\n"));
  }
}
