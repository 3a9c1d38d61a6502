package net.aegirj.provision.api;

/**
 * A concurrent change was detected: the stored version of a context is not the version the
 * change was based on. Nothing was overwritten; reload and try again.
 */
public class ConflictException extends ProvisionException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message which context, which version was expected and which was found
   */
  public ConflictException(String message) {
    super(message);
  }
}
