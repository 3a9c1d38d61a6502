package net.aegirj.provision.services.ssl;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import net.aegirj.provision.api.ProvisionException;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Problem;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.connector.HttpConnector;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeNetworkException;
import org.shredzone.acme4j.exception.AcmeRateLimitedException;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

/**
 * Obtains one certificate from an ACME server with acme4j: finds or registers the account of the
 * account key, orders the names, answers each name's HTTP-01 challenge through
 * {@link Challenges} (files the web server serves under {@code /.well-known/acme-challenge/}),
 * finalizes with a fresh RSA key and downloads the certificate and its chain.
 *
 * <p>One attempt per call: no loop retries a failed order, polling follows the server's
 * {@code Retry-After} within {@link #TIMEOUT}, and every failure becomes a
 * {@link ProvisionException} saying in plain words what the ACME server said (its problem
 * detail), whether it was unreachable, refused for a rate limit (and until when), or a challenge
 * failed. Nothing here logs; the keys never leave this process except as the store's files.
 */
final class AcmeClient {
  /** How long an order may take, from the first request to the certificate. */
  static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final int MAX_DETAIL = 500;

  /** Where HTTP-01 answers go: the web server serves them. */
  interface Challenges {
    /**
     * @param token the challenge's token (a base64url string, checked by the caller)
     * @param content the key authorization the server must answer with
     */
    void put(String token, String content);

    /** Applies what {@link #put} wrote, when the web server must reload to serve it; runs once before the challenges are triggered. */
    default void ready() {}

    /** @param token a token {@link #put} before; removes its file */
    void remove(String token);
  }

  private final URI directory;
  private final Optional<SSLContext> tls;

  /**
   * @param directory the ACME directory, https
   * @param trustedCa PEM of a CA to trust, alone, for the connection to the ACME server (a private
   *     ACME server's); empty for the JDK's trusted CAs
   */
  AcmeClient(String directory, Optional<byte[]> trustedCa) {
    this.directory = URI.create(directory);
    if (!"https".equals(this.directory.getScheme())) {
      throw new ProvisionException("the ACME directory " + directory + " is not https");
    }
    this.tls = trustedCa.map(AcmeClient::trusting);
  }

