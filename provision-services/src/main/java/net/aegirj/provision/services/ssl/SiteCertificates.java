package net.aegirj.provision.services.ssl;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.StepContext;

/**
 * A site's certificate from a {@code letsencrypt} or {@code manual} server: whether the central
 * store's one serves the site's names, obtaining or renewing it by ACME, taking an operator's
 * files, and the web server's copies ({@code <config_path>/ssl.d/<name>/}, with
 * {@value CertificateBundle#FULL_CHAIN} for the vhost). A verify with nothing due reads the store
 * and talks to no ACME server.
 */
public final class SiteCertificates {
  /** The directory, under a web server's {@code config_path}, its vhosts serve HTTP-01 answers from. */
  public static final String CHALLENGE_DIR = "acme-challenge";
  /** Names Let's Encrypt refuses: special-use and reserved top-level names. */
  private static final Set<String> RESERVED_TLDS = Set.of("test", "example", "invalid", "localhost", "local",
      "internal", "onion", "arpa", "lan", "home", "corp");
  /** Let's Encrypt's limit of names in one certificate. */
  static final int MAX_NAMES = 100;

  private SiteCertificates() {}

  /**
   * @param ctx the step's context
   * @return the central store on the master
   */
  public static CertificateStore store(StepContext ctx) {
    ResolvedContext master = ctx.resolve(ContextName.MASTER);
    return new CertificateStore(ctx.host(ContextName.MASTER),
        Path.of(master.get(ServerKeys.AEGIR_ROOT)).resolve("config").resolve("ssl.d"));
  }

  /**
   * @param server a web server
   * @return {@code <config_path>/acme-challenge}
   */
  public static Path challengeDir(ResolvedContext server) {
    return Path.of(server.get(ServerKeys.CONFIG_PATH)).resolve(CHALLENGE_DIR);
  }

