package net.aegirj.provision.api;

/**
 * Something failed on a host: a connection, a file operation or a command. The message names the
 * host and what was being done.
 */
public class HostException extends ProvisionException {
  private static final long serialVersionUID = 1L;

  private final String host;

  /**
   * @param host the host (server name or address)
   * @param message what failed
   */
  public HostException(String host, String message) {
    super(host + ": " + message);
    this.host = host;
  }

  /**
   * @param host the host (server name or address)
   * @param message what failed
   * @param cause the underlying failure
   */
  public HostException(String host, String message, Throwable cause) {
    super(host + ": " + message, cause);
    this.host = host;
  }

  /** @return the host the failure happened on */
  public String host() {
    return host;
  }
}
