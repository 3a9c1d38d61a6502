package net.aegirj.provision.api;

/**
 * Renders user-supplied values into error messages safely: quoted, control characters escaped,
 * non-ASCII shown as {@code \}{@code uXXXX}, and long values cut, so a hostile value can never
 * forge extra lines in a log or a terminal.
 */
public final class Text {
  private static final int MAX = 80;

  private Text() {}

  /**
   * @param value any value, possibly null or hostile
   * @return the value in single quotes, escaped and cut to a readable length
   */
  public static String quote(String value) {
    if (value == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder("'");
    int n = Math.min(value.length(), MAX);
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\\' -> b.append("\\\\");
        case '\'' -> b.append("\\'");
        default -> {
          if (c < 0x20 || c >= 0x7f) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    if (value.length() > MAX) {
      b.append("...(").append(value.length()).append(" characters)");
    }
    return b.append('\'').toString();
  }
}
