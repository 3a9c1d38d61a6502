package net.aegirj.provision.api;

import static net.aegirj.provision.api.ContextType.PLATFORM;
import static net.aegirj.provision.api.ContextType.SERVER;
import static net.aegirj.provision.api.ContextType.SITE;
import static net.aegirj.provision.api.PropertySpec.Kind.BOOLEAN;
import static net.aegirj.provision.api.PropertySpec.Kind.INTEGER;
import static net.aegirj.provision.api.PropertySpec.Kind.LIST;
import static net.aegirj.provision.api.PropertySpec.Kind.MAP;
import static net.aegirj.provision.api.PropertySpec.Kind.REFERENCE;
import static net.aegirj.provision.api.PropertySpec.Kind.STRING;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The properties that each context type declares, with Aegir's names (see the reference, section
 * 3). Service types declare more server properties of their own; those live in a context's
 * {@code extras}.
 */
public final class Schema {
  private static final Map<ContextType, List<PropertySpec>> SPECS = new EnumMap<>(ContextType.class);

  static {
    List<PropertySpec> server = new ArrayList<>();
    server.add(PropertySpec.builder(SERVER, "remote_host", STRING).grammar(Grammar.HOST_OR_IP)
        .defaultsTo("localhost").description("FQDN or IP address; decides local or SSH").build());
    server.add(PropertySpec.builder(SERVER, "aegir_root", STRING).grammar(Grammar.PATH)
        .defaultsTo("the Provision home on @server_master; the master's value on other servers")
        .description("base directory (settable on @server_master only)").build());
    server.add(PropertySpec.builder(SERVER, "script_user", STRING).grammar(Grammar.USER)
        .defaultsTo("the current user on @server_master; the master's value on other servers")
        .description("SSH login and owner of the files").build());
    server.add(PropertySpec.builder(SERVER, "ip_addresses", LIST).grammar(Grammar.IP)
        .description("the server's IP addresses").build());
    server.add(PropertySpec.builder(SERVER, "master_url", STRING).grammar(Grammar.URL)
        .description("URL of the front end").build());
    server.add(PropertySpec.builder(SERVER, "admin_email", STRING).grammar(Grammar.EMAIL)
        .defaultsTo("admin@<remote_host>").description("administrator contact").build());
    for (String service : List.of("http", "db", "dns")) {
      server.add(PropertySpec.builder(SERVER, service + "_service_type", STRING).grammar(Grammar.SERVICE_TYPE)
          .defaultsTo("null").description("implementation of the " + service
              + " service ('null' or 'NONE' for none)").build());
    }
    server.add(PropertySpec.builder(SERVER, "ssh_port", INTEGER).range(1, 65535)
        .defaultsTo("22").description("SSH port of a remote server").build());
    server.add(PropertySpec.builder(SERVER, "ssh_user", STRING).grammar(Grammar.USER)
        .defaultsTo("script_user").description("SSH login of a remote server").build());
    server.add(PropertySpec.builder(SERVER, "ssh_identity", STRING).grammar(Grammar.PATH)
        .defaultsTo("the script user's default key").description("private key for SSH").build());
    server.add(PropertySpec.builder(SERVER, "ssh_known_hosts", STRING).grammar(Grammar.PATH)
        .defaultsTo("~/.ssh/known_hosts").description("known_hosts file checked for host keys").build());
    server.add(derived(SERVER, "backup_path", "<aegir_root>/backups"));
    server.add(derived(SERVER, "config_path", "<aegir_root>/config/<server name>"));
    server.add(derived(SERVER, "include_path", "<aegir_root>/config/includes"));
    server.add(derived(SERVER, "clients_path", "<aegir_root>/clients"));
    SPECS.put(SERVER, List.copyOf(server));

    List<PropertySpec> platform = new ArrayList<>();
    platform.add(PropertySpec.builder(PLATFORM, "root", STRING).grammar(Grammar.PATH).required()
        .description("absolute path of the Drupal code base").build());
    platform.add(PropertySpec.builder(PLATFORM, "web_server", REFERENCE).references(SERVER)
        .defaultsTo("@server_master").description("server publishing the platform").build());
    platform.add(PropertySpec.builder(PLATFORM, "makefile", STRING).grammar(Grammar.PATH_OR_URL)
        .description("make file or project that builds a missing root").build());
    platform.add(PropertySpec.builder(PLATFORM, "make_working_copy", BOOLEAN).defaultsTo("false")
        .description("build with --working-copy").build());
    platform.add(PropertySpec.builder(PLATFORM, "repo_path", STRING).grammar(Grammar.PATH)
        .description("directory that may hold composer.json").build());
    platform.add(PropertySpec.builder(PLATFORM, "locked", BOOLEAN).defaultsTo("false")
        .description("a locked platform takes no new sites (Aegir's lock/unlock)").build());
    SPECS.put(PLATFORM, List.copyOf(platform));

    List<PropertySpec> site = new ArrayList<>();
    site.add(PropertySpec.builder(SITE, "uri", STRING).grammar(Grammar.HOST)
        .defaultsTo("the context name").description("host name of the site; equals the context name").build());
    site.add(PropertySpec.builder(SITE, "platform", REFERENCE).references(PLATFORM).required()
        .description("platform the site runs on").build());
    site.add(PropertySpec.builder(SITE, "db_server", REFERENCE).references(SERVER)
        .defaultsTo("@server_master").description("server holding the database").build());
    site.add(PropertySpec.builder(SITE, "site_enabled", BOOLEAN).defaultsTo("true")
        .description("false serves the disabled page").build());
    site.add(PropertySpec.builder(SITE, "language", STRING).grammar(Grammar.LANGUAGE)
        .defaultsTo("en").description("install locale").build());
    site.add(PropertySpec.builder(SITE, "client_name", STRING).grammar(Grammar.NAME)
        .description("owner; used for clients/ symlinks").build());
    site.add(PropertySpec.builder(SITE, "aliases", LIST).grammar(Grammar.ALIAS)
        .description("extra host names (host/path for sub-directory aliases)").build());
    site.add(PropertySpec.builder(SITE, "redirection", STRING).grammar(Grammar.HOST)
        .description("host that the uri and aliases redirect to").build());
    site.add(PropertySpec.builder(SITE, "cron_key", STRING).grammar(Grammar.TOKEN).secret()
        .description("Drupal's cron key").build());
    site.add(PropertySpec.builder(SITE, "drush_aliases", LIST).grammar(Grammar.CONTEXT_NAME)
        .description("extra alias names").build());
    site.add(PropertySpec.builder(SITE, "profile", STRING).grammar(Grammar.ID)
        .defaultsTo("standard").description("install profile").build());
    site.add(PropertySpec.builder(SITE, "install_method", STRING).allowed("profile", "manual")
        .defaultsTo("profile").description("'profile' runs the installer; 'manual' leaves it to install.php").build());
    site.add(PropertySpec.builder(SITE, "ssl_enabled", INTEGER).range(0, 2).allowed("off", "on", "required")
        .defaultsTo("0").description("0 off, 1 on, 2 required (HTTP redirects to HTTPS)").build());
    site.add(PropertySpec.builder(SITE, "ssl_key", STRING).grammar(Grammar.NAME)
        .description("certificate directory in the central ssl.d").build());
    site.add(PropertySpec.builder(SITE, "ip_addresses", MAP).keyGrammar(Grammar.CONTEXT_NAME)
        .grammar(Grammar.IP).description("server name = IP address of the SSL vhost").build());
    site.add(PropertySpec.builder(SITE, "dns_zone", STRING).grammar(Grammar.HOST)
        .defaultsTo("guessed from the uri").description("DNS zone of the site").build());
    site.add(PropertySpec.builder(SITE, "dns_zone_subdomain", STRING).grammar(Grammar.ZONE_NAME)
        .defaultsTo("guessed from the uri").description("name of the site inside its zone").build());
    site.add(PropertySpec.builder(SITE, "installed", BOOLEAN).defaultsTo("false")
        .description("set by install (and import); cleared by delete").build());
    site.add(PropertySpec.builder(SITE, "db_name", STRING).grammar(Grammar.DB_NAME)
        .description("the site's database (set by install)").build());
    site.add(PropertySpec.builder(SITE, "db_user", STRING).grammar(Grammar.DB_NAME)
        .description("the site's database user (set by install)").build());
    site.add(PropertySpec.builder(SITE, "db_passwd", STRING).grammar(Grammar.TOKEN).secret()
        .description("the site's database password (set by install)").build());
    site.add(PropertySpec.builder(SITE, "db_type", STRING).derived().defaultsTo("the db server's type")
        .description("derived: driver of the site's database").build());
    site.add(PropertySpec.builder(SITE, "db_host", STRING).derived().defaultsTo("the db server's remote_host")
        .description("derived: host of the site's database").build());
    site.add(PropertySpec.builder(SITE, "db_port", INTEGER).derived().defaultsTo("the db server's db_port")
        .description("derived: port of the site's database").build());
    site.add(derived(SITE, "root", "the platform's root"));
    site.add(derived(SITE, "site_path", "<root>/sites/<uri>"));
    SPECS.put(SITE, List.copyOf(site));
  }

  private Schema() {}

  private static PropertySpec derived(ContextType type, String name, String rule) {
    return PropertySpec.builder(type, name, STRING).grammar(Grammar.PATH).derived().defaultsTo(rule)
        .description("derived: " + rule).build();
  }

  /**
   * @param type a context type
   * @return its declared properties, in display order (stored ones first, then derived ones)
   */
  public static List<PropertySpec> properties(ContextType type) {
    return SPECS.get(type);
  }

  /**
   * @param type a context type
   * @param name a property name
   * @return the declaration, if the type declares the property
   */
  public static Optional<PropertySpec> find(ContextType type, String name) {
    for (PropertySpec p : SPECS.get(type)) {
      if (p.name().equals(name)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
