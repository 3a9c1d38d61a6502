package net.aegirj.provision.services.ssl;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;

/**
 * The rate limits ACME servers answered with: until the time the server named
 * ({@code Retry-After}, else {@link #WITHOUT_RETRY_AFTER}; at most {@link #LONGEST} ahead), no
 * request goes to that server again, so a batch ({@code provision ssl-renew}) of a thousand sites
 * sends one request, not a thousand.
 *
 * <p>A {@code Provision} instance keeps them in memory (a shared resource of its tasks), and
 * {@link #on a view} of them also keeps each as a record in the SSL store's {@code .acme}
 * directory (a file 0600 per ACME directory URL, in a 0700 directory, written whole through
 * {@link Host#write}), so that another process (a cron {@code provision ssl-renew}) respects it
 * too. The records are written outside the task's journal: the task that met the limit fails, and
 * its rollback must not forget the limit. A record read back is checked (a regular file, bounded,
 * of the expected form, for that URL, not further ahead than {@link #LONGEST}); one that is not is
 * ignored with a warning, never trusted and never fatal.
 */
final class RateLimits implements AutoCloseable {
  /** How long a rate limit without a {@code Retry-After} is respected. */
  static final Duration WITHOUT_RETRY_AFTER = Duration.ofHours(1);
  /**
   * The furthest ahead a limit is kept: Let's Encrypt's longest window is a week. A longer
   * {@code Retry-After} is kept for a week; a record read back that says more is refused.
   */
  static final Duration LONGEST = Duration.ofDays(7);
  /** The largest record read back; ours are about 150 bytes. */
  static final int MAX_RECORD = 1024;
  /** The start of a record's file name; the rest is a hash of the directory URL. */
  static final String PREFIX = "rate-limit-";
  private static final String DIRECTORY = "directory=";
  private static final String UNTIL = "until=";

  private final Map<String, Instant> until;
  private final Records records;

  /** Limits kept in memory only. */
  RateLimits() {
    this(new ConcurrentHashMap<>(), null);
  }

  private RateLimits(Map<String, Instant> until, Records records) {
    this.until = until;
    this.records = records;
  }

  /**
   * A view of these limits that also reads and writes the records in a directory: what it learns
   * is kept in this instance's memory too.
   *
   * @param host the host holding the directory, not journaled (the records outlive a failed task)
   * @param dir the directory, which exists (0700)
   * @param warn told, in plain words, of a record that is ignored
   * @return the view
   */
  RateLimits on(Host host, Path dir, Consumer<String> warn) {
    return new RateLimits(until, new Records(Objects.requireNonNull(host), Objects.requireNonNull(dir),
        Objects.requireNonNull(warn)));
  }

  /**
   * @param directory an ACME directory URL
   * @param now the time now
   * @return until when it refused, when that is later than now
   */
  Optional<Instant> limitedUntil(String directory, Instant now) {
    Instant t = until.get(directory);
    if (t != null && t.isAfter(now)) {
      return Optional.of(t);
    }
    if (records == null) {
      return Optional.empty();
    }
    Optional<Instant> kept = records.read(directory, now);
    kept.ifPresent(k -> until.merge(directory, k, RateLimits::later));
    return kept;
  }

