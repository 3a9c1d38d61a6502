package net.aegirj.provision.services.ssl;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.spi.StepContext;

/**
 * The certificate side of a site's vhost on an SSL http type, dispatched on the web server's
 * {@code ssl_provider}: which certificate a site has ({@link #name}, {@link #names}), the checks
 * before anything runs ({@link #check}), what a site's verify does before its vhost is written
 * ({@link #beforeVhost}: removal when SSL is off, ACME issue or renewal), the file the vhost
 * names ({@link #certificate}), and removal on delete ({@link #remove}). The http types call it
 * and keep only the web server's side ({@link WebServer}).
 */
public final class SiteSsl {
  private SiteSsl() {}

  /** What the certificate side asks of the web server a site's vhost is on. */
  public interface WebServer {
    /** @return the directory of its vhost files */
    Path vhosts();

    /**
     * Writes the site's vhost as it stands (with the certificate the site has now).
     *
     * @return true when it changed
     */
    boolean writeVhost();

    /** Tests, reloads and checks the web server now, in the middle of the task. */
    void applyNow();
  }

  /**
   * @param site a site
   * @return its certificate name in the store: {@code ssl_key}, else its uri
   */
  public static String name(ResolvedContext site) {
    return site.find(SiteKeys.SSL_KEY).map(k -> Grammar.NAME.check(site.name(), "ssl_key", k))
        .orElse(site.get(SiteKeys.URI));
  }

  /**
   * @param site a site
   * @return whether its certificate is its own (named after its uri, not a shared {@code ssl_key})
   */
  public static boolean own(ResolvedContext site) {
    return site.find(SiteKeys.SSL_KEY).isEmpty() || site.get(SiteKeys.SSL_KEY).equals(site.get(SiteKeys.URI));
  }

  /**
   * @param site a site
   * @return the names its certificate covers: its uri, its host aliases, its redirection target
   */
  public static List<String> names(ResolvedContext site) {
    ContextName n = site.name();
    List<String> names = new ArrayList<>();
    names.add(Grammar.HOST.check(n, "uri", site.get(SiteKeys.URI)));
    for (String a : site.find(SiteKeys.ALIASES).orElse(List.of())) {
      if (!Grammar.ALIAS.check(n, "aliases", a).contains("/") && !names.contains(a)) {
        names.add(a);
      }
    }
    site.find(SiteKeys.REDIRECTION).map(r -> Grammar.HOST.check(n, "redirection", r))
        .filter(r -> !names.contains(r)).ifPresent(names::add);
    return List.copyOf(names);
  }

  /**
   * Refuses, when the steps are planned, what no ACME CA would certify
   * ({@link SiteCertificates#checkNames}) for a {@code letsencrypt} server's site with SSL on, and
   * an {@code ssl_key} other than the site's uri there: an ACME certificate is issued for one
   * site's names, so a certificate shared by several sites would be issued again for one site's
   * names, then for the other's, at every verify, and never settle.
   *
   * @param site the site
   * @param server its web server
   * @throws InvalidContextException naming the site, the property and the fix
   */
  public static void check(ResolvedContext site, ResolvedContext server) {
    if (site.get(SiteKeys.SSL_ENABLED) >= 1 && SslKeys.provider(server) == SslKeys.Provider.LETSENCRYPT) {
      if (!own(site)) {
        throw new InvalidContextException(site.name().toString(), "ssl_key", "ssl_key=" + site.get(SiteKeys.SSL_KEY)
            + " names a certificate other than the site's own, but ssl_provider=letsencrypt on " + server.name()
            + " issues each site a certificate for its own names (one shared by sites would be issued again for "
            + "each site's names in turn, at every verify); remove it with --ssl_key=null, or serve a shared "
            + "certificate with ssl_provider=manual");
      }
      SiteCertificates.checkNames(site, server, names(site));
    }
  }

