package net.aegirj.provision.cli;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Objects;

/**
 * The command line's standard input, for {@code provision save --properties-from=-}.
 *
 * @param stream where standard input is read from
 * @param terminal whether it is a terminal: {@code --properties-from=-} is refused then, rather
 *     than waiting silently for a user who may not know that it waits
 */
record StandardInput(InputStream stream, boolean terminal) {
  /** Checks the invariants. */
  StandardInput {
    Objects.requireNonNull(stream, "stream");
  }

  /** @return an empty standard input that is not a terminal */
  static StandardInput empty() {
    return new StandardInput(new ByteArrayInputStream(new byte[0]), false);
  }
}
