package net.aegirj.provision.api;

import java.util.Optional;

/**
 * A context, a name or a property value was refused. Nothing was written. The message names the
 * context, the property and the rule that was broken.
 */
public class InvalidContextException extends ProvisionException {
  private static final long serialVersionUID = 1L;

  private final String context;
  private final String property;
  private final String reason;

  /**
   * @param context the context name as given (may be null when the name itself is the problem)
   * @param property the property name (may be null when the whole context is refused)
   * @param reason the rule that was broken
   */
  public InvalidContextException(String context, String property, String reason) {
    super(compose(context, property, reason));
    this.context = context;
    this.property = property;
    this.reason = reason;
  }

  private static String compose(String context, String property, String reason) {
    StringBuilder b = new StringBuilder();
    if (context != null) {
      b.append(context.startsWith("@") ? context : "@" + context).append(": ");
    }
    if (property != null) {
      b.append("property ").append(Grammar.ID.accepts(property) ? "'" + property + "'" : Text.quote(property))
          .append(": ");
    }
    return b.append(reason).toString();
  }

  /** @return the context the refused input was for, if known */
  public Optional<String> context() {
    return Optional.ofNullable(context);
  }

  /** @return the refused property, if the failure concerns one */
  public Optional<String> property() {
    return Optional.ofNullable(property);
  }

  /** @return the rule that was broken, without context and property */
  public String reason() {
    return reason;
  }

  @Override
  public boolean isBadInput() {
    return true;
  }
}