  /**
   * What a site's verify does before its vhost is written: with SSL off, removes what it left of
   * its certificate ({@link #remove}), whatever the server's {@code ssl_provider}; with SSL on, on
   * a {@code letsencrypt} server, obtains or renews the certificate when it is due ({@link #acme}).
   *
   * @param ctx the step's context
   * @param site the site, as it is now
   * @param server its web server
   * @param web the web server's side
   */
  public static void beforeVhost(StepContext ctx, ResolvedContext site, ResolvedContext server, WebServer web) {
    if (site.get(SiteKeys.SSL_ENABLED) < 1) {
      if (remove(ctx, site, server, web)) {
        ctx.reload(server.name(), "http");
      }
    } else if (SslKeys.provider(server) == SslKeys.Provider.LETSENCRYPT) {
      acme(ctx, site, server, web);
    }
  }

  /**
   * Obtains or renews the site's ACME certificate when it is due (missing, broken, expiring within
   * {@code acme_renew_days}, or not for the site's names); else does nothing and talks to no ACME
   * server. The vhost is written first as it stands (with the certificate the site has, or plain
   * HTTP) so that it serves {@code /.well-known/acme-challenge/}: when that changed it, the web
   * server is tested, reloaded and checked now, before the ACME server asks.
   */
  private static void acme(StepContext ctx, ResolvedContext site, ResolvedContext server, WebServer web) {
    String name = name(site);
    List<String> names = names(site);
    CertificateStore store = SiteCertificates.store(ctx);
    Optional<String> due = SiteCertificates.due(store.read(name), names, server.get(SslKeys.ACME_RENEW_DAYS),
        Instant.now());
    if (due.isEmpty()) {
      return;
    }
    if (ctx.planOnly()) {
      ctx.warn(site.name() + ": would ask " + SslKeys.directoryUrl(server) + " for a certificate (" + due.get() + ")");
      return;
    }
    boolean vhostChanged = web.writeVhost();
    ctx.reload(server.name(), "http");
    SiteCertificates.issue(ctx, site, server, name, names, () -> {
      if (vhostChanged) {
        web.applyNow();
      }
    });
  }

  /**
   * The certificate file a site's HTTPS vhost names, from the server's {@code ssl_provider},
   * copied to the web server.
   *
   * @param ctx the step's context
   * @param site the site
   * @param server its web server
   * @param selfSigned makes and copies the self-signed certificate, returning its file on the web server
   * @return the web server's certificate file (the key is {@value CertificateBundle#KEY} beside
   *     it); empty when a {@code letsencrypt} site has no certificate yet
   */
  public static Optional<Path> certificate(StepContext ctx, ResolvedContext site, ResolvedContext server,
      Supplier<Path> selfSigned) {
    SslKeys.Provider provider = SslKeys.provider(server);
    if (provider == SslKeys.Provider.SELF_SIGNED) {
      return Optional.of(selfSigned.get());
    }
    String key = name(site);
    CertificateBundle bundle;
    if (provider == SslKeys.Provider.MANUAL) {
      bundle = SiteCertificates.manual(ctx, site, key, names(site));
    } else {
      CertificateStore.Found found = SiteCertificates.store(ctx).read(key);
      if (!(found instanceof CertificateStore.Found.Present present)) {
        return Optional.empty();
      }
      bundle = present.bundle();
    }
    if (!ctx.planOnly() && SiteCertificates.copy(ctx, server, key, bundle)) {
      ctx.reload(server.name(), "http");
    }
    return Optional.of(SiteCertificates.webDir(server).resolve(key).resolve(CertificateBundle.FULL_CHAIN));
  }

  /**
   * Removes the site's certificate from the web server unless another vhost there serves it, and
   * from the store unless a site still uses it ({@link SiteCertificates#remove}).
   *
   * @param ctx the step's context
   * @param site the site
   * @param server its web server
   * @param web the web server's side
   * @return true when anything was removed from the web server
   */
  public static boolean remove(StepContext ctx, ResolvedContext site, ResolvedContext server, WebServer web) {
    return SiteCertificates.remove(ctx, site, server, name(site), web.vhosts(), site.get(SiteKeys.URI));
  }
}
