package net.aegirj.provision.core.aegir;

import net.aegirj.provision.api.ProvisionException;

/**
 * An Aegir alias file, or the directory holding them, was refused: a syntax error, PHP outside the
 * data subset {@link AliasFile} reads, or a missing directory. Nothing was imported.
 */
public final class AliasFileException extends ProvisionException {
  private static final long serialVersionUID = 1L;

  /** @param message what was refused, naming the file and line */
  public AliasFileException(String message) {
    super(message);
  }

  @Override
  public boolean isBadInput() {
    return true;
  }
}
