package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;

/**
 * What a command produced, in both output forms.
 *
 * @param json the command's fields of the {@code --json} object (everything but {@code ok},
 *     {@code command}, {@code error} and {@code exit_code}), in output order
 * @param text the human-readable output, lines ending in a newline (may be empty)
 * @param failure when the command ran but part of it failed (a task of a batch): the one-line
 *     error; the command line then exits with status 1 after printing the output
 */
record Result(ObjectNode json, String text, Optional<String> failure) {
  /** Checks the invariants. */
  Result {
    Objects.requireNonNull(json, "json");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(failure, "failure");
  }

  /**
   * A successful result.
   *
   * @param json the command's fields of the {@code --json} object
   * @param text the human-readable output
   */
  Result(ObjectNode json, String text) {
    this(json, text, Optional.empty());
  }
}
