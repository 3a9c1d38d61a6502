package net.aegirj.provision.cli;

/**
 * The command line itself was malformed (a missing name, an option without its value, an unknown
 * command). Nothing was changed; the command line exits with status 2.
 */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** @param message what is wrong and how to write it instead */
  UsageException(String message) {
    super(message);
  }
}
