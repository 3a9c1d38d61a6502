package net.aegirj.provision.core.aegir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.core.ThirdPartyHttpType;
import net.aegirj.provision.core.aegir.AegirImport.Entry;
import net.aegirj.provision.core.aegir.AegirImport.Outcome;
import net.aegirj.provision.core.aegir.AegirImport.Report;
import net.aegirj.provision.core.aegir.AegirImport.SkippedProperty;
import net.aegirj.provision.spi.ServiceType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AegirImportExportTest {
  /** A stand-in for our mysql type: declares what the real one does that these files use. */
  static final class TestMySql implements ServiceType {
    @Override
    public String service() {
      return "db";
    }

    @Override
    public String id() {
      return "mysql";
    }

    @Override
    public List<PropertySpec> serverProperties() {
      return List.of(
          PropertySpec.builder(ContextType.SERVER, "master_db", PropertySpec.Kind.STRING).grammar(Grammar.DB_URL)
              .secret().description("admin account").build(),
          PropertySpec.builder(ContextType.SERVER, "db_port", PropertySpec.Kind.INTEGER).range(1, 65535)
              .defaultValue(3306).description("port").build());
    }
  }

  static final String DB_SERVER = """
      <?php
      $aliases['server_db'] = array (
        'context_type' => 'server',
        'server' => '@server_master',
        'remote_host' => 'db.example.com',
        'aegir_root' => '/var/aegir',
        'script_user' => 'aegir',
        'config_path' => '/var/aegir/config/server_db',
        'db_service_type' => 'mysql',
        'master_db' => 'mysql://root:pw@db.example.com:3307',
        'http_service_type' => NULL,
      );
      """;

  static final String HOSTMASTER = """
      <?php
      $aliases['hostmaster'] = array (
        'context_type' => 'site',
        'platform' => '@platform_hostmaster',
        'uri' => 'aegir.example.com',
        'drush_aliases' => array (0 => 'hm'),
      );
      """;

  static final String ORPHAN = """
      <?php
      $aliases['orphan.example.com'] = array (
        'context_type' => 'site',
        'platform' => '@platform_gone',
      );
      """;

  static final String HM = HOSTMASTER.replace("$aliases['hostmaster']", "$aliases['hm']");

  @TempDir Path tmp;
  Path home;
  Path aliases;
  Provision provision;

  static ServiceRegistry registry() {
    return ServiceRegistry.of(List.of(new ThirdPartyHttpType(), new TestMySql()));
  }

  static Provision open(Path home) {
    return Provision.builder().home(home).registry(registry()).build();
  }

  @BeforeEach
  void setUp() throws Exception {
    home = Files.createDirectories(tmp.resolve("home"));
    aliases = Files.createDirectories(tmp.resolve("drush"));
    Files.writeString(aliases.resolve("server_master.alias.drushrc.php"), AliasFileTest.MASTER);
    Files.writeString(aliases.resolve("server_db.alias.drushrc.php"), DB_SERVER);
    Files.writeString(aliases.resolve("platform_x.alias.drushrc.php"), AliasFileTest.PLATFORM);
    Files.writeString(aliases.resolve("example.com.alias.drushrc.php"), AliasFileTest.SITE);
    Files.writeString(aliases.resolve("hostmaster.alias.drushrc.php"), HOSTMASTER);
    Files.writeString(aliases.resolve("hm.alias.drushrc.php"), HM);
    Files.writeString(aliases.resolve("orphan.example.com.alias.drushrc.php"), ORPHAN);
    Files.writeString(aliases.resolve("README.txt"), "not an alias file");
    provision = open(home);
  }

  @AfterEach
  void tearDown() {
    provision.close();
  }

  private Map<String, Object> stored(Provision p, String name) {
    return p.context(name).context().properties();
  }

  private static Entry entry(Report r, String name) {
    return r.entries().stream().filter(e -> e.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no entry for " + name + " in " + r));
  }

  @Test
  void importsWhatTheFilesSay() {
    Report r = AegirImport.run(provision, aliases, false);

    assertThat(r.entries().stream().map(Entry::name).toList()).as("servers (master first), platforms, sites")
        .containsExactly("@server_master", "@server_db", "@platform_x", "@example.com", "@hm", "@hostmaster",
            "@orphan.example.com");
    assertThat(r.with(Outcome.IMPORTED).stream().map(Entry::name).toList()).as("what was imported")
        .containsExactlyInAnyOrder("@server_master", "@server_db", "@platform_x", "@example.com");

    Map<String, Object> master = new LinkedHashMap<>();
    master.put("remote_host", "aegir.example.com");
    master.put("aegir_root", "/var/aegir");
    master.put("script_user", "aegir");
    master.put("ip_addresses", List.of("192.0.2.10"));
    master.put("master_url", "https://aegir.example.com");
    master.put("admin_email", "ops@example.com");
    master.put("http_service_type", "thirdparty");
    master.put("db_service_type", "mysql");
    master.put("http_port", "8080");
    master.put("master_db", "mysql://aegir_root:s3cret@localhost");
    master.put("db_port", "3306");
    assertThat(stored(provision, "@server_master")).as("the master: service-declared properties included")
        .isEqualTo(master);
    assertThat(entry(r, "@server_master").skippedProperties()).as("derived paths and NULL are skipped silently;"
        + " an undeclared property with a reason")
        .extracting(SkippedProperty::property).containsExactly("nginx_has_etag");

    assertThat(stored(provision, "@server_db")).as("aegir_root and the master's script_user are not copied")
        .isEqualTo(Map.of("remote_host", "db.example.com", "db_service_type", "mysql",
            "master_db", "mysql://root:pw@db.example.com:3307"));
    assertThat(stored(provision, "@platform_x")).as("'' is not set; 0 is false for a boolean")
        .isEqualTo(Map.of("root", "/var/aegir/platforms/x", "web_server", "@server_master",
            "make_working_copy", false));

    Map<String, Object> site = new LinkedHashMap<>();
    site.put("uri", "example.com");
    site.put("platform", "@platform_x");
    site.put("db_server", "@server_master");
    site.put("site_enabled", true);
    site.put("language", "en");
    site.put("client_name", "acme");
    site.put("aliases", List.of("www.example.com", "example.org"));
    site.put("cron_key", "Abc-123_xyz");
    site.put("drush_aliases", List.of("ex"));
    site.put("profile", "standard");
    site.put("install_method", "profile");
    site.put("ssl_enabled", 1);
    site.put("ssl_key", "example.com");
    site.put("ip_addresses", Map.of("server_master", "192.0.2.10")); // the library keeps map keys without @
    assertThat(stored(provision, "@example.com")).as("the site; root, site_path and redirection=FALSE are not set")
        .isEqualTo(site);
    assertThat(entry(r, "@example.com").skippedProperties()).as("nothing of the site was refused").isEmpty();

    Entry orphan = entry(r, "@orphan.example.com");
    assertThat(orphan.outcome()).as("a site whose platform is missing is skipped").isEqualTo(Outcome.SKIPPED);
    assertThat(orphan.reason()).as("with the library's message")
        .hasValueSatisfying(m -> assertThat(m).as("names the missing platform").contains("@platform_gone"));
    Entry hostmaster = entry(r, "@hostmaster");
    assertThat(hostmaster.outcome()).as("@hostmaster, whose uri is not its name, is skipped")
        .isEqualTo(Outcome.SKIPPED);
    assertThat(hostmaster.reason()).as("with the library's message about the uri")
        .hasValueSatisfying(m -> assertThat(m).as("names the uri").contains("'uri'"));
    assertThat(entry(r, "@hm").reason()).as("Aegir's drush_aliases copy is not a context")
        .hasValueSatisfying(m -> assertThat(m).as("names the original").contains("copy of @hostmaster"));
    assertThat(provision.list().stream().map(c -> c.name().toString()).toList()).as("nothing else was saved")
        .containsExactly("@example.com", "@platform_x", "@server_db", "@server_master");

    Report again = AegirImport.run(provision, aliases, false);
    assertThat(again.with(Outcome.UNCHANGED)).as("a second import changes nothing").hasSize(4);
    assertThat(again.with(Outcome.CONFLICT)).as("and is no conflict").isEmpty();
  }

  @Test
  void reportsAConflictAndOverwritesOnlyWhenAsked() {
    provision.save("@platform_x", PropertyChanges.builder().set("context_type", "platform")
        .set("root", "/srv/other").build());

    Report r = AegirImport.run(provision, aliases, false);
    Entry platform = entry(r, "@platform_x");
    assertThat(platform.outcome()).as("an existing, different context is a conflict").isEqualTo(Outcome.CONFLICT);
    assertThat(platform.reason()).as("the reason names the differing properties")
        .hasValueSatisfying(m -> assertThat(m).as("root differs").contains("root"));
    assertThat(stored(provision, "@platform_x")).as("a conflict is left alone")
        .isEqualTo(Map.of("root", "/srv/other"));
    assertThat(entry(r, "@example.com").outcome()).as("the others are imported").isEqualTo(Outcome.IMPORTED);

    Report o = AegirImport.run(provision, aliases, true);
    assertThat(entry(o, "@platform_x").outcome()).as("overwrite replaces it").isEqualTo(Outcome.IMPORTED);
    assertThat(stored(provision, "@platform_x")).as("with what the file says")
        .isEqualTo(Map.of("root", "/var/aegir/platforms/x", "web_server", "@server_master",
            "make_working_copy", false));
  }

  @Test
  void refusesABadFileBeforeSavingAnything() throws Exception {
    Files.writeString(aliases.resolve("zz.alias.drushrc.php"), "<?php\n$aliases['zz'] = array('root' => `id`);\n");
    Path bad = aliases.resolve("zz.alias.drushrc.php");
    assertThatThrownBy(() -> AegirImport.run(provision, aliases, false)).as("a parse error stops the import")
        .isInstanceOf(AliasFileException.class).hasMessageStartingWith(bad + ":2: ");
    assertThat(provision.list().stream().filter(c -> !c.name().isMaster()).toList())
        .as("nothing was saved").isEmpty();
    assertThatThrownBy(() -> AegirImport.run(provision, tmp.resolve("missing"), false))
        .as("a missing directory is bad input").isInstanceOf(AliasFileException.class)
        .hasMessageContaining("no such directory");
  }

  @Test
  void exportThenImportIntoAFreshHomeGivesTheSameContexts() throws Exception {
    AegirImport.run(provision, aliases, false);
    Path out = tmp.resolve("export");
    List<AegirExport.Exported> files = AegirExport.exportAll(provision, out, true);
    assertThat(files).as("one file per context").hasSize(4);

    String master = Files.readString(out.resolve("server_master.alias.drushrc.php"));
    Map<String, Object> written = AliasFile.parse(master, "m").get(0).properties();
    assertThat(written).as("Aegir's derived paths are written, from resolve()")
        .containsEntry("context_type", "server")
        .containsEntry("server", "@server_master")
        .containsEntry("config_path", "/var/aegir/config/server_master")
        .containsEntry("backup_path", "/var/aegir/backups")
        .containsEntry("master_db", "mysql://aegir_root:s3cret@localhost");
    assertThat(List.copyOf(written.keySet()).subList(0, 3)).as("keys in schema order")
        .containsExactly("context_type", "server", "remote_host");
    Map<String, Object> site = AliasFile.parse(Files.readString(out.resolve("example.com.alias.drushrc.php")), "s")
        .get(0).properties();
    assertThat(site).as("a site's derived root and site_path are written")
        .containsEntry("root", "/var/aegir/platforms/x")
        .containsEntry("site_path", "/var/aegir/platforms/x/sites/example.com");
    assertThat(mode(out.resolve("server_master.alias.drushrc.php"))).as("a file with a secret is 0600")
        .isEqualTo("rw-------");
    assertThat(mode(out.resolve("platform_x.alias.drushrc.php"))).as("a file without one is 0640")
        .isEqualTo("rw-r-----");

    Path home2 = Files.createDirectories(tmp.resolve("home2"));
    try (Provision fresh = open(home2)) {
      Report r = AegirImport.run(fresh, out, false);
      assertThat(r.with(Outcome.IMPORTED)).as("everything is imported: %s", r).hasSize(4);
      assertThat(r.entries().stream().flatMap(e -> e.skippedProperties().stream()).toList())
          .as("the derived values written are skipped silently").isEmpty();
      assertThat(contexts(fresh)).as("the same contexts as the source").isEqualTo(contexts(provision));
    }
  }

  @Test
  void leavesSecretsOutUnlessAsked() throws Exception {
    AegirImport.run(provision, aliases, false);
    Path out = tmp.resolve("export");
    AegirExport.Exported e = AegirExport.export(provision, "@server_master", out, false);
    assertThat(e.holdsSecret()).as("no secret was written").isFalse();
    Map<String, Object> written = AliasFile.parse(e.file()).get(0).properties();
    assertThat(written).as("master_db is left out").doesNotContainKey("master_db")
        .containsEntry("db_service_type", "mysql");
    assertThat(mode(e.file())).as("a file without a secret is 0640").isEqualTo("rw-r-----");
    AegirExport.Exported s = AegirExport.export(provision, "example.com", out, false);
    assertThat(AliasFile.parse(s.file()).get(0).properties()).as("cron_key is a secret")
        .doesNotContainKey("cron_key").containsEntry("uri", "example.com");
  }

  private static Map<String, Map<String, Object>> contexts(Provision p) {
    Map<String, Map<String, Object>> m = new TreeMap<>();
    for (Context c : p.list()) {
      m.put(c.name() + " " + c.type().id(), c.properties());
    }
    return m;
  }

  private static String mode(Path f) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(f));
  }
}