  /**
   * Refuses names a CA would refuse, before anything runs: too many, a single label (such as
   * {@code localhost}), an IPv4 literal (a certificate's DNS name never is one), and, when the
   * directory is a public CA's (Let's Encrypt's production or staging), names under a reserved
   * top-level name ({@code .test}, {@code .local}, {@code .invalid}, {@code .localhost}, ...).
   * Wildcards and IPv6 literals never get this far: the host name grammar of {@code uri},
   * {@code aliases} and {@code redirection} refuses them when they are saved.
   *
   * @param site the site
   * @param server its web server
   * @param names the certificate's names
   * @throws InvalidContextException naming the site and the name
   */
  public static void checkNames(ResolvedContext site, ResolvedContext server, List<String> names) {
    String context = site.name().toString();
    if (names.size() > MAX_NAMES) {
      throw new InvalidContextException(context, "aliases", "a certificate covers at most " + MAX_NAMES
          + " names; this site has " + names.size());
    }
    boolean publicCa = SslKeys.isPublic(server);
    for (String n : names) {
      String tld = n.substring(n.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
      if (!n.contains(".")) {
        throw new InvalidContextException(context, "uri", "'" + n + "' is a single-label name, which no "
            + "public CA certifies (ssl_provider=letsencrypt on " + server.name() + ")");
      }
      if (n.length() > 253) {
        throw new InvalidContextException(context, "uri", "'" + n + "' is longer than 253 characters");
      }
      if (tld.chars().allMatch(Character::isDigit)) {
        throw new InvalidContextException(context, "uri", "'" + n + "' is an IP address, not a host name: an ACME "
            + "certificate of ssl_provider=letsencrypt names host names only");
      }
      if (publicCa && RESERVED_TLDS.contains(tld)) {
        throw new InvalidContextException(context, "uri", "'" + n + "' ends in the reserved name '."
            + tld + "', which " + SslKeys.directoryUrl(server) + " refuses; serve it with ssl_provider=self_signed "
            + "or manual, or a private ACME server (acme_directory_url)");
      }
    }
  }

  /**
   * Why the store's certificate must be (re)issued, if it must.
   *
   * @param found what the store holds
   * @param names the site's names
   * @param renewDays {@code acme_renew_days}
   * @param now the time
   * @return the reason, or empty when it serves the names for longer than {@code renewDays}
   */
  public static Optional<String> due(CertificateStore.Found found, List<String> names, int renewDays, Instant now) {
    if (found instanceof CertificateStore.Found.Missing) {
      return Optional.of("no certificate yet");
    }
    if (found instanceof CertificateStore.Found.Broken b) {
      return Optional.of(b.problem());
    }
    CertificateBundle bundle = ((CertificateStore.Found.Present) found).bundle();
    List<String> missing = bundle.uncovered(names);
    if (!missing.isEmpty()) {
      return Optional.of("the names changed (not covered: " + String.join(", ", missing) + ")");
    }
    List<String> extra = new ArrayList<>(bundle.names());
    extra.removeAll(names);
    if (!extra.isEmpty()) {
      return Optional.of("the names changed (no longer the site's: " + String.join(", ", extra) + ")");
    }
    if (bundle.notAfter().isBefore(now.plus(Duration.ofDays(renewDays)))) {
      return Optional.of("it expires on " + bundle.notAfter() + ", within acme_renew_days=" + renewDays);
    }
    return Optional.empty();
  }

  /**
   * Obtains a certificate for the names by ACME HTTP-01 and writes it into the store. The
   * answers go to the web server's {@link #challengeDir challenge directory} and are removed
   * afterwards, whatever happened. A rate limit the ACME server answered, in this process or in
   * another one, is respected: no request is sent before its time ({@link RateLimits}).
   *
   * @param ctx the step's context
   * @param site the site
   * @param server its web server (ACME settings)
   * @param name the certificate name in the store
   * @param names the names, the uri first
   * @param ready applies the web server's configuration when the challenge location is new
   * @return the new bundle
   * @throws ProvisionException with the ACME server's error in plain words
   */
  public static CertificateBundle issue(StepContext ctx, ResolvedContext site, ResolvedContext server, String name,
      List<String> names, Runnable ready) {
    CertificateStore store = store(ctx);
    Host central = ctx.host(ContextName.MASTER);
    Optional<byte[]> ca = server.find(SslKeys.ACME_DIRECTORY_CA).map(p -> central.read(Path.of(p))
        .orElseThrow(() -> new InvalidContextException(server.name().toString(), "acme_directory_ca", p
            + " does not exist on " + central.name())));
    AcmeClient client = new AcmeClient(SslKeys.directoryUrl(server), ca);
    // The rate limits an ACME server answers with are kept in .acme outside the task's journal, so
    // that the rollback of the task that met one does not forget it. The directories are made
    // outside it too: a rollback removes a directory the task made only while it is empty.
    Host unjournaled = ctx.unjournaledHost(ContextName.MASTER);
    if (unjournaled.stat(store.root()).isEmpty()) {
      unjournaled.mkdirs(store.root(), FileMode.of(CertificateStore.DIR));
    }
    unjournaled.mkdirs(store.acmeDir(), FileMode.of(CertificateStore.DIR));
    RateLimits limits = ctx.shared("acme:rate-limits", RateLimits::new).on(unjournaled, store.acmeDir(), ctx::warn);
    Host web = ctx.host(server.name());
    Path dir = challengeDir(server);
    CertificateBundle bundle;
    try {
      bundle = client.issue(store.accountKey(unjournaled), server.find(SslKeys.ACME_CONTACT), names, new AcmeClient.Challenges() {
        @Override
        public void put(String token, String content) {
          web.mkdirs(dir, FileMode.of(0755));
          web.write(dir.resolve(token), content.getBytes(StandardCharsets.US_ASCII), FileMode.of(0644));
        }

        @Override
        public void ready() {
          ready.run();
        }

        @Override
        public void remove(String token) {
          web.remove(dir.resolve(token));
        }
      }, limits);
    } catch (ProvisionException e) {
      throw new ProvisionException(site.name() + ": no certificate for " + String.join(", ", names) + " from "
          + SslKeys.directoryUrl(server) + ": " + e.getMessage() + "; the site keeps the certificate it had", e);
    }
    store.write(name, bundle);
    ctx.changed("certificate " + name + " issued by " + SslKeys.directoryUrl(server) + " (serial " + bundle.serial()
        + ", until " + bundle.notAfter() + ")");
    return bundle;
  }

  /**
   * The certificate of a {@code manual} server's site: the operator's files from
   * {@code ssl_certificate_from} when set, else those in the store, must be regular files of
   * bounded size ({@link CertificateStore#read(Host, Path)}), the key must be the certificate's,
   * and the certificate must cover the names and be valid now; then they are written into the
   * store (the key 0600). A refusal changes nothing.
   *
   * @param ctx the step's context
   * @param site the site
   * @param name the certificate name in the store
   * @param names the site's names
   * @return the bundle
   * @throws InvalidContextException saying what is wrong and what to do
   */
  public static CertificateBundle manual(StepContext ctx, ResolvedContext site, String name, List<String> names) {
    CertificateStore store = store(ctx);
    Optional<String> from = site.find(SslKeys.SSL_CERTIFICATE_FROM);
    String where;
    CertificateStore.Found found;
    String property;
    if (from.isPresent()) {
      Path dir = Path.of(from.get());
      where = dir + " (ssl_certificate_from)";
      property = "ssl_certificate_from";
      found = CertificateStore.read(ctx.host(ContextName.MASTER), dir);
    } else {
      where = store.dir(name).toString();
      property = "ssl_enabled";
      found = store.read(name);
    }
    if (found instanceof CertificateStore.Found.Missing) {
      throw new InvalidContextException(site.name().toString(), property, "ssl_provider=manual needs the site's "
          + CertificateBundle.KEY + ", " + CertificateBundle.CERTIFICATE + " and " + CertificateBundle.CHAIN + " in "
          + where + ", or --ssl_certificate_from=DIR naming a directory that holds them");
    }
    if (found instanceof CertificateStore.Found.Broken b) {
      throw new InvalidContextException(site.name().toString(), property, b.problem());
    }
    CertificateBundle bundle = ((CertificateStore.Found.Present) found).bundle();
    Optional<String> problem = bundle.problem(names, Instant.now());
    if (problem.isPresent()) {
      throw new InvalidContextException(site.name().toString(), property, where + ": " + problem.get());
    }
    // Files dropped into the store are written back as the store keeps them: the key 0600, the
    // certificate alone in openssl.crt and its chain in openssl_chain.crt.
    if (store.write(name, bundle)) {
      ctx.changed("certificate " + name + (from.isPresent() ? " taken from " + from.get() : " checked in the store")
          + " (serial " + bundle.serial() + ")");
    }
    return bundle;
  }

  /**
   * Copies a bundle to the web server's {@code <config_path>/ssl.d/<name>/}, with the full chain.
   *
   * @param ctx the step's context
   * @param server the web server
   * @param name the certificate name
   * @param bundle the bundle
   * @return true when anything changed there
   */
  public static boolean copy(StepContext ctx, ResolvedContext server, String name, CertificateBundle bundle) {
    Host web = ctx.host(server.name());
    Path ssl = webDir(server);
    Path copy = ssl.resolve(name);
    web.mkdirs(ssl, FileMode.of(CertificateStore.DIR));
    boolean changed = web.mkdirs(copy, FileMode.of(CertificateStore.DIR));
    changed |= web.write(copy.resolve(CertificateBundle.CHAIN), bundle.bytes(CertificateBundle.CHAIN),
        FileMode.of(CertificateStore.PUBLIC));
    changed |= web.write(copy.resolve(CertificateBundle.CERTIFICATE), bundle.bytes(CertificateBundle.CERTIFICATE),
        FileMode.of(CertificateStore.PUBLIC));
    changed |= web.write(copy.resolve(CertificateBundle.FULL_CHAIN), bundle.bytes(CertificateBundle.FULL_CHAIN),
        FileMode.of(CertificateStore.PUBLIC));
    changed |= web.write(copy.resolve(CertificateBundle.KEY), bundle.bytes(CertificateBundle.KEY),
        FileMode.of(CertificateStore.SECRET));
    return changed;
  }

  /**
   * @param server a web server
   * @return {@code <config_path>/ssl.d}, its copies of certificates
   */
  public static Path webDir(ResolvedContext server) {
    return Path.of(server.get(ServerKeys.CONFIG_PATH)).resolve("ssl.d");
  }

  /**
   * Removes what a site leaves of its certificate when it is deleted, turns SSL off, or leaves the
   * web server: the web server's copy, unless another vhost on that web server names it; and the
   * central store's entry, unless a site still uses it.
   *
   * <p>Whether another vhost serves the copy is read from the web server itself: every vhost file
   * in {@code vhosts} but the site's own is searched for the copy's directory
   * ({@code <config_path>/ssl.d/<name>/}), so a delete never breaks another site's vhost and the
   * reload. Whether a site uses the store's entry is read from the repository
   * ({@link #release}). Both removals are journaled: a task that fails puts them back.
   *
   * @param ctx the step's context
   * @param site the site, as it is now
   * @param server the web server
   * @param name the certificate name
   * @param vhosts the web server's directory of vhost files
   * @param siteVhost the site's own vhost file name in it (not searched)
   * @return true when anything was removed from the web server
   */
  public static boolean remove(StepContext ctx, ResolvedContext site, ResolvedContext server, String name, Path vhosts,
      String siteVhost) {
    Host web = ctx.host(server.name());
    Path copy = webDir(server).resolve(name);
    boolean changed = false;
    if (web.stat(copy).isPresent()) {
      Optional<String> user = userOf(web, copy, vhosts, siteVhost);
      if (user.isPresent()) {
        if (ctx.task() == Task.DELETE) {
          ctx.warn("certificate " + name + " stays on " + server.name() + ": the vhost " + user.get() + " serves it");
        }
      } else {
        changed = web.remove(copy);
      }
    }
    release(ctx, site, name);
    return changed;
  }

  /**
   * Removes a certificate's entry from the central store when no site uses it any more: no site
   * with SSL on names it (through {@code ssl_key}, or its uri when it has none), the site itself
   * counting unless the task deletes it or its SSL is off. So a shared {@code ssl_key} goes with
   * the last site that names it, whichever web server each is on, and a site moving to another
   * web server keeps its certificate. The server's {@value CertificateStore#DEFAULT_NAME}
   * certificate always stays. When the sites cannot all be read (a damaged context file), the
   * entry stays, with a warning. The removal is journaled (a failed task puts the entry back).
   *
   * @param ctx the step's context
   * @param site the site releasing it, as it is now
   * @param name the certificate name
   */
  static void release(StepContext ctx, ResolvedContext site, String name) {
    CertificateStore store = store(ctx);
    if (name.equals(CertificateStore.DEFAULT_NAME) || ctx.host(ContextName.MASTER).stat(store.dir(name)).isEmpty()) {
      return;
    }
    Optional<ContextName> user = Optional.empty();
    if (ctx.task() != Task.DELETE && uses(site, name)) {
      user = Optional.of(site.name());
    } else {
      Optional<List<ResolvedContext>> sites = ctx.contexts(ContextType.SITE);
      if (sites.isEmpty()) {
        ctx.warn("certificate " + name + " stays in the central store: not every site can be read, so whether one "
            + "still uses it cannot be told; remove " + store.dir(name) + " when none does");
        return;
      }
      user = sites.get().stream().filter(s -> !s.name().equals(site.name()) && uses(s, name))
          .map(ResolvedContext::name).findFirst();
    }
    if (user.isPresent()) {
      if (ctx.task() == Task.DELETE) {
        ctx.warn("certificate " + name + " stays in the central store: " + user.get() + " uses it");
      }
      return;
    }
    if (store.remove(name)) {
      ctx.changed("certificate " + name + " removed from the central store: no site uses it");
    }
  }

  /** @return whether the site, with SSL on, has the certificate of that name */
  private static boolean uses(ResolvedContext site, String name) {
    return site.get(SiteKeys.SSL_ENABLED) >= 1 && site.find(SiteKeys.SSL_KEY).orElse(site.get(SiteKeys.URI)).equals(name);
  }

  /** The largest vhost file searched for a certificate's use; ours are a few kilobytes. */
  private static final long MAX_VHOST = 1024 * 1024;

  /** @return the first vhost file, other than the site's, that names the copy's directory */
  private static Optional<String> userOf(Host web, Path copy, Path vhosts, String siteVhost) {
    String needle = copy + "/";
    for (String file : web.list(vhosts)) {
      if (file.equals(siteVhost)) {
        continue;
      }
      Path path = vhosts.resolve(file);
      boolean small = web.stat(path).filter(i -> i.type() == FileInfo.Type.FILE && i.size() <= MAX_VHOST).isPresent();
      if (small && web.read(path).map(b -> new String(b, StandardCharsets.UTF_8).contains(needle)).orElse(false)) {
        return Optional.of(file);
      }
    }
    return Optional.empty();
  }
}
