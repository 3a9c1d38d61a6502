package net.aegirj.provision.services.ssl;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;

/**
 * The central SSL store on the master, {@code <aegir_root>/config/ssl.d}: one directory (0700) per
 * certificate name ({@code ssl_key}, by default the site's uri) holding {@link CertificateBundle}'s
 * three files, the key 0600; and {@code .acme/account.key} (0600, in a 0700 directory), the ACME
 * account key, made once and reused. Every file is written through {@link Host#write} (a
 * temporary file renamed over the old one), the key last, and a bundle is only ever written
 * whole and checked; a bundle read back is checked again, so a store left inconsistent by a
 * killed process reads as broken, never as a certificate that does not fit its key.
 */
public final class CertificateStore {
  static final int DIR = 0700;
  static final int SECRET = 0600;
  static final int PUBLIC = 0644;
  /** The store's directory of ACME state; a dot name, so never a certificate name. */
  static final String ACME_DIR = ".acme";

  private final Host host;
  private final Path root;

  /**
   * @param host the master's host (journaled: a failed task puts the store back)
   * @param root the store, {@code <aegir_root>/config/ssl.d}
   */
  public CertificateStore(Host host, Path root) {
    this.host = host;
    this.root = root;
  }

  /** @return the store's directory */
  public Path root() {
    return root;
  }

  /**
   * @param name a certificate name
   * @return its directory
   */
  public Path dir(String name) {
    return root.resolve(name);
  }

  /** What {@link #read} found. */
  public sealed interface Found {
    /** Nothing (no key or no certificate). */
    record Missing() implements Found {}

    /**
     * Files that do not make a certificate.
     *
     * @param problem why, in plain words (never the key)
     */
    record Broken(String problem) implements Found {}

    /**
     * A checked bundle.
     *
     * @param bundle it
     */
    record Present(CertificateBundle bundle) implements Found {}
  }

  /**
   * @param name a certificate name
   * @return what the store holds under it
   */
  public Found read(String name) {
    Path dir = dir(name);
    Optional<byte[]> key = host.read(dir.resolve(CertificateBundle.KEY));
    Optional<byte[]> crt = host.read(dir.resolve(CertificateBundle.CERTIFICATE));
    if (key.isEmpty() || crt.isEmpty()) {
      return new Found.Missing();
    }
    byte[] chain = host.read(dir.resolve(CertificateBundle.CHAIN)).orElse(new byte[0]);
    if (key.get().length > Pem.MAX_KEY || crt.get().length > Pem.MAX_CERTIFICATES || chain.length > Pem.MAX_CERTIFICATES) {
      return new Found.Broken(dir + " holds a file larger than a certificate or key can be");
    }
    try {
      return new Found.Present(CertificateBundle.of(ascii(key.get()), ascii(crt.get()), ascii(chain)));
    } catch (IllegalArgumentException e) {
      return new Found.Broken(dir + ": " + e.getMessage());
    }
  }

  private static String ascii(byte[] b) {
    return new String(b, StandardCharsets.US_ASCII);
  }

  /**
   * Writes a bundle: the certificate and chain, then the key (each file atomically).
   *
   * @param name the certificate name
   * @param bundle the bundle, checked
   * @return true when anything changed
   */
  public boolean write(String name, CertificateBundle bundle) {
    Path dir = dir(name);
    host.mkdirs(root, FileMode.of(DIR));
    boolean changed = host.mkdirs(dir, FileMode.of(DIR));
    changed |= host.write(dir.resolve(CertificateBundle.CHAIN), bundle.bytes(CertificateBundle.CHAIN), FileMode.of(PUBLIC));
    changed |= host.write(dir.resolve(CertificateBundle.CERTIFICATE), bundle.bytes(CertificateBundle.CERTIFICATE),
        FileMode.of(PUBLIC));
    changed |= host.write(dir.resolve(CertificateBundle.KEY), bundle.bytes(CertificateBundle.KEY), FileMode.of(SECRET));
    return changed;
  }

  /**
   * @param name a certificate name
   * @return true when the store held it
   */
  public boolean remove(String name) {
    return host.remove(dir(name));
  }

  /** @return the certificate names the store holds, sorted */
  public List<String> names() {
    return host.list(root).stream().filter(n -> !n.startsWith(".")).toList();
  }

  /**
   * The ACME account key: read from {@code .acme/account.key}, or made (RSA 2048, from
   * {@link java.security.SecureRandom}) and written there, 0600, the first time.
   *
   * @return the key pair
   * @throws ProvisionException when the file exists but is not a usable key
   */
  public KeyPair accountKey() {
    Path dir = root.resolve(ACME_DIR);
    Path file = dir.resolve("account.key");
    Optional<byte[]> existing = host.read(file);
    if (existing.isPresent()) {
      if (existing.get().length > Pem.MAX_KEY) {
        throw new ProvisionException(file + " is larger than a key can be: remove it to make a new ACME account");
      }
      try {
        return Pem.readRsaKeyPair(ascii(existing.get()), file.toString());
      } catch (IllegalArgumentException e) {
        throw new ProvisionException(e.getMessage() + ": remove it to make a new ACME account", e);
      }
    }
    KeyPair pair = Pem.newRsaKeyPair();
    host.mkdirs(root, FileMode.of(DIR));
    host.mkdirs(dir, FileMode.of(DIR));
    host.write(file, Pem.privateKey(pair.getPrivate()).getBytes(StandardCharsets.US_ASCII), FileMode.of(SECRET));
    return pair;
  }

  @Override
  public String toString() {
    return "CertificateStore[" + root + " on " + host.name() + "]";
  }
}
