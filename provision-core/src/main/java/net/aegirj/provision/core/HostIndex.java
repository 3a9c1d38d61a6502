package net.aegirj.provision.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.spi.ContextListing;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The index of host names of a {@link FileContextRepository}: {@code contexts/.hosts/<host name>}
 * is a symbolic link whose target is the name of the site that serves it (a claim). A claim is one
 * {@code symlink} to make, one {@code readlink} to read, and holds no data to flush but its
 * directory entry.
 *
 * <p>The invariant: every host name of every stored site has a claim naming that site. Writers
 * (under the repository's lock) make the claims of a site, and flush the directory, before the
 * site's file is renamed into place, and give up the claims it no longer needs after. A process
 * killed in between leaves a claim too many, never one too few: a claim is believed only when the
 * site it names is stored and serves the name (one file read, only when a claim is met), and a
 * claim that fails that check is stale and is replaced. A damaged site file keeps its claims.
 *
 * <p>{@code .hosts/.complete} says the index was built: a repository from before the index, or
 * one whose {@code .hosts} was removed, is indexed from every site file at the first save or
 * lookup, under the lock; a build killed half-way leaves no {@code .complete} and is done again.
 * A host name is a file name once the {@code /} of an alias with a sub-directory is written
 * {@code +} (which no host name or alias holds); one too long for a file name is cut and completed
 * with a hash of the whole name. No entry but {@code .complete} starts with {@code .}.
 */
final class HostIndex {
  private static final Logger LOG = LoggerFactory.getLogger(HostIndex.class);
  static final String DIR = ".hosts";
  static final String COMPLETE = ".complete";
  private static final int MAX_PLAIN = 200;

  private final Path dir;
  private final Function<ContextName, Optional<Versioned>> loader;

  /**
   * @param contexts the repository's directory
   * @param loader loads a stored context (throws {@link ProvisionException} when it cannot be read)
   */
  HostIndex(Path contexts, Function<ContextName, Optional<Versioned>> loader) {
    this.dir = contexts.resolve(DIR);
    this.loader = loader;
  }

  /** @return the directory of claims */
  Path directory() {
    return dir;
  }

  /** @return whether the index was built (else a lookup or a save builds it first) */
  boolean complete() {
    return Files.exists(dir.resolve(COMPLETE), LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Builds the index from every readable site, when it is not complete. Call under the lock.
   *
   * @param listing lists the stored contexts
   * @return whether it was built now
   */
  boolean ensureComplete(Supplier<ContextListing> listing) {
    if (complete()) {
      return false;
    }
    try {
      if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
          for (Path p : ds) {
            Files.deleteIfExists(p);
          }
        }
      } else {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      int claims = 0;
      for (Versioned v : listing.get().contexts()) {
        for (String h : ContextRepository.hostNames(v.context())) {
          Optional<ContextName> other = claim(h);
          if (other.isPresent()) {
            LOG.warn("{} and {} are both stored with the host name '{}'; the index keeps {}: change one of them",
                other.get(), v.context().name(), h, other.get());
            continue;
          }
          link(h, v.context().name());
          claims++;
        }
      }
      sync();
      Files.createFile(dir.resolve(COMPLETE));
      sync();
      LOG.info("indexed {} host names in {}", claims, dir);
      return true;
    } catch (IOException e) {
      throw new ProvisionException("cannot build the index of host names " + dir + ": " + e.getMessage(), e);
    }
  }

  /** @return the entry of a host name in the directory of claims */
  Path entry(String host) {
    return dir.resolve(entryName(host));
  }

  /** @return the file name of a host name's entry in the directory of claims */
  static String entryName(String host) {
    String n = host.replace('/', '+');
    if (n.length() > MAX_PLAIN) {
      try {
        byte[] h = MessageDigest.getInstance("SHA-256").digest(host.getBytes(StandardCharsets.UTF_8));
        n = n.substring(0, MAX_PLAIN - 20) + "~" + HexFormat.of().formatHex(h, 0, 8);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
    return n;
  }

  /**
   * Lists the claims (one read of the directory), for a batch that asks about many host names:
   * a name without an entry has no claim, so no owner.
   *
   * @return the file names of the entries ({@link #entryName}), without {@code .complete}
   */
  Set<String> entries() {
    Set<String> out = new HashSet<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        if (!n.startsWith(".")) {
          out.add(n);
        }
      }
    } catch (NoSuchFileException e) {
      return out;
    } catch (IOException e) {
      throw new ProvisionException("cannot list the index of host names " + dir + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** @return the site a claim names, when there is a claim (believed or not) */
  Optional<ContextName> claim(String host) {
    try {
      String target = Files.readSymbolicLink(entry(host)).toString();
      return ContextName.isValid(target) ? Optional.of(ContextName.of(target)) : Optional.empty();
    } catch (NoSuchFileException | NotLinkException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new ProvisionException("cannot read " + entry(host) + ": " + e.getMessage(), e);
    }
  }

  /**
   * @param host a host name
   * @return the stored site that serves it: the claim's site when it is stored and serves the
   *     name, or cannot be read (it may serve it); empty when there is no claim or it is stale
   */
  Optional<ContextName> owner(String host) {
    Optional<ContextName> claimed = claim(host);
    if (claimed.isEmpty()) {
      return claimed;
    }
    try {
      Optional<Versioned> site = loader.apply(claimed.get());
      if (site.isPresent() && ContextRepository.hostNames(site.get().context()).contains(host)) {
        return claimed;
      }
      return Optional.empty(); // stale: left by a killed writer; replaced by the next claim
    } catch (ProvisionException e) {
      return claimed; // a damaged site keeps its names until it is repaired or removed
    }
  }

  /**
   * @param hosts host names
   * @return those served by a stored site, with the site
   */
  Map<String, ContextName> owners(Collection<String> hosts) {
    Map<String, ContextName> out = new TreeMap<>();
    for (String h : hosts) {
      owner(h).ifPresent(o -> out.put(h, o));
    }
    return out;
  }

  /**
   * Claims a site's host names that it does not hold yet, replacing stale claims. Call under the
   * lock, after checking that no other site serves them; flush with {@link #sync()} before the
   * site's file is written.
   *
   * @return whether a claim was made
   */
  boolean claimAll(ContextName site, Set<String> hosts) {
    boolean made = false;
    for (String h : hosts) {
      try {
        try {
          Files.createSymbolicLink(entry(h), Path.of(site.value()));
          made = true;
          continue;
        } catch (FileAlreadyExistsException e) {
          // claimed: by this site already, or stale (checked by the caller)
        }
        if (claim(h).filter(site::equals).isPresent()) {
          continue;
        }
        Files.deleteIfExists(entry(h));
        link(h, site);
        made = true;
      } catch (IOException e) {
        throw new ProvisionException("cannot claim the host name '" + h + "' in " + dir + ": " + e.getMessage(), e);
      }
    }
    return made;
  }

  /** Gives up claims of a site (those that still name it). Call under the lock, after the write. */
  void release(ContextName site, Collection<String> hosts) {
    for (String h : hosts) {
      if (claim(h).filter(site::equals).isPresent()) {
        try {
          Files.deleteIfExists(entry(h));
        } catch (IOException e) {
          LOG.debug("cannot remove the stale claim {}: {}", entry(h), e.getMessage()); // stale: harmless
        }
      }
    }
  }

  private void link(String host, ContextName site) throws IOException {
    try {
      Files.createSymbolicLink(entry(host), Path.of(site.value()));
    } catch (FileAlreadyExistsException e) {
      throw new ProvisionException("the host name '" + host + "' was claimed meanwhile in " + dir, e);
    }
  }

  /** Flushes the directory of claims, so that they reach the disk before a site's file does. */
  void sync() {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      LOG.debug("cannot flush directory {}: {}", dir, e.getMessage());
    }
  }
}
