package net.aegirj.provision.services.ssl;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * PEM in and out. Keys are made with the JDK ({@link KeyPairGenerator}, {@link SecureRandom}) and
 * written as PKCS#8; keys read from outside (an operator's files) may also be PKCS#1 RSA or SEC 1
 * EC keys, which BouncyCastle's {@link PEMParser} reads. Inputs are bounded and checked; a key is
 * never part of a message.
 */
final class Pem {
  /** The largest private key file read. */
  static final int MAX_KEY = 16 * 1024;
  /** The largest certificate or chain file read. */
  static final int MAX_CERTIFICATES = 64 * 1024;
  /** The most certificates a chain may hold. */
  static final int MAX_CHAIN = 8;
  private static final SecureRandom RANDOM = new SecureRandom();
  /** The first line of a PEM private key of any kind (PKCS#8, encrypted, RSA, EC, ...). */
  private static final Pattern KEY_BEGIN = Pattern.compile("-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----");

  private Pem() {}

  /** @return a fresh RSA 2048 key pair */
  static KeyPair newRsaKeyPair() {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize(2048, RANDOM);
      return gen.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make an RSA key", e);
    }
  }

  /** @return the private key as PKCS#8 PEM (a secret) */
  static String privateKey(PrivateKey key) {
    return encode("PRIVATE KEY", key.getEncoded());
  }

  /** @return the certificates as PEM, one after the other */
  static String certificates(List<X509Certificate> certificates) {
    StringBuilder out = new StringBuilder();
    for (X509Certificate c : certificates) {
      try {
        out.append(encode("CERTIFICATE", c.getEncoded()));
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IllegalStateException("cannot encode a certificate", e);
      }
    }
    return out.toString();
  }

  static String encode(String type, byte[] der) {
    String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
  }

  /**
   * @param pem PEM text holding certificates and nothing else
   * @param what what it is, for messages
   * @return the certificates, in order (empty for empty text)
   * @throws IllegalArgumentException when it is too large, holds too many or is not PEM certificates
   */
  static List<X509Certificate> readCertificates(String pem, String what) {
    if (pem.length() > MAX_CERTIFICATES) {
      throw new IllegalArgumentException(what + " is larger than " + MAX_CERTIFICATES + " bytes");
    }
    if (pem.isBlank()) {
      return List.of();
    }
    if (!pem.strip().startsWith("-----BEGIN CERTIFICATE-----")) {
      throw new IllegalArgumentException(what + " is not PEM certificates (-----BEGIN CERTIFICATE-----)");
    }
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (var c : CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        out.add((X509Certificate) c);
      }
      if (out.size() > MAX_CHAIN) {
        throw new IllegalArgumentException(what + " holds more than " + MAX_CHAIN + " certificates");
      }
      return List.copyOf(out);
    } catch (CertificateException e) {
      throw new IllegalArgumentException(what + " is not readable X.509 PEM: " + e.getMessage(), e);
    }
  }

  /**
   * @param pem a PEM private key: PKCS#8, PKCS#1 RSA or SEC 1 EC, not encrypted
   * @param what what it is, for messages (never its content)
   * @return the key
   * @throws IllegalArgumentException when it is too large, encrypted or not a private key
   */
  static PrivateKey readPrivateKey(String pem, String what) {
    if (pem.length() > MAX_KEY) {
      throw new IllegalArgumentException(what + " is larger than " + MAX_KEY + " bytes");
    }
    long keys = KEY_BEGIN.matcher(pem).results().count();
    if (keys > 1) {
      throw new IllegalArgumentException(what + " holds " + keys + " private keys; keep only the certificate's");
    }
    Object o;
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      o = parser.readObject();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(what + " is not a readable PEM private key", e);
    }
    try {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair pair) {
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(what + " is not a usable private key", e);
    }
    throw new IllegalArgumentException(what + (o == null ? " holds no PEM private key"
        : " is not an unencrypted private key (decrypt it first: openssl pkey -in FILE -out FILE)"));
  }

  /**
   * @param pem an RSA private key as {@link #privateKey(PrivateKey)} wrote it
   * @param what what it is, for messages
   * @return the key pair (the public key derived from the private one)
   */
  static KeyPair readRsaKeyPair(String pem, String what) {
    PrivateKey key = readPrivateKey(pem, what);
    if (!(key instanceof RSAPrivateCrtKey rsa)) {
      throw new IllegalArgumentException(what + " is not an RSA private key");
    }
    try {
      PublicKey pub = KeyFactory.getInstance("RSA")
          .generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
      return new KeyPair(pub, key);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(what + " is not a usable RSA key", e);
    }
  }
}
