package net.aegirj.provision.api;

/** A named context does not exist (Aegir's {@code PROVISION_MISSING_CONTEXT}). */
public class ContextNotFoundException extends ProvisionException {
  private static final long serialVersionUID = 1L;

  private final ContextName name;

  /**
   * @param name the missing context
   * @param detail what needed it, or an empty string
   */
  public ContextNotFoundException(ContextName name, String detail) {
    super(name + ": no such context" + (detail.isEmpty() ? "" : " (" + detail + ")")
        + "; create it with 'provision save " + name + " --context_type=...'");
    this.name = name;
  }

  /** @return the name that was looked up */
  public ContextName name() {
    return name;
  }

  @Override
  public boolean isBadInput() {
    return true;
  }
}
