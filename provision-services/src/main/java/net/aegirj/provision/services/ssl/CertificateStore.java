package net.aegirj.provision.services.ssl;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;

/**
 * The central SSL store on the master, {@code <aegir_root>/config/ssl.d}: one directory (0700) per
 * certificate name ({@code ssl_key}, by default the site's uri) holding {@link CertificateBundle}'s
 * three files, the key 0600; and {@code .acme/account.key} (0600, in a 0700 directory), the ACME
 * account key, made once and reused, beside the ACME servers' rate limits ({@link RateLimits}). Every file is written through {@link Host#write} (a
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
  /** The name of the web servers' default certificate (of the vhost that answers unknown names). */
  public static final String DEFAULT_NAME = "default";

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

  /** @return the store's directory of ACME state, {@code .acme} (the account key, the rate limits) */
  public Path acmeDir() {
    return root.resolve(ACME_DIR);
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
    return read(host, dir(name));
  }

  /**
   * Reads a bundle's files from a directory that may hold anything (the store, or an operator's
   * {@code ssl_certificate_from}): each file present must be a regular file (not a symbolic link,
   * a directory or a device) no larger than a key or certificates can be, checked before it is
   * read; then the bundle is parsed and checked ({@link CertificateBundle#of}).
   *
   * @param host the host holding the directory
   * @param dir the directory
   * @return missing when the key or the certificate is not there; broken, saying why, when a file
   *     is not acceptable or the files do not make a bundle
   */
  static Found read(Host host, Path dir) {
    String[] files = {CertificateBundle.KEY, CertificateBundle.CERTIFICATE, CertificateBundle.CHAIN};
    byte[][] bytes = new byte[files.length][];
    for (int i = 0; i < files.length; i++) {
      Path file = dir.resolve(files[i]);
      Optional<FileInfo> info = host.stat(file);
      if (info.isEmpty()) {
        if (i < 2) {
          return new Found.Missing();
        }
        bytes[i] = new byte[0];
        continue;
      }
      int max = files[i].equals(CertificateBundle.KEY) ? Pem.MAX_KEY : Pem.MAX_CERTIFICATES;
      if (info.get().type() != FileInfo.Type.FILE) {
        return new Found.Broken(file + " is " + (info.get().type() == FileInfo.Type.SYMLINK ? "a symbolic link"
            : "not a regular file") + ": copy the file itself there");
      }
      if (info.get().size() > max) {
        return new Found.Broken(file + " is larger than " + max + " bytes, more than a "
            + (i == 0 ? "key" : "certificate chain") + " can be");
      }
      Optional<byte[]> read = host.read(file);
      if (read.isEmpty() && i < 2) {
        return new Found.Missing();
      }
      bytes[i] = read.orElse(new byte[0]);
      if (bytes[i].length > max) {
        return new Found.Broken(file + " is larger than " + max + " bytes");
      }
    }
    try {
      return new Found.Present(CertificateBundle.of(ascii(bytes[0]), ascii(bytes[1]), ascii(bytes[2])));
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
   * @param unjournaled the master's host outside the task's journal: the key is written through
   *     it, so that a task that fails after registering the account (a challenge that fails, a
   *     rate limit) does not roll the key back and make the next attempt register another account
   * @return the key pair
   * @throws ProvisionException when the file exists but is not a usable key
   */
  public KeyPair accountKey(Host unjournaled) {
    Path dir = acmeDir();
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
    unjournaled.mkdirs(root, FileMode.of(DIR));
    unjournaled.mkdirs(dir, FileMode.of(DIR));
    unjournaled.write(file, Pem.privateKey(pair.getPrivate()).getBytes(StandardCharsets.US_ASCII),
        FileMode.of(SECRET));
    return pair;
  }

  @Override
  public String toString() {
    return "CertificateStore[" + root + " on " + host.name() + "]";
  }
}
