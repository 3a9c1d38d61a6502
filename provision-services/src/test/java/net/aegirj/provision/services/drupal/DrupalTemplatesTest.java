package net.aegirj.provision.services.drupal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.services.db.MySql;
import net.aegirj.provision.services.http.Nginx;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.testkit.FakeHost;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.InMemoryContextRepository;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * settings.php, drushrc.php and sites.php through their templates, on a {@link FakeHost} master
 * with an in-memory repository: our templates give the bytes the StringBuilder code gave (the
 * expected files under {@code golden/} were captured from it), the web server's
 * {@code <http_template_dir>/drupal/} overrides them, a broken override writes nothing, and the
 * lines a type adds at {@link Drupal#SETTINGS_EXTRA} reach settings.php, one printable line each.
 */
class DrupalTemplatesTest {
  private static final String SALT = "SALTsalt_-9";
  private static final String INCLUDES = "/var/aegir/includes";

  @TempDir Path home;
  FakeHost master;
  Path root;
  Path site;
  final LinesNginx nginx = new LinesNginx();

  /** nginx, adding the lines the test sets at {@code settings.extra} (state per instance). */
  static final class LinesNginx extends Nginx {
    final List<String> lines = new ArrayList<>();

    @Override
    public List<String> templateLines(String point, ResolvedContext site, ResolvedContext server) {
      return point.equals(Drupal.SETTINGS_EXTRA) ? List.copyOf(lines) : List.of();
    }
  }

  @BeforeEach
  void master() throws IOException {
    root = home.resolve("platforms/a");
    site = root.resolve("sites/g.example.com");
    master = new FakeHost("server_master", false);
    master.mkdirs(home, FileMode.of(0755));
    for (String file : Fixtures.phpFiles()) {
      Path target = root.resolve(file);
      master.mkdirs(target.getParent(), FileMode.of(0755));
      try (InputStream in = Fixtures.class.getResourceAsStream("fixture-platform/" + file)) {
        master.write(target, in.readAllBytes(), FileMode.of(0644));
      }
    }
    master.mkdirs(root.resolve("sites"), FileMode.of(0755));
  }

  private Provision provision() {
    Provision p = Provision.builder().home(home).repository(new InMemoryContextRepository())
        .hosts(FakeHost.provider(master)).registry(ServiceRegistry.of(List.of(nginx, new MySql()), List.of(new Drupal()))).build();
    p.save("server_master", PropertyChanges.builder().set("http_service_type", "nginx").set("http_port", "8080")
        .set("phpfpm_address", "unix:/run/php/php8.2-fpm.sock").set("http_test_cmd", "true")
        .set("http_restart_cmd", "true").set("http_reload_check", "0").set("web_group", "www-data").build());
    p.save("platform_a", PropertyChanges.builder().set("context_type", "platform").set("root", root.toString())
        .build());
    p.save("g.example.com", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_a")
        .set("aliases", "www.g.example.com,g.example.org,g.example.com/sub").set("install_method", "manual")
        .set("installed", "true").build());
    p.server("server_master").verify();
    p.platform("platform_a").verify();
    return p;
  }

  private String golden(String name) throws IOException {
    try (InputStream in = DrupalTemplatesTest.class.getResourceAsStream("/net/aegirj/provision/services/golden/"
        + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("<home>", home.toString());
    }
  }

  private Path templates(String file, String text) throws IOException {
    Path dir = home.resolve("templates");
    Files.createDirectories(dir.resolve("drupal"));
    Files.writeString(dir.resolve("drupal").resolve(file), text);
    return dir;
  }

  @Test
  void ourTemplatesGiveTheBytesOfBefore() throws IOException {
    FakeHost local = new FakeHost("local");
    try (Provision p = provision()) {
      ResolvedContext web = p.resolve("server_master");
      ResolvedContext s = p.resolve("g.example.com");
      assertThat(Settings.settingsPhp(local, web, s, 10, SALT, INCLUDES, List.of()))
          .as("Drupal 8+ settings.php, byte for byte").isEqualTo(golden("settings10"));
      assertThat(Settings.settingsPhp(local, web, s, 7, SALT, INCLUDES, List.of()))
          .as("Drupal 7 settings.php, byte for byte").isEqualTo(golden("settings7"));
      assertThat(Settings.drushrc(local, web, s)).as("drushrc.php without a database").isEqualTo(golden("drushrc-nodb"));

      p.save("server_db", PropertyChanges.builder().set("context_type", "server").set("remote_host", "db.example.com")
          .set("db_service_type", "mysql").set("db_port", "3307").set("master_db", "mysql://root:secret@127.0.0.1:1")
          .build());
      p.save("g.example.com", PropertyChanges.builder().set("site_enabled", "false").set("db_name", "gdb")
          .set("db_user", "guser").set("db_passwd", "Secret123Secret123").set("db_server", "@server_db").build());
      s = p.resolve("g.example.com");
      assertThat(Settings.settingsPhp(local, web, s, 10, SALT, INCLUDES, List.of()))
          .as("a disabled Drupal 8+ site is in maintenance mode").isEqualTo(golden("settings10-disabled"));
      assertThat(Settings.settingsPhp(local, web, s, 7, SALT, INCLUDES, List.of()))
          .as("a disabled Drupal 7 site is in maintenance mode").isEqualTo(golden("settings7-disabled"));
      assertThat(Settings.drushrc(local, web, s)).as("drushrc.php with the database").isEqualTo(golden("drushrc-db"));

      FakeHost h = new FakeHost("server_master");
      h.mkdirs(root.resolve("sites"), FileMode.of(0755));
      Path f = root.resolve("sites/sites.php");
      SitesPhp.update(local, web, h, s);
      assertThat(h.content(f)).as("a new sites.php: the head, then the entries").isEqualTo(golden("sites-new"));
      h.write(f, ("<?php\n// mine\n$sites['x'] = 'y';\n$sites['old.g.example.com'] = 'g.example.com';"
          + " // provision:g.example.com\n\n\n").getBytes(StandardCharsets.UTF_8), FileMode.of(0644));
      SitesPhp.update(local, web, h, s);
      assertThat(h.content(f)).as("the site's old entries replaced, other lines kept").isEqualTo(golden("sites-edit"));
      SitesPhp.remove(null, h, s);
      assertThat(h.content(f)).as("remove keeps the other lines").isEqualTo(golden("sites-removed"));
      h.write(f, "$sites['old.g.example.com'] = 'g.example.com'; // provision:g.example.com\n"
          .getBytes(StandardCharsets.UTF_8), FileMode.of(0644));
      SitesPhp.remove(null, h, s);
      assertThat(h.content(f)).as("a file with only the site's entries is left empty").isEqualTo(golden("sites-emptied"));
    }
  }

  @Test
  void theWebServersDrupalTemplatesOverrideOurs() throws IOException {
    Path dir = templates("settings.php", "<?php\n// operator's settings for {{uri}}, Drupal {{drupal}}\n");
    templates("drushrc.php", "<?php\n$options['uri'] = '{{uri}}'; // operator\n");
    templates("sites.php", "{{#new_file}}\n<?php\n// operator's sites.php\n{{/new_file}}\n{{#entries}}\n"
        + "$sites['{{alias}}'] = '{{uri}}'; // operator{{marker}}\n{{/entries}}\n");
    try (Provision p = provision()) {
      p.save("server_master", PropertyChanges.builder().set("http_template_dir", dir.toString()).build());
      p.site("g.example.com").verify();
      assertThat(master.content(site.resolve("settings.php"))).as("the operator's settings.php is used")
          .isEqualTo("<?php\n// operator's settings for g.example.com, Drupal 8+\n");
      assertThat(master.content(site.resolve("drushrc.php"))).as("the operator's drushrc.php is used")
          .isEqualTo("<?php\n$options['uri'] = 'g.example.com'; // operator\n");
      assertThat(master.content(root.resolve("sites/sites.php"))).as("the operator's sites.php is used")
          .isEqualTo("<?php\n// operator's sites.php\n"
              + "$sites['www.g.example.com'] = 'g.example.com'; // operator // provision:g.example.com\n"
              + "$sites['g.example.org'] = 'g.example.com'; // operator // provision:g.example.com\n"
              + "$sites['g.example.com.sub'] = 'g.example.com'; // operator // provision:g.example.com\n");
    }
  }

  @Test
  void aBrokenOverrideIsRefusedAndNothingIsWritten() throws IOException {
    try (Provision p = provision()) {
      p.site("g.example.com").verify();
      for (String file : List.of("settings.php", "drushrc.php", "sites.php")) {
        Path dir = templates(file, "<?php\n{{#uri}}\nnever closed\n");
        p.save("server_master", PropertyChanges.builder().set("http_template_dir", dir.toString()).build());
        SortedMap<String, String> before = master.snapshot();
        assertThatThrownBy(() -> p.site("g.example.com").verify()).as("a broken %s is a clear error", file)
            .hasMessageContaining("@server_master").hasMessageContaining("http_template_dir")
            .hasMessageContaining(dir.resolve("drupal").resolve(file).toString())
            .hasMessageContaining("never closed");
        assertThat(master.snapshot()).as("nothing on the master changed after the broken %s", file)
            .isEqualTo(before);
        Files.delete(dir.resolve("drupal").resolve(file));
      }
    }
  }

  @Test
  void typesAddCheckedLinesAtSettingsExtra() throws IOException {
    try (Provision p = provision()) {
      nginx.lines.add("$settings['example_plugin'] = TRUE;");
      nginx.lines.add("$config['system.logging']['error_level'] = 'hide';");
      p.site("g.example.com").verify();
      String settings = master.content(site.resolve("settings.php"));
      assertThat(settings).as("the lines, in order, after our settings and before the includes")
          .contains("];\n$settings['example_plugin'] = TRUE;\n$config['system.logging']['error_level'] = 'hide';\n"
              + "\n// Extra settings, in this order, when they exist.\n");
      nginx.lines.add("$a = 1;\n$settings['evil'] = TRUE;");
      SortedMap<String, String> before = master.snapshot();
      assertThatThrownBy(() -> p.site("g.example.com").verify()).as("a line with a newline is refused")
          .hasMessageContaining("settings.extra").hasMessageContaining("@g.example.com");
      assertThat(master.snapshot()).as("and nothing on the master changed").isEqualTo(before);
      assertThat(master.content(site.resolve("settings.php"))).as("settings.php is as before").isEqualTo(settings);
    }
  }
}
