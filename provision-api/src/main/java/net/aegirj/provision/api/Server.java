package net.aegirj.provision.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * A server context: a machine that provides services (http, db, dns). Every optional property
 * that is absent takes its default when the context is resolved (see {@link Schema}).
 *
 * <pre>{@code
 * Server web = Server.named("server_web1").remoteHost("web1.example.com")
 *     .httpServiceType("nginx").build();
 * }</pre>
 */
@Value.Immutable
public abstract class Server implements Context {
  Server() {}

  @Override
  public abstract ContextName name();

  @Override
  public final ContextType type() {
    return ContextType.SERVER;
  }

  /** @return {@code remote_host}: FQDN or IP address (default {@code localhost}) */
  public abstract Optional<String> remoteHost();

  /** @return {@code aegir_root}: base directory, settable on {@code @server_master} only */
  public abstract Optional<Path> aegirRoot();

  /** @return {@code script_user}: SSH login and file owner */
  public abstract Optional<String> scriptUser();

  /** @return {@code ip_addresses} */
  public abstract List<String> ipAddresses();

  /** @return {@code master_url}: URL of the front end */
  public abstract Optional<String> masterUrl();

  /** @return {@code admin_email} (default {@code admin@<remote_host>}) */
  public abstract Optional<String> adminEmail();

  /** @return {@code drush_path}: the Drush of platforms without their own */
  public abstract Optional<String> drushPath();

  /** @return {@code http_service_type}: id of the http service type */
  public abstract Optional<String> httpServiceType();

  /** @return {@code db_service_type}: id of the db service type */
  public abstract Optional<String> dbServiceType();

  /** @return {@code dns_service_type}: id of the dns service type */
  public abstract Optional<String> dnsServiceType();

  /** @return {@code ssh_port} (default 22) */
  public abstract Optional<Integer> sshPort();

  /** @return {@code ssh_user} (default {@code script_user}) */
  public abstract Optional<String> sshUser();

  /** @return {@code ssh_identity}: private key file */
  public abstract Optional<Path> sshIdentity();

  /** @return {@code ssh_known_hosts}: known_hosts file */
  public abstract Optional<Path> sshKnownHosts();

  @Override
  @Value.Redacted
  public abstract Map<String, String> extras();

  /**
   * @param root the effective {@code aegir_root}
   * @return {@code config_path}: {@code <aegir_root>/config/<name>}
   */
  public final Path configPath(Path root) {
    return root.resolve("config").resolve(name().value());
  }

  /**
   * @param root the effective {@code aegir_root}
   * @return {@code backup_path}: {@code <aegir_root>/backups}
   */
  public final Path backupPath(Path root) {
    return root.resolve("backups");
  }

  /**
   * @param root the effective {@code aegir_root}
   * @return {@code include_path}: {@code <aegir_root>/config/includes}
   */
  public final Path includePath(Path root) {
    return root.resolve("config").resolve("includes");
  }

  /**
   * @param root the effective {@code aegir_root}
   * @return {@code clients_path}: {@code <aegir_root>/clients}
   */
  public final Path clientsPath(Path root) {
    return root.resolve("clients");
  }

  /**
   * Validates every property and normalises values to their canonical form (references and map
   * keys without {@code @} variants, lists without repeats), so that a value survives every
   * round trip through its properties unchanged.
   *
   * @return this value, or its normalised copy
   */
  @Value.Check
  final Server normalise() {
    check();
    return (Server) ContextProperties.checked(this); // validates every property once
  }

  private void check() {
    if (aegirRoot().isPresent() && !name().isMaster()) {
      throw new InvalidContextException(name().toString(), "aegir_root",
          "can only be set on @server_master; other servers use the master's value");
    }
  }

  /**
   * Starts a server value.
   *
   * @param name the context name, with or without {@code @}
   * @return a builder with the name set
   */
  public static Builder named(String name) {
    return builder().name(ContextName.of(name));
  }

  /** @return an empty builder */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link Server}; every method is named after the property it sets. */
  public static class Builder extends ImmutableServer.Builder {
    Builder() {}

    /** @param path {@code aegir_root} as text @return this */
    public Builder aegirRoot(String path) {
      return aegirRoot(Path.of(path));
    }
  }
}
