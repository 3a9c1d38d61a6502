package net.aegirj.provision.services.ssl;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A site's certificate as the central store keeps it: {@code openssl.key} (the private key, a
 * secret), {@code openssl.crt} (the site's certificate) and {@code openssl_chain.crt} (the
 * certificates between it and a root, empty for a self-signed one). Parsed and checked when made:
 * bounded sizes, readable PEM, and the key belongs to the certificate.
 */
public final class CertificateBundle {
  /** The key's file name. */
  public static final String KEY = "openssl.key";
  /** The certificate's file name. */
  public static final String CERTIFICATE = "openssl.crt";
  /** The chain's file name. */
  public static final String CHAIN = "openssl_chain.crt";
  /** The web server's copy of the certificate followed by its chain, which the vhost names. */
  public static final String FULL_CHAIN = "openssl_fullchain.crt";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String keyPem;
  private final String certificatePem;
  private final String chainPem;
  private final X509Certificate certificate;
  private final List<X509Certificate> chain;

  private CertificateBundle(String keyPem, String certificatePem, String chainPem, X509Certificate certificate,
      List<X509Certificate> chain) {
    this.keyPem = keyPem;
    this.certificatePem = certificatePem;
    this.chainPem = chainPem;
    this.certificate = certificate;
    this.chain = chain;
  }

  /**
   * Reads and checks a bundle.
   *
   * @param keyPem the private key, PEM
   * @param certificatePem the certificate, PEM (one certificate; further ones are taken as chain)
   * @param chainPem the chain, PEM (may be empty)
   * @return the bundle
   * @throws IllegalArgumentException when a part is too large or unreadable, or the key does not
   *     belong to the certificate (the message never holds the key)
   */
  public static CertificateBundle of(String keyPem, String certificatePem, String chainPem) {
    Objects.requireNonNull(keyPem, "keyPem");
    PrivateKey key = Pem.readPrivateKey(keyPem, KEY);
    List<X509Certificate> certs = Pem.readCertificates(certificatePem, CERTIFICATE);
    if (certs.isEmpty()) {
      throw new IllegalArgumentException(CERTIFICATE + " holds no certificate");
    }
    List<X509Certificate> chain = new ArrayList<>(certs.subList(1, certs.size()));
    chain.addAll(Pem.readCertificates(chainPem, CHAIN));
    if (chain.size() > Pem.MAX_CHAIN) {
      throw new IllegalArgumentException("the chain holds more than " + Pem.MAX_CHAIN + " certificates");
    }
    if (!matches(key, certs.get(0).getPublicKey())) {
      throw new IllegalArgumentException(KEY + " is not the key of " + CERTIFICATE + " (" + subject(certs.get(0)) + ")");
    }
    String leaf = Pem.certificates(List.of(certs.get(0)));
    return new CertificateBundle(keyPem, leaf, Pem.certificates(chain), certs.get(0), List.copyOf(chain));
  }

  /**
   * @param keyPem the private key, PEM
   * @param certificates the certificate, then its chain
   * @return the bundle
   */
  static CertificateBundle of(String keyPem, List<X509Certificate> certificates) {
    return of(keyPem, Pem.certificates(certificates.subList(0, 1)),
        Pem.certificates(certificates.subList(1, certificates.size())));
  }

  /** @return the private key, PEM: a secret, never logged */
  public String keyPem() {
    return keyPem;
  }

  /** @return the certificate, PEM */
  public String certificatePem() {
    return certificatePem;
  }

  /** @return the chain, PEM (empty for a self-signed certificate) */
  public String chainPem() {
    return chainPem;
  }

  /** @return the certificate followed by its chain, PEM */
  public String fullChainPem() {
    return certificatePem + chainPem;
  }

  /** @return the certificate */
  public X509Certificate certificate() {
    return certificate;
  }

  /** @return the chain, from the certificate's issuer upwards */
  public List<X509Certificate> chain() {
    return chain;
  }

  /** @return the end of the certificate's validity */
  public Instant notAfter() {
    return certificate.getNotAfter().toInstant();
  }

  /** @return the certificate's serial number, in hex */
  public String serial() {
    return certificate.getSerialNumber().toString(16);
  }

  /** @return the DNS names of its subject alternative names, lower case */
  public List<String> names() {
    List<String> out = new ArrayList<>();
    try {
      var sans = certificate.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (san.size() >= 2 && Integer.valueOf(2).equals(san.get(0)) && san.get(1) instanceof String dns) {
            out.add(dns.toLowerCase(Locale.ROOT));
          }
        }
      }
    } catch (CertificateParsingException e) {
      return List.of();
    }
    return List.copyOf(out);
  }

  /**
   * @param names host names
   * @return those the certificate does not cover (a wildcard covers one label)
   */
  public List<String> uncovered(List<String> names) {
    List<String> have = names();
    List<String> out = new ArrayList<>();
    for (String n : names) {
      boolean covered = have.contains(n);
      int dot = n.indexOf('.');
      if (!covered && dot > 0) {
        covered = have.contains("*" + n.substring(dot));
      }
      if (!covered) {
        out.add(n);
      }
    }
    return out;
  }

  /**
   * What keeps the bundle from serving the names now.
   *
   * @param names the site's names
   * @param now the time
   * @return the problem in plain words, or empty when it serves them
   */
  public Optional<String> problem(List<String> names, Instant now) {
    if (now.isAfter(notAfter())) {
      return Optional.of("the certificate expired on " + notAfter());
    }
    if (now.isBefore(certificate.getNotBefore().toInstant())) {
      return Optional.of("the certificate is not valid before " + certificate.getNotBefore().toInstant());
    }
    List<String> missing = uncovered(names);
    if (!missing.isEmpty()) {
      return Optional.of("the certificate does not cover " + String.join(", ", missing) + " (it names "
          + String.join(", ", names()) + ")");
    }
    return Optional.empty();
  }

  /** @return the files of the central store: name to bytes, the key first */
  byte[] bytes(String file) {
    return switch (file) {
      case KEY -> keyPem.getBytes(StandardCharsets.US_ASCII);
      case CERTIFICATE -> certificatePem.getBytes(StandardCharsets.US_ASCII);
      case CHAIN -> chainPem.getBytes(StandardCharsets.US_ASCII);
      case FULL_CHAIN -> fullChainPem().getBytes(StandardCharsets.US_ASCII);
      default -> throw new IllegalArgumentException(file);
    };
  }

  private static String subject(X509Certificate c) {
    return c.getSubjectX500Principal().getName();
  }

  /** Whether a private key signs what the public key verifies: works for RSA, EC and EdDSA alike. */
  private static boolean matches(PrivateKey key, PublicKey pub) {
    String alg = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC", "ECDSA" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (alg == null || !key.getAlgorithm().equals(pub.getAlgorithm()) && !(alg.equals("SHA256withECDSA")
        && pub.getAlgorithm().startsWith("EC"))) {
      return false;
    }
    try {
      byte[] probe = new byte[32];
      RANDOM.nextBytes(probe);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "CertificateBundle[" + subject(certificate) + ", serial " + serial() + ", until " + notAfter() + ", key=****]";
  }
}
