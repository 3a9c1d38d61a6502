package net.aegirj.provision.api;

import java.util.List;

/** A context cannot be deleted while other contexts reference it. Nothing was changed. */
public class ContextInUseException extends ProvisionException {
  private static final long serialVersionUID = 1L;

  private final ContextName name;
  private final List<ContextName> referrers;

  /**
   * @param name the context that was to be deleted
   * @param referrers the contexts that reference it
   */
  public ContextInUseException(ContextName name, List<ContextName> referrers) {
    super(name + ": cannot delete, still referenced by " + referrers
        + "; delete or re-point those first");
    this.name = name;
    this.referrers = List.copyOf(referrers);
  }

  /** @return the context that was to be deleted */
  public ContextName name() {
    return name;
  }

  /** @return the contexts that still reference it */
  public List<ContextName> referrers() {
    return referrers;
  }

  @Override
  public boolean isBadInput() {
    return true;
  }
}
