package net.aegirj.provision.api;

import static net.aegirj.provision.api.ContextType.SITE;

import java.util.List;
import java.util.Map;
import net.aegirj.provision.spi.ServiceType;

/**
 * The properties every site has, with Aegir's names (see the reference, section 3). Service types
 * and plugins may declare more ({@link ServiceType#siteProperties()}).
 */
public final class SiteKeys {
  /** Host name of the site; equals the context name. */
  public static final PropertyKey<String> URI = PropertyKey.string(
      PropertySpec.builder(SITE, "uri", PropertySpec.Kind.STRING).grammar(Grammar.HOST)
          .defaultsTo("the context name").description("host name of the site; equals the context name").notCloned().build());
  /** The platform the site runs on. */
  public static final PropertyKey<String> PLATFORM = PropertyKey.string(
      PropertySpec.builder(SITE, "platform", PropertySpec.Kind.REFERENCE).references(ContextType.PLATFORM)
          .required().description("platform the site runs on").build());
  /** The server holding the database. */
  public static final PropertyKey<String> DB_SERVER = PropertyKey.string(
      PropertySpec.builder(SITE, "db_server", PropertySpec.Kind.REFERENCE).references(ContextType.SERVER)
          .defaultsTo("@server_master").defaultValue(ContextName.MASTER.toString())
          .description("server holding the database").build());
  /** False serves the disabled page. */
  public static final PropertyKey<Boolean> SITE_ENABLED = PropertyKey.bool(
      PropertySpec.builder(SITE, "site_enabled", PropertySpec.Kind.BOOLEAN).defaultsTo("true")
          .defaultValue(Boolean.TRUE).description("false serves the disabled page").build());
  /** Install locale. */
  public static final PropertyKey<String> LANGUAGE = PropertyKey.string(
      PropertySpec.builder(SITE, "language", PropertySpec.Kind.STRING).grammar(Grammar.LANGUAGE)
          .defaultValue("en").description("install locale").build());
  /** Owner; used for the clients/ symlinks. */
  public static final PropertyKey<String> CLIENT_NAME = PropertyKey.string(
      PropertySpec.builder(SITE, "client_name", PropertySpec.Kind.STRING).grammar(Grammar.NAME)
          .description("owner; used for clients/ symlinks").build());
  /** Extra host names. */
  public static final PropertyKey<List<String>> ALIASES = PropertyKey.list(
      PropertySpec.builder(SITE, "aliases", PropertySpec.Kind.LIST).grammar(Grammar.ALIAS)
          .description("extra host names (host/path for sub-directory aliases)").notCloned().build());
  /** The site owner's mail: the account mail of a profile install (else the server's admin_email). */
  public static final PropertyKey<String> CLIENT_EMAIL = PropertyKey.string(
      PropertySpec.builder(SITE, "client_email", PropertySpec.Kind.STRING).grammar(Grammar.EMAIL)
          .defaultsTo("the web server's admin_email")
          .description("mail of the site's admin account (install)").build());
  /** Host that the uri and aliases redirect to. */
  public static final PropertyKey<String> REDIRECTION = PropertyKey.string(
      PropertySpec.builder(SITE, "redirection", PropertySpec.Kind.STRING).grammar(Grammar.HOST)
          .description("host that the uri and aliases redirect to").notCloned().build());
  /** Drupal's cron key (a secret). */
  public static final PropertyKey<String> CRON_KEY = PropertyKey.string(
      PropertySpec.builder(SITE, "cron_key", PropertySpec.Kind.STRING).grammar(Grammar.TOKEN).secret()
          .description("Drupal's cron key").notCloned().build());
  /** Extra alias names. */
  public static final PropertyKey<List<String>> DRUSH_ALIASES = PropertyKey.list(
      PropertySpec.builder(SITE, "drush_aliases", PropertySpec.Kind.LIST).grammar(Grammar.CONTEXT_NAME)
          .description("extra alias names").notCloned().build());
  /** Install profile. */
  public static final PropertyKey<String> PROFILE = PropertyKey.string(
      PropertySpec.builder(SITE, "profile", PropertySpec.Kind.STRING).grammar(Grammar.ID)
          .defaultValue("standard").description("install profile").build());
  /** {@code profile} runs the installer; {@code manual} leaves it to install.php. */
  public static final PropertyKey<String> INSTALL_METHOD = PropertyKey.string(
      PropertySpec.builder(SITE, "install_method", PropertySpec.Kind.STRING).allowed("profile", "manual")
          .defaultValue("profile").description("'profile' runs the installer; 'manual' leaves it to install.php")
          .build());
  /** 0 off, 1 on, 2 required (HTTP redirects to HTTPS). */
  public static final PropertyKey<Integer> SSL_ENABLED = PropertyKey.integer(
      PropertySpec.builder(SITE, "ssl_enabled", PropertySpec.Kind.INTEGER).range(0, 2)
          .allowed("off", "on", "required").defaultValue(0)
          .description("0 off, 1 on, 2 required (HTTP redirects to HTTPS)").notCloned().build());
  /** Certificate directory in the central ssl.d. */
  public static final PropertyKey<String> SSL_KEY = PropertyKey.string(
      PropertySpec.builder(SITE, "ssl_key", PropertySpec.Kind.STRING).grammar(Grammar.NAME)
          .description("certificate directory in the central ssl.d").notCloned().build());
  /** Server name to IP address of the SSL vhost. */
  public static final PropertyKey<Map<String, String>> IP_ADDRESSES = PropertyKey.map(
      PropertySpec.builder(SITE, "ip_addresses", PropertySpec.Kind.MAP).keyGrammar(Grammar.CONTEXT_NAME)
          .grammar(Grammar.IP).description("server name = IP address of the SSL vhost").notCloned().build());
  /** DNS zone of the site. */
  public static final PropertyKey<String> DNS_ZONE = PropertyKey.string(
      PropertySpec.builder(SITE, "dns_zone", PropertySpec.Kind.STRING).grammar(Grammar.HOST)
          .defaultsTo("guessed from the uri").description("DNS zone of the site").notCloned().build());
  /** Name of the site inside its zone. */
  public static final PropertyKey<String> DNS_ZONE_SUBDOMAIN = PropertyKey.string(
      PropertySpec.builder(SITE, "dns_zone_subdomain", PropertySpec.Kind.STRING).grammar(Grammar.ZONE_NAME)
          .defaultsTo("guessed from the uri").description("name of the site inside its zone").notCloned().build());
  /** Set by install (and import); cleared by delete. */
  public static final PropertyKey<Boolean> INSTALLED = PropertyKey.bool(
      PropertySpec.builder(SITE, "installed", PropertySpec.Kind.BOOLEAN).defaultsTo("false")
          .defaultValue(Boolean.FALSE).description("set by install (and import); cleared by delete").notCloned().build());
  /** The site's database (set by install). */
  public static final PropertyKey<String> DB_NAME = PropertyKey.string(
      PropertySpec.builder(SITE, "db_name", PropertySpec.Kind.STRING).grammar(Grammar.DB_NAME)
          .description("the site's database (set by install)").notCloned().build());
  /** The site's database user (set by install). */
  public static final PropertyKey<String> DB_USER = PropertyKey.string(
      PropertySpec.builder(SITE, "db_user", PropertySpec.Kind.STRING).grammar(Grammar.DB_NAME)
          .description("the site's database user (set by install)").notCloned().build());
  /** The site's database password (set by install; a secret). */
  public static final PropertyKey<String> DB_PASSWD = PropertyKey.string(
      PropertySpec.builder(SITE, "db_passwd", PropertySpec.Kind.STRING).grammar(Grammar.TOKEN).secret()
          .description("the site's database password (set by install)").notCloned().build());
  /** Derived: the driver of the site's database. */
  public static final PropertyKey<String> DB_TYPE = PropertyKey.string(
      PropertySpec.builder(SITE, "db_type", PropertySpec.Kind.STRING).derived().defaultsTo("the db server's type")
          .description("derived: driver of the site's database").build());
  /** Derived: the host of the site's database. */
  public static final PropertyKey<String> DB_HOST = PropertyKey.string(
      PropertySpec.builder(SITE, "db_host", PropertySpec.Kind.STRING).derived()
          .defaultsTo("the db server's remote_host").description("derived: host of the site's database").build());
  /** Derived: the port of the site's database. */
  public static final PropertyKey<Integer> DB_PORT = PropertyKey.integer(
      PropertySpec.builder(SITE, "db_port", PropertySpec.Kind.INTEGER).derived()
          .defaultsTo("the db server's db_port").description("derived: port of the site's database").build());
  /** Derived: the platform's root. */
  public static final PropertyKey<String> ROOT = ServerKeys.derived(SITE, "root", "the platform's root");
  /** Derived: the site's directory. */
  public static final PropertyKey<String> SITE_PATH = ServerKeys.derived(SITE, "site_path", "<root>/sites/<uri>");

  /** Every key above, in display order (stored properties first, then derived ones). */
  public static final List<PropertyKey<?>> ALL = List.of(URI, PLATFORM, DB_SERVER, SITE_ENABLED, LANGUAGE,
      CLIENT_NAME, CLIENT_EMAIL, ALIASES, REDIRECTION, CRON_KEY, DRUSH_ALIASES, PROFILE, INSTALL_METHOD, SSL_ENABLED, SSL_KEY,
      IP_ADDRESSES, DNS_ZONE, DNS_ZONE_SUBDOMAIN, INSTALLED, DB_NAME, DB_USER, DB_PASSWD, DB_TYPE, DB_HOST,
      DB_PORT, ROOT, SITE_PATH);

  private SiteKeys() {}
}
