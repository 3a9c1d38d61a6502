package net.aegirj.provision.api;

/** A site's {@code ssl_enabled}: 0 off, 1 on, 2 required (plain HTTP redirects to HTTPS). */
public enum SslMode {
  /** No HTTPS vhost. */
  OFF,
  /** HTTPS served next to HTTP. */
  ON,
  /** HTTPS served; HTTP redirects to it. */
  REQUIRED;

  /** @return Aegir's number, 0, 1 or 2 */
  public int code() {
    return ordinal();
  }

  /**
   * @param code 0, 1 or 2
   * @return the mode
   */
  public static SslMode fromCode(int code) {
    if (code < 0 || code > 2) {
      throw new IllegalArgumentException("ssl_enabled must be 0, 1 or 2, not " + code);
    }
    return values()[code];
  }
}