  /**
   * @param directory an ACME directory URL
   * @param retryAfter what it said, if anything
   * @param now the time now
   */
  void limited(String directory, Optional<Instant> retryAfter, Instant now) {
    Instant t = retryAfter.filter(r -> r.isAfter(now)).orElse(now.plus(WITHOUT_RETRY_AFTER));
    if (t.isAfter(now.plus(LONGEST))) {
      t = now.plus(LONGEST);
    }
    if (records != null) {
      // Another process may have kept a later time: it stands.
      records.read(directory, now).ifPresent(r -> until.merge(directory, r, RateLimits::later));
    }
    Instant kept = until.merge(directory, t, RateLimits::later);
    if (records != null) {
      records.write(directory, kept);
    }
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  @Override
  public void close() {
    until.clear();
  }

  /**
   * @param directory an ACME directory URL
   * @return its record's file name: {@value #PREFIX} and the first 16 bytes of its SHA-256, in hex
   */
  static String fileName(String directory) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(directory.getBytes(StandardCharsets.UTF_8));
      return PREFIX + HexFormat.of().formatHex(hash, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** The records in a directory of a host. */
  private record Records(Host host, Path dir, Consumer<String> warn) {
    Optional<Instant> read(String directory, Instant now) {
      Path file = dir.resolve(fileName(directory));
      try {
        Optional<FileInfo> info = host.stat(file);
        if (info.isEmpty()) {
          return Optional.empty();
        }
        if (info.get().type() != FileInfo.Type.FILE) {
          return ignored(file, "is not a regular file");
        }
        if ((info.get().permissions() & 0022) != 0) {
          return ignored(file, "is writable by other users");
        }
        if (info.get().size() > MAX_RECORD) {
          return ignored(file, "is larger than " + MAX_RECORD + " bytes");
        }
        Optional<byte[]> bytes = host.read(file);
        if (bytes.isEmpty()) {
          return Optional.empty();
        }
        if (bytes.get().length > MAX_RECORD) {
          return ignored(file, "is larger than " + MAX_RECORD + " bytes");
        }
        Map<String, String> fields = parse(new String(bytes.get(), StandardCharsets.US_ASCII));
        if (fields == null) {
          return ignored(file, "is not a rate-limit record (" + DIRECTORY + "URL and " + UNTIL + "time lines)");
        }
        if (!directory.equals(fields.get(DIRECTORY))) {
          return ignored(file, "is the record of another ACME directory");
        }
        Instant t = Instant.parse(fields.get(UNTIL));
        if (t.isAfter(now.plus(LONGEST).plus(Duration.ofMinutes(5)))) {
          return ignored(file, "says " + t + ", further ahead than any rate limit (" + LONGEST.toDays() + " days)");
        }
        if (!t.isAfter(now)) {
          host.remove(file); // it has passed: forgotten
          return Optional.empty();
        }
        return Optional.of(t);
      } catch (DateTimeException e) {
        return ignored(file, "does not hold a time in ISO-8601 form");
      } catch (RuntimeException e) {
        return ignored(file, "cannot be read: " + e.getMessage());
      }
    }

    /** @return the fields of a record, or null when it is not one */
    private static Map<String, String> parse(String text) {
      Map<String, String> fields = new LinkedHashMap<>();
      for (String line : text.split("\n", -1)) {
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        String key = line.startsWith(DIRECTORY) ? DIRECTORY : line.startsWith(UNTIL) ? UNTIL : null;
        if (key == null || fields.containsKey(key) || !line.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
          return null;
        }
        fields.put(key, line.substring(key.length()));
      }
      return fields.size() == 2 ? fields : null;
    }

    private Optional<Instant> ignored(Path file, String why) {
      warn.accept("the ACME rate-limit record " + file + " " + why + ": ignored (remove it)");
      return Optional.empty();
    }

    void write(String directory, Instant until) {
      String text = "# an ACME server's rate limit, kept by Provision; no request goes to it before this time\n"
          + DIRECTORY + directory + "\n" + UNTIL + until + "\n";
      Path file = dir.resolve(fileName(directory));
      try {
        host.mkdirs(dir, FileMode.of(CertificateStore.DIR));
        if (host.stat(file).filter(i -> i.type() != FileInfo.Type.FILE).isPresent()) {
          host.remove(file); // not ours (a link, a directory): replaced, never written through
        }
        host.write(file, text.getBytes(StandardCharsets.US_ASCII), FileMode.of(CertificateStore.SECRET));
      } catch (RuntimeException e) {
        warn.accept("the ACME rate limit of " + directory + " (until " + until + ") is kept by this process only: "
            + dir + " cannot be written: " + e.getMessage());
      }
    }
  }
}
