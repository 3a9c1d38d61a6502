package net.aegirj.provision.services.ssl;

import java.util.List;
import java.util.Locale;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ResolvedContext;

/**
 * The properties of the certificate sources, declared once: a web server of an SSL http type
 * ({@code nginx_ssl}, {@code apache_ssl}) chooses where its sites' certificates come from with
 * {@link #SSL_PROVIDER}, and a site may name a directory of operator files with
 * {@link #SSL_CERTIFICATE_FROM}.
 */
public final class SslKeys {
  /** Let's Encrypt's production directory, the default {@link #ACME_DIRECTORY_URL}. */
  public static final String LETSENCRYPT_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory";
  /** Let's Encrypt's staging directory ({@code acme_directory_url=staging}). */
  public static final String LETSENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

  /** Where a server's site certificates come from. */
  public enum Provider {
    /** A certificate Provision makes and signs itself (the default; browsers do not trust it). */
    SELF_SIGNED,
    /** A certificate from an ACME CA (Let's Encrypt by default), through HTTP-01, renewed by verify. */
    LETSENCRYPT,
    /** A key, certificate and chain the operator provides; verify checks them. */
    MANUAL;

    /** @return the property's value for it, e.g. {@code self_signed} */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code ssl_provider}: {@code self_signed} (default), {@code letsencrypt} or {@code manual}. */
  public static final PropertyKey<String> SSL_PROVIDER = PropertyKey.string(server("ssl_provider")
      .allowed("self_signed", "letsencrypt", "manual").defaultValue("self_signed")
      .description("where the sites' certificates come from: self_signed (made here), letsencrypt (ACME, "
          + "HTTP-01, renewed by verify and ssl-renew) or manual (files the operator provides)").build());
  /** {@code acme_directory_url}: the ACME server; Let's Encrypt's production one by default. */
  public static final PropertyKey<String> ACME_DIRECTORY_URL = PropertyKey.string(server("acme_directory_url")
      .grammar(Grammar.ACME_DIRECTORY).defaultValue(LETSENCRYPT_PRODUCTION)
      .description("the ACME directory (https), or Let's Encrypt's by name: production or staging").build());
  /** {@code acme_contact}: the mail address the ACME account is registered with. */
  public static final PropertyKey<String> ACME_CONTACT = PropertyKey.string(server("acme_contact")
      .grammar(Grammar.EMAIL).description("mail address of the ACME account (expiry notices)").build());
  /** {@code acme_renew_days}: renew a certificate that expires within this many days. */
  public static final PropertyKey<Integer> ACME_RENEW_DAYS = PropertyKey.integer(server("acme_renew_days", PropertySpec.Kind.INTEGER)
      .range(1, 365).defaultValue(30).description("verify renews a certificate expiring within this many days")
      .build());
  /**
   * {@code acme_directory_ca}: a PEM file on the master holding the CA certificate that a private
   * ACME server's HTTPS certificate chains to; trusted for that connection only.
   */
  public static final PropertyKey<String> ACME_DIRECTORY_CA = PropertyKey.string(server("acme_directory_ca")
      .grammar(Grammar.PATH).description("PEM file of the CA of a private ACME server's HTTPS certificate, "
          + "trusted for the ACME connection only (default: the JDK's trusted CAs)").build());
  /**
   * {@code ssl_certificate_from}: a directory on the master holding {@code openssl.key},
   * {@code openssl.crt} and optionally {@code openssl_chain.crt} for a site of a {@code manual}
   * server; verify checks them and copies them into the central store.
   */
  public static final PropertyKey<String> SSL_CERTIFICATE_FROM = PropertyKey.string(
      PropertySpec.builder(ContextType.SITE, "ssl_certificate_from", PropertySpec.Kind.STRING).grammar(Grammar.PATH)
          .description("directory of the site's openssl.key, openssl.crt and openssl_chain.crt (ssl_provider=manual)")
          .notCloned().build());

  /** The server properties of the SSL http types, in display order. */
  public static final List<PropertySpec> SERVER = List.of(SSL_PROVIDER.spec(), ACME_DIRECTORY_URL.spec(),
      ACME_CONTACT.spec(), ACME_RENEW_DAYS.spec(), ACME_DIRECTORY_CA.spec());
  /** The site properties of the SSL http types. */
  public static final List<PropertySpec> SITE = List.of(SSL_CERTIFICATE_FROM.spec());

  private SslKeys() {}

  private static PropertySpec.Builder server(String name) {
    return server(name, PropertySpec.Kind.STRING);
  }

  private static PropertySpec.Builder server(String name, PropertySpec.Kind kind) {
    return PropertySpec.builder(ContextType.SERVER, name, kind);
  }

  /**
   * @param server a web server of an SSL type, resolved
   * @return its certificate source
   */
  public static Provider provider(ResolvedContext server) {
    return Provider.valueOf(server.get(SSL_PROVIDER).toUpperCase(Locale.ROOT));
  }

  /**
   * @param server a web server, resolved
   * @return its ACME directory URL, with Let's Encrypt's names replaced by their URLs
   */
  public static String directoryUrl(ResolvedContext server) {
    String v = server.get(ACME_DIRECTORY_URL);
    return switch (v) {
      case "production" -> LETSENCRYPT_PRODUCTION;
      case "staging" -> LETSENCRYPT_STAGING;
      default -> v;
    };
  }

  /**
   * @param server a web server, resolved
   * @return whether its ACME directory is a public CA's (Let's Encrypt's production or staging),
   *     which refuses names under reserved top-level names
   */
  public static boolean isPublic(ResolvedContext server) {
    String url = directoryUrl(server);
    return url.startsWith("https://acme-v02.api.letsencrypt.org/")
        || url.startsWith("https://acme-staging-v02.api.letsencrypt.org/");
  }
}
