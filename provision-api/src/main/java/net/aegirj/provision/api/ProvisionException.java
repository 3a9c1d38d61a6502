package net.aegirj.provision.api;

/**
 * The root of every exception Provision throws. Messages name the context, the property or host,
 * what failed and what to do about it.
 */
public class ProvisionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed, naming the context or host
   */
  public ProvisionException(String message) {
    super(message);
  }

  /**
   * @param message what failed, naming the context or host
   * @param cause the underlying failure
   */
  public ProvisionException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Whether this failure was caused by bad input that was refused before anything changed (the
   * command line exits with status 2 for those, and with 1 for everything else).
   *
   * @return true for refused input
   */
  public boolean isBadInput() {
    return false;
  }
}
