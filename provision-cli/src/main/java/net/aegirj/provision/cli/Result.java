package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * What a successful command produced, in both output forms.
 *
 * @param json the command's fields of the {@code --json} object (everything but {@code ok},
 *     {@code command} and {@code exit_code}), in output order
 * @param text the human-readable output, lines ending in a newline (may be empty)
 */
record Result(ObjectNode json, String text) {
  /** Checks the invariants. */
  Result {
    Objects.requireNonNull(json, "json");
    Objects.requireNonNull(text, "text");
  }
}
