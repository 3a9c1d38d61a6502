package net.aegirj.provision.api;

import static net.aegirj.provision.api.ContextType.SERVER;

import java.util.List;

/**
 * The properties every server has, with Aegir's names (see the reference, section 3). The service
 * types a server selects declare more of their own ({@code http_port}, {@code db_port} …).
 */
public final class ServerKeys {
  /** FQDN or IP address; decides whether the server is reached locally or over SSH. */
  public static final PropertyKey<String> REMOTE_HOST = PropertyKey.string(
      PropertySpec.builder(SERVER, "remote_host", PropertySpec.Kind.STRING).grammar(Grammar.HOST_OR_IP)
          .defaultValue("localhost").description("FQDN or IP address; decides local or SSH").build());
  /** Base directory; set on {@code @server_master} only. */
  public static final PropertyKey<String> AEGIR_ROOT = PropertyKey.string(
      PropertySpec.builder(SERVER, "aegir_root", PropertySpec.Kind.STRING).grammar(Grammar.PATH)
          .defaultsTo("the Provision home on @server_master; the master's value on other servers")
          .description("base directory (settable on @server_master only)").build());
  /** SSH login and owner of the files. */
  public static final PropertyKey<String> SCRIPT_USER = PropertyKey.string(
      PropertySpec.builder(SERVER, "script_user", PropertySpec.Kind.STRING).grammar(Grammar.USER)
          .defaultsTo("the current user on @server_master; the master's value on other servers")
          .description("SSH login and owner of the files").build());
  /** The server's IP addresses. */
  public static final PropertyKey<List<String>> IP_ADDRESSES = PropertyKey.list(
      PropertySpec.builder(SERVER, "ip_addresses", PropertySpec.Kind.LIST).grammar(Grammar.IP)
          .description("the server's IP addresses").build());
  /** URL of the front end. */
  public static final PropertyKey<String> MASTER_URL = PropertyKey.string(
      PropertySpec.builder(SERVER, "master_url", PropertySpec.Kind.STRING).grammar(Grammar.URL)
          .description("URL of the front end").build());
  /** Administrator contact. */
  public static final PropertyKey<String> ADMIN_EMAIL = PropertyKey.string(
      PropertySpec.builder(SERVER, "admin_email", PropertySpec.Kind.STRING).grammar(Grammar.EMAIL)
          .defaultsTo("admin@<remote_host>").description("administrator contact").build());
  /** The type of the http service. */
  public static final PropertyKey<String> HTTP_SERVICE_TYPE = serviceType("http");
  /** The type of the db service. */
  public static final PropertyKey<String> DB_SERVICE_TYPE = serviceType("db");
  /** The type of the dns service. */
  public static final PropertyKey<String> DNS_SERVICE_TYPE = serviceType("dns");
  /** SSH port of a remote server. */
  public static final PropertyKey<Integer> SSH_PORT = PropertyKey.integer(
      PropertySpec.builder(SERVER, "ssh_port", PropertySpec.Kind.INTEGER).range(1, 65535)
          .defaultValue(22).description("SSH port of a remote server").build());
  /** The Drush of the platforms this web server publishes that have none in vendor/bin. */
  public static final PropertyKey<String> DRUSH_PATH = PropertyKey.string(
      PropertySpec.builder(SERVER, "drush_path", PropertySpec.Kind.STRING).grammar(Grammar.PATH)
          .description("the Drush of this web server's platforms that have none in <root>/vendor/bin").build());
  /** SSH login of a remote server. */
  public static final PropertyKey<String> SSH_USER = PropertyKey.string(
      PropertySpec.builder(SERVER, "ssh_user", PropertySpec.Kind.STRING).grammar(Grammar.USER)
          .defaultsTo("script_user").description("SSH login of a remote server").build());
  /** Private key for SSH. */
  public static final PropertyKey<String> SSH_IDENTITY = PropertyKey.string(
      PropertySpec.builder(SERVER, "ssh_identity", PropertySpec.Kind.STRING).grammar(Grammar.PATH)
          .defaultsTo("the script user's default key").description("private key for SSH").build());
  /** known_hosts file checked for host keys. */
  public static final PropertyKey<String> SSH_KNOWN_HOSTS = PropertyKey.string(
      PropertySpec.builder(SERVER, "ssh_known_hosts", PropertySpec.Kind.STRING).grammar(Grammar.PATH)
          .defaultsTo("~/.ssh/known_hosts").description("known_hosts file checked for host keys").build());
  /** Derived: where backups go. */
  public static final PropertyKey<String> BACKUP_PATH = derived("backup_path", "<aegir_root>/backups");
  /** Derived: the server's configuration directory. */
  public static final PropertyKey<String> CONFIG_PATH = derived("config_path", "<aegir_root>/config/<server name>");
  /** Derived: shared includes. */
  public static final PropertyKey<String> INCLUDE_PATH = derived("include_path", "<aegir_root>/config/includes");
  /** Derived: the clients' symlink directory. */
  public static final PropertyKey<String> CLIENTS_PATH = derived("clients_path", "<aegir_root>/clients");

  /** Every key above, in display order (stored properties first, then derived ones). */
  public static final List<PropertyKey<?>> ALL = List.of(REMOTE_HOST, AEGIR_ROOT, SCRIPT_USER, IP_ADDRESSES,
      MASTER_URL, ADMIN_EMAIL, HTTP_SERVICE_TYPE, DB_SERVICE_TYPE, DNS_SERVICE_TYPE, SSH_PORT, SSH_USER,
      SSH_IDENTITY, SSH_KNOWN_HOSTS, DRUSH_PATH, BACKUP_PATH, CONFIG_PATH, INCLUDE_PATH, CLIENTS_PATH);

  private ServerKeys() {}

  /**
   * Declares the {@code <service>_service_type} property of a service.
   *
   * @param service a service name, such as {@code http}
   * @return the key
   */
  public static PropertyKey<String> serviceType(String service) {
    return PropertyKey.string(PropertySpec.builder(SERVER, service + "_service_type", PropertySpec.Kind.STRING)
        .grammar(Grammar.SERVICE_TYPE).defaultsTo("null").defaultValue("null")
        .description("implementation of the " + service + " service ('null' or 'NONE' for none)").build());
  }

  static PropertyKey<String> derived(ContextType type, String name, String rule) {
    return PropertyKey.string(PropertySpec.builder(type, name, PropertySpec.Kind.STRING).grammar(Grammar.PATH)
        .derived().defaultsTo(rule).description("derived: " + rule).build());
  }

  private static PropertyKey<String> derived(String name, String rule) {
    return derived(SERVER, name, rule);
  }
}
