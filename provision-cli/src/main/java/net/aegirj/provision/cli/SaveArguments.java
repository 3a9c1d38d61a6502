package net.aegirj.provision.cli;

import java.util.List;
import java.util.Objects;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Text;

/**
 * The arguments of {@code provision save}: the context name first, then properties as
 * {@code --prop=value} (the main form) or {@code --prop value}. The value {@code null} resets a
 * property to its default.
 *
 * @param name the context name as given
 * @param changes the property changes, in the order given (a repeated property: the last wins)
 */
record SaveArguments(String name, PropertyChanges changes) {
  /** Checks the invariants. */
  SaveArguments {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(changes, "changes");
  }

  /**
   * @param tokens the arguments after {@code save} that picocli did not recognise as its own
   *     options, in order
   * @return the parsed arguments
   * @throws UsageException when the name is missing, an option has no value, or an argument is not
   *     an option
   */
  static SaveArguments parse(List<String> tokens) {
    if (tokens.isEmpty() || tokens.get(0).startsWith("-")) {
      throw new UsageException("missing context name: write 'provision save @name --property=value ...'");
    }
    String name = tokens.get(0);
    PropertyChanges.Builder changes = PropertyChanges.builder();
    for (int i = 1; i < tokens.size(); i++) {
      String t = tokens.get(i);
      if (!t.startsWith("--") || t.length() == 2) {
        throw new UsageException("unexpected argument " + Text.quote(t)
            + "; properties are given as --property=value after the context name");
      }
      String body = t.substring(2);
      int eq = body.indexOf('=');
      String property;
      String value;
      if (eq >= 0) {
        property = body.substring(0, eq);
        value = body.substring(eq + 1);
      } else if (i + 1 < tokens.size() && !tokens.get(i + 1).startsWith("--")) {
        property = body;
        value = tokens.get(++i);
      } else {
        throw new UsageException("option " + Text.quote(t) + " needs a value: write --" + body
            + "=VALUE, or --" + body + "=null to reset it to its default");
      }
      if (property.isEmpty()) {
        throw new UsageException("option " + Text.quote(t) + " has no property name; write --property=value");
      }
      changes.set(property, value);
    }
    return new SaveArguments(name, changes.build());
  }
}
