package net.aegirj.provision.services.ssl;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rate limits ACME servers answered with, remembered by a {@code Provision} instance (a
 * shared resource of its tasks): until the time the server named ({@code Retry-After}, else
 * {@link #WITHOUT_RETRY_AFTER}), no task of the instance sends that server another request, so a
 * batch ({@code provision ssl-renew}) of a thousand sites sends one request, not a thousand.
 */
final class RateLimits implements AutoCloseable {
  /** How long a rate limit without a {@code Retry-After} is respected. */
  static final Duration WITHOUT_RETRY_AFTER = Duration.ofHours(1);

  private final Map<String, Instant> until = new ConcurrentHashMap<>();

  /**
   * @param directory an ACME directory URL
   * @param now the time now
   * @return until when it refused, when that is later than now
   */
  Optional<Instant> limitedUntil(String directory, Instant now) {
    Instant t = until.get(directory);
    return t != null && t.isAfter(now) ? Optional.of(t) : Optional.empty();
  }

  /**
   * @param directory an ACME directory URL
   * @param retryAfter what it said, if anything
   * @param now the time now
   */
  void limited(String directory, Optional<Instant> retryAfter, Instant now) {
    Instant t = retryAfter.filter(r -> r.isAfter(now)).orElse(now.plus(WITHOUT_RETRY_AFTER));
    until.merge(directory, t, (a, b) -> a.isAfter(b) ? a : b);
  }

  @Override
  public void close() {
    until.clear();
  }
}