  private static SSLContext trusting(byte[] pem) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
        store.setCertificateEntry("ca" + i++, c);
      }
      if (i == 0) {
        throw new ProvisionException("acme_directory_ca holds no PEM certificate");
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new ProvisionException("acme_directory_ca is not a readable PEM CA certificate: " + e.getMessage(), e);
    }
  }

  /**
   * Orders a certificate.
   *
   * @param accountKey the account key
   * @param contact the account's mail address, if any
   * @param names the names, the first being the subject's
   * @param challenges where the HTTP-01 answers go
   * @return the certificate, its chain and its new key
   * @throws ProvisionException when the ACME server is unreachable, refuses, or a challenge fails
   */
  CertificateBundle issue(KeyPair accountKey, Optional<String> contact, List<String> names, Challenges challenges) {
    return issue(accountKey, contact, names, challenges, new RateLimits());
  }

  /**
   * Orders a certificate, unless the ACME server refused an earlier request for a rate limit that
   * still holds: then nothing is sent.
   *
   * @param accountKey the account key
   * @param contact the account's mail address, if any
   * @param names the names, the first being the subject's
   * @param challenges where the HTTP-01 answers go
   * @param limits the rate limits remembered, consulted first and told of a new one
   * @return the certificate, its chain and its new key
   * @throws ProvisionException when the ACME server is unreachable, refuses, or a challenge fails
   */
  CertificateBundle issue(KeyPair accountKey, Optional<String> contact, List<String> names, Challenges challenges,
      RateLimits limits) {
    Optional<Instant> limited = limits.limitedUntil(directory.toString(), Instant.now());
    if (limited.isPresent()) {
      throw new ProvisionException("the ACME server " + directory + " refused an earlier request for a rate limit "
          + "that holds until " + limited.get() + "; no request was sent. Provision does not retry by itself");
    }
    Instant deadline = Instant.now().plus(TIMEOUT);
    try {
      Session session = new Session(directory, new Provider(tls));
      AccountBuilder builder = new AccountBuilder().agreeToTermsOfService().useKeyPair(accountKey);
      contact.ifPresent(builder::addEmail);
      Account account = builder.create(session);
      Order order = account.newOrder().domains(names).create();
      List<Http01Challenge> triggered = new ArrayList<>();
      List<String> tokens = new ArrayList<>();
      try {
        for (Authorization auth : order.getAuthorizations()) {
          if (auth.getStatus() == Status.VALID) {
            continue;
          }
          Http01Challenge challenge = auth.findChallenge(Http01Challenge.class).orElseThrow(() -> new ProvisionException(
              "the ACME server offers no HTTP-01 challenge for " + auth.getIdentifier().getDomain()));
          String token = challenge.getToken();
          if (!token.matches("[A-Za-z0-9_-]{1,256}")) {
            throw new ProvisionException("the ACME server sent a malformed HTTP-01 token for "
                + auth.getIdentifier().getDomain());
          }
          challenges.put(token, challenge.getAuthorization());
          tokens.add(token);
          triggered.add(challenge);
        }
        challenges.ready();
        for (Http01Challenge challenge : triggered) {
          challenge.trigger();
        }
        for (Authorization auth : order.getAuthorizations()) {
          Status s = auth.waitForStatus(java.util.EnumSet.of(Status.VALID, Status.INVALID), left(deadline));
          if (s != Status.VALID) {
            String problem = auth.getChallenges().stream().map(c -> c.getError().map(AcmeClient::words).orElse(""))
                .filter(t -> !t.isEmpty()).findFirst().orElse("status " + s.name().toLowerCase(java.util.Locale.ROOT));
            throw new ProvisionException("the ACME server could not validate " + auth.getIdentifier().getDomain()
                + " over HTTP-01: " + problem + " (it fetches http://" + auth.getIdentifier().getDomain()
                + "/.well-known/acme-challenge/<token> from the web server: check that the name points at it and"
                + " port 80 is open)");
          }
        }
      } finally {
        for (String token : tokens) {
          challenges.remove(token);
        }
      }
      KeyPair domainKey = Pem.newRsaKeyPair();
      order.waitUntilReady(left(deadline));
      order.execute(domainKey);
      Status done = order.waitForCompletion(left(deadline));
      if (done != Status.VALID) {
        throw new ProvisionException("the ACME server did not issue the certificate: "
            + order.getError().map(AcmeClient::words).orElse("order " + done.name().toLowerCase(java.util.Locale.ROOT)));
      }
      org.shredzone.acme4j.Certificate cert = order.getCertificate();
      return CertificateBundle.of(Pem.privateKey(domainKey.getPrivate()), cert.getCertificateChain());
    } catch (AcmeRateLimitedException e) {
      limits.limited(directory.toString(), e.getRetryAfter(), Instant.now());
      throw new ProvisionException("the ACME server " + directory + " refuses for now (rate limit): "
          + words(e.getProblem()) + e.getRetryAfter().map(t -> "; try again after " + t).orElse("")
          + ". Provision does not retry by itself", e);
    } catch (AcmeNetworkException e) {
      throw new ProvisionException("the ACME server " + directory + " is unreachable: " + cause(e), e);
    } catch (AcmeServerException e) {
      throw new ProvisionException("the ACME server " + directory + " refused: " + words(e.getProblem()), e);
    } catch (AcmeException e) {
      throw new ProvisionException("the ACME exchange with " + directory + " failed: " + bounded(e.getMessage()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProvisionException("interrupted while waiting for the ACME server " + directory, e);
    } catch (IllegalArgumentException e) {
      throw new ProvisionException("the ACME server " + directory + " sent an unusable certificate: "
          + bounded(e.getMessage()), e);
    }
  }

  private static Duration left(Instant deadline) {
    Duration d = Duration.between(Instant.now(), deadline);
    return d.isNegative() ? Duration.ofMillis(1) : d;
  }

  private static String cause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return bounded(t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage()));
  }

  /** The problem's detail (else its title, else its type), bounded and printable: it comes from outside. */
  static String words(Problem p) {
    String text = p.getDetail().or(p::getTitle).orElse(p.getType().toString());
    for (Problem sub : p.getSubProblems()) {
      text += "; " + sub.getDetail().orElse(sub.getType().toString());
    }
    return bounded(text);
  }

  static String bounded(String s) {
    if (s == null) {
      return "";
    }
    String clean = s.replaceAll("[^\\x20-\\x7e]", " ");
    return clean.length() > MAX_DETAIL ? clean.substring(0, MAX_DETAIL) + "…" : clean;
  }

  /** acme4j's generic provider, with the HTTPS client trusting only the given CA when there is one. */
  private static final class Provider extends GenericAcmeProvider {
    private final Optional<SSLContext> tls;

    Provider(Optional<SSLContext> tls) {
      this.tls = tls;
    }

    @Override
    protected HttpConnector createHttpConnector(NetworkSettings settings) {
      return new HttpConnector(settings) {
        @Override
        public HttpClient.Builder createClientBuilder() {
          HttpClient.Builder b = super.createClientBuilder();
          tls.ifPresent(b::sslContext);
          return b;
        }
      };
    }
  }
}
