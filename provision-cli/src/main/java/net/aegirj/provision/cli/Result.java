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
 *     error; the command line then exits with {@code failureExit} after printing the output
 * @param failureExit the exit status when part of it failed: 1, or 2 when only bad input failed
 * @param failureType the {@code error.type} of the {@code --json} object when part of it failed
 */
record Result(ObjectNode json, String text, Optional<String> failure, int failureExit, String failureType) {
  /** Checks the invariants. */
  Result {
    Objects.requireNonNull(json, "json");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(failure, "failure");
    Objects.requireNonNull(failureType, "failureType");
  }

  /**
   * A result that may have partly failed as a task of a batch does (exit status 1).
   *
   * @param json the command's fields of the {@code --json} object
   * @param text the human-readable output
   * @param failure the one-line error, when part of it failed
   */
  Result(ObjectNode json, String text, Optional<String> failure) {
    this(json, text, failure, Main.FAILED, "task_failed");
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
