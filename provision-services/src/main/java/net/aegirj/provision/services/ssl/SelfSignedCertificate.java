package net.aegirj.provision.services.ssl;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import net.aegirj.provision.api.Grammar;

/**
 * A self-signed X.509 v3 certificate with an RSA 2048 key, made with the JDK alone (no
 * {@code openssl} process): the certificate is DER-encoded here and signed with SHA-256/RSA. The
 * subject is {@code CN=<domain>}; the domain and any extra names go in the subject alternative
 * names. Output is PEM, as web servers read it; the key is PKCS#8.
 *
 * @param certificatePem the certificate, PEM
 * @param privateKeyPem the private key, PKCS#8 PEM (a secret: never logged)
 */
public record SelfSignedCertificate(String certificatePem, String privateKeyPem) {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final DateTimeFormatter UTC_TIME =
      DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);

  /** Checks the invariants. */
  public SelfSignedCertificate {
    Objects.requireNonNull(certificatePem, "certificatePem");
    Objects.requireNonNull(privateKeyPem, "privateKeyPem");
  }

  /**
   * @param domain the certificate's common name, a host name ({@code default.invalid} for the
   *     default certificate)
   * @param altNames further host names
   * @param validity how long it is valid, from one hour ago
   * @return the certificate and its key
   */
  public static SelfSignedCertificate generate(String domain, List<String> altNames, Duration validity) {
    if (!Grammar.HOST.accepts(domain)) {
      throw new IllegalArgumentException("not a host name: " + domain);
    }
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize(2048, RANDOM);
      KeyPair pair = gen.generateKeyPair();
      byte[] sha256WithRsa = seq(oid("1.2.840.113549.1.1.11"), new byte[] {0x05, 0x00});
      byte[] name = seq(set(seq(oid("2.5.4.3"), tlv(0x0c, domain.getBytes(StandardCharsets.UTF_8)))));
      Instant from = Instant.now().minus(Duration.ofHours(1));
      byte[] validityDer = seq(utcTime(from), utcTime(from.plus(validity)));
      ByteArrayOutputStream names = new ByteArrayOutputStream();
      names.writeBytes(tlv(0x82, domain.getBytes(StandardCharsets.US_ASCII)));
      for (String alt : altNames) {
        if (!Grammar.HOST.accepts(alt)) {
          throw new IllegalArgumentException("not a host name: " + alt);
        }
        if (!alt.equals(domain)) {
          names.writeBytes(tlv(0x82, alt.getBytes(StandardCharsets.US_ASCII)));
        }
      }
      byte[] san = seq(oid("2.5.29.17"), tlv(0x04, seq(names.toByteArray())));
      byte[] extensions = tlv(0xa3, seq(san));
      byte[] serial = new BigInteger(127, RANDOM).add(BigInteger.ONE).toByteArray();
      byte[] tbs = seq(tlv(0xa0, tlv(0x02, new byte[] {2})), tlv(0x02, serial), sha256WithRsa, name,
          validityDer, name, pair.getPublic().getEncoded(), extensions);
      Signature signer = Signature.getInstance("SHA256withRSA");
      signer.initSign(pair.getPrivate());
      signer.update(tbs);
      byte[] sig = signer.sign();
      byte[] bitString = new byte[sig.length + 1];
      System.arraycopy(sig, 0, bitString, 1, sig.length);
      byte[] cert = seq(tbs, sha256WithRsa, tlv(0x03, bitString));
      return new SelfSignedCertificate(pem("CERTIFICATE", cert), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make an RSA certificate", e);
    }
  }

  private static String pem(String type, byte[] der) {
    String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
  }

  private static byte[] utcTime(Instant t) {
    return tlv(0x17, UTC_TIME.format(t).getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] seq(byte[]... parts) {
    return tlv(0x30, concat(parts));
  }

  private static byte[] set(byte[]... parts) {
    return tlv(0x31, concat(parts));
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** A DER tag-length-value with a definite length. */
  static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int n = value.length;
    if (n < 0x80) {
      out.write(n);
    } else {
      byte[] len = BigInteger.valueOf(n).toByteArray();
      int skip = len[0] == 0 ? 1 : 0;
      out.write(0x80 | (len.length - skip));
      out.write(len, skip, len.length - skip);
    }
    out.writeBytes(value);
    return out.toByteArray();
  }

  static byte[] oid(String dotted) {
    String[] parts = dotted.split("\\.");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Integer.parseInt(parts[0]) * 40 + Integer.parseInt(parts[1]));
    for (int i = 2; i < parts.length; i++) {
      long v = Long.parseLong(parts[i]);
      byte[] tmp = new byte[10];
      int k = 0;
      do {
        tmp[k++] = (byte) (v & 0x7f);
        v >>= 7;
      } while (v > 0);
      for (int j = k - 1; j >= 0; j--) {
        out.write(tmp[j] | (j > 0 ? 0x80 : 0));
      }
    }
    return tlv(0x06, out.toByteArray());
  }

  @Override
  public String toString() {
    return "SelfSignedCertificate[key=****]";
  }
}
