package net.aegirj.provision.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * A site context: a Drupal site named after its host name, on a {@code platform}, with its
 * database on {@code db_server}.
 *
 * <pre>{@code
 * Site site = Site.named("example.com").platform("platform_d10").profile("standard").build();
 * }</pre>
 *
 * <p>{@code platform} is required when a site is first saved; a value used to update an existing
 * site may leave it out. {@code uri} defaults to the context name and must equal it.
 */
@Value.Immutable
public abstract class Site implements Context {
  Site() {}

  @Override
  public abstract ContextName name();

  @Override
  public final ContextType type() {
    return ContextType.SITE;
  }

  /** @return {@code uri}, when given explicitly (it always equals the name) */
  public abstract Optional<String> uri();

  /** @return {@code platform} */
  public abstract Optional<ContextName> platform();

  /** @return {@code db_server} (default {@code @server_master}) */
  public abstract Optional<ContextName> dbServer();

  /** @return {@code site_enabled} (default true) */
  public abstract Optional<Boolean> siteEnabled();

  /** @return {@code language} (default {@code en}) */
  public abstract Optional<String> language();

  /** @return {@code client_name} */
  public abstract Optional<String> clientName();

  /** @return {@code aliases}: extra host names */
  public abstract List<String> aliases();

  /** @return {@code client_email}: mail of the site's admin account */
  public abstract Optional<String> clientEmail();

  /** @return {@code redirection}: host the site redirects to */
  public abstract Optional<String> redirection();

  /** @return {@code cron_key} */
  @Value.Redacted
  public abstract Optional<String> cronKey();

  /** @return {@code drush_aliases}: extra alias names */
  public abstract List<String> drushAliases();

  /** @return {@code profile} (default {@code standard}) */
  public abstract Optional<String> profile();

  /** @return {@code install_method} (default {@link InstallMethod#PROFILE}) */
  public abstract Optional<InstallMethod> installMethod();

  /** @return {@code ssl_enabled} (default {@link SslMode#OFF}) */
  public abstract Optional<SslMode> sslEnabled();

  /** @return {@code ssl_key}: certificate directory name */
  public abstract Optional<String> sslKey();

  /** @return {@code ip_addresses}: server name (without {@code @}) to IP of the SSL vhost */
  public abstract Map<String, String> ipAddresses();

  /** @return {@code dns_zone} */
  public abstract Optional<String> dnsZone();

  /** @return {@code dns_zone_subdomain} */
  public abstract Optional<String> dnsZoneSubdomain();

  /** @return {@code installed}: set by install and import */
  public abstract Optional<Boolean> installed();

  /** @return {@code db_name}: the site's database, set by install */
  public abstract Optional<String> dbName();

  /** @return {@code db_user}: the site's database user, set by install */
  public abstract Optional<String> dbUser();

  /** @return {@code db_passwd}: the site's database password, set by install (redacted) */
  @Value.Redacted
  public abstract Optional<String> dbPasswd();

  @Override
  @Value.Redacted
  public abstract Map<String, String> extras();

  /** @return the effective {@code uri}: the context name */
  public final String effectiveUri() {
    return uri().orElse(name().value());
  }

  /**
   * Validates every property and normalises values to their canonical form (references and map
   * keys without {@code @} variants, lists without repeats), so that a value survives every
   * round trip through its properties unchanged.
   *
   * @return this value, or its normalised copy
   */
  @Value.Check
  final Site normalise() {
    check();
    return (Site) ContextProperties.checked(this); // validates every property once
  }

  private void check() {
    if (!Grammar.HOST.accepts(name().value())) {
      throw new InvalidContextException(name().toString(), "uri",
          "a site is named after its host name, and " + Text.quote(name().value()) + " is not "
              + Grammar.HOST.description());
    }
    if (name().value().equals("all") || name().value().equals("default")) {
      throw new InvalidContextException(name().toString(), "uri", "'" + name().value()
          + "' is a directory of every Drupal platform (sites/" + name().value() + "), never a site's name");
    }
    if (uri().isPresent() && !uri().get().equals(name().value())) {
      throw new InvalidContextException(name().toString(), "uri", Text.quote(uri().get())
          + " differs from the context name; a site's uri always equals its name");
    }
  }

  /**
   * Starts a site value.
   *
   * @param name the context name (the site's host name), with or without {@code @}
   * @return a builder with the name set
   */
  public static Builder named(String name) {
    return builder().name(ContextName.of(name));
  }

  /** @return an empty builder */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link Site}; every method is named after the property it sets. */
  public static class Builder extends ImmutableSite.Builder {
    Builder() {}

    /** @param platform {@code platform} as a name @return this */
    public Builder platform(String platform) {
      return platform(ContextName.of(platform));
    }

    /** @param server {@code db_server} as a name @return this */
    public Builder dbServer(String server) {
      return dbServer(ContextName.of(server));
    }
  }
}
