package net.aegirj.provision.services.ssl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority a test makes in Java (BouncyCastle's builder): a root and an
 * intermediate, issuing site certificates for given names and dates, as an operator's CA would
 * for {@code ssl_provider=manual}. The root is what a client trusts ({@code curl --cacert}); the
 * intermediate is the chain a server must send.
 */
public final class TestCa {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private final KeyPair rootKey;
  private final X509Certificate root;
  private final KeyPair intermediateKey;
  private final X509Certificate intermediate;

  private TestCa(KeyPair rootKey, X509Certificate root, KeyPair intermediateKey, X509Certificate intermediate) {
    this.rootKey = rootKey;
    this.root = root;
    this.intermediateKey = intermediateKey;
    this.intermediate = intermediate;
  }

  /** @return a new root and intermediate, valid from an hour ago for ten days */
  public static TestCa create() {
    Instant now = Instant.now();
    KeyPair rootKey = Pem.newRsaKeyPair();
    X509Certificate root = sign(new X500Principal("CN=Provision Test Root"), rootKey.getPublic(),
        new X500Principal("CN=Provision Test Root"), rootKey, now.minus(Duration.ofHours(1)),
        now.plus(Duration.ofDays(10)), null, true);
    KeyPair intermediateKey = Pem.newRsaKeyPair();
    X509Certificate intermediate = sign(new X500Principal("CN=Provision Test Intermediate"),
        intermediateKey.getPublic(), root.getSubjectX500Principal(), rootKey, now.minus(Duration.ofHours(1)),
        now.plus(Duration.ofDays(10)), null, true);
    return new TestCa(rootKey, root, intermediateKey, intermediate);
  }

  /** @return the root, PEM */
  public String rootPem() {
    return Pem.certificates(List.of(root));
  }

  /** @return the intermediate, PEM: the chain of the site certificates */
  public String chainPem() {
    return Pem.certificates(List.of(intermediate));
  }

  /** @return a fresh EC P-256 key pair */
  public static KeyPair ecKey() {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
      gen.initialize(new ECGenParameterSpec("secp256r1"));
      return gen.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** @return a fresh RSA key pair */
  public static KeyPair rsaKey() {
    return Pem.newRsaKeyPair();
  }

  /**
   * @param key a private key's pair
   * @return the private key, PKCS#8 PEM
   */
  public static String keyPem(KeyPair key) {
    return Pem.privateKey(key.getPrivate());
  }

  /**
   * @param key the site's key pair
   * @param from start of validity
   * @param until end of validity
   * @param names the DNS names, the first also the subject's CN
   * @return the site certificate, PEM, signed by the intermediate
   */
  public String site(KeyPair key, Instant from, Instant until, String... names) {
    return Pem.certificates(List.of(sign(new X500Principal("CN=" + names[0]), key.getPublic(),
        intermediate.getSubjectX500Principal(), intermediateKey, from, until, names, false)));
  }

  /**
   * @param key the site's key pair
   * @param names the DNS names
   * @return a site certificate valid from an hour ago for five days, PEM
   */
  public String site(KeyPair key, String... names) {
    Instant now = Instant.now();
    return site(key, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(5)), names);
  }

  /**
   * Writes a site's three files into a directory (made 0700), as an operator drops them.
   *
   * @param dir the directory
   * @param keyPem the key
   * @param certificatePem the certificate
   * @return the directory
   */
  public Path drop(Path dir, String keyPem, String certificatePem) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(CertificateBundle.KEY), keyPem);
      Files.writeString(dir.resolve(CertificateBundle.CERTIFICATE), certificatePem);
      Files.writeString(dir.resolve(CertificateBundle.CHAIN), chainPem());
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static X509Certificate sign(X500Principal subject, PublicKey key, X500Principal issuer, KeyPair issuerKey,
      Instant from, Instant until, String[] names, boolean ca) {
    try {
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
          Date.from(from), Date.from(until), subject, key);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      b.addExtension(Extension.keyUsage, true, ca ? new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)
          : new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      if (names != null) {
        GeneralName[] sans = new GeneralName[names.length];
        for (int i = 0; i < names.length; i++) {
          sans[i] = new GeneralName(GeneralName.dNSName, names[i]);
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
      }
      return new JcaX509CertificateConverter().getCertificate(b.build(
          new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException("cannot sign a test certificate", e);
    }
  }

  @Override
  public String toString() {
    return "TestCa[" + root.getSubjectX500Principal() + ", key " + rootKey.getPublic().getAlgorithm() + "]";
  }
}
