package net.aegirj.provision.core.aegir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import net.aegirj.provision.api.Text;

/**
 * Reads and writes Aegir's Drush alias files ({@code <name>.alias.drushrc.php}).
 *
 * <p>The reader accepts a data subset of PHP only and never evaluates anything: {@code <?php},
 * then statements {@code $aliases['name'] = array(...);} (or {@code [...]}) whose values are
 * single- or double-quoted strings, integers, {@code TRUE}, {@code FALSE}, {@code NULL} and nested
 * arrays, with {@code #}, {@code //} and {@code /* *}{@code /} comments and an optional closing
 * {@code ?>}. Anything else (another variable, a function call, a constant, concatenation,
 * interpolation in a double-quoted string, heredoc, a cast) is refused with an
 * {@link AliasFileException} naming the file and line.
 *
 * <p>Values come back as {@link String}, {@link Integer} (or {@link Long} when larger),
 * {@link Boolean}, {@code null}, {@code List<Object>} (an array whose keys are 0, 1, 2 ... in
 * order, implicit or explicit) or {@code Map<String, Object>} (any other array; integer keys
 * become strings).
 */
public final class AliasFile {
  /** The deepest nesting of arrays read (Aegir's files nest two deep). */
  static final int MAX_DEPTH = 16;
  /** A string key that PHP turns into an integer key (compiled once, not once per key). */
  private static final Pattern INTEGER_KEY = Pattern.compile("0|-?[1-9][0-9]{0,17}");

  private AliasFile() {}

  /**
   * One {@code $aliases['name'] = ...;} statement.
   *
   * @param name the alias name as written (usually without {@code @})
   * @param properties the array, keys in file order
   * @param line the line the statement starts on
   */
  public record Alias(String name, Map<String, Object> properties, int line) {
    /** Checks the invariants. */
    public Alias {
      Objects.requireNonNull(name, "name");
      properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
    }
  }

  /**
   * Parses a file.
   *
   * @param file an alias file
   * @return its statements, in file order
   * @throws AliasFileException naming the file and line of the first problem
   */
  public static List<Alias> parse(Path file) {
    String source;
    try {
      source = Files.readString(file, StandardCharsets.UTF_8);
    } catch (MalformedInputException e) {
      throw new AliasFileException(file + ": not UTF-8 text");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return parse(source, file.toString());
  }

  /**
   * Parses the text of a file.
   *
   * @param source the PHP source
   * @param fileName the file name, for messages
   * @return its statements, in file order
   * @throws AliasFileException naming the file and line of the first problem
   */
  public static List<Alias> parse(String source, String fileName) {
    return new Parser(source, fileName).file();
  }

  /**
   * Writes one alias as a file's text: {@code <?php}, then {@code $aliases['name'] = array (...);}
   * with the properties in the map's order.
   *
   * @param name the alias name (written without a leading {@code @})
   * @param properties values as {@link #parse} returns them
   * @return the PHP source
   */
  public static String write(String name, Map<String, ?> properties) {
    StringBuilder b = new StringBuilder("<?php\n");
    String n = name.startsWith("@") ? name.substring(1) : name;
    b.append("$aliases[").append(quote(n)).append("] = ");
    value(b, properties, 0);
    return b.append(";\n").toString();
  }

  /**
   * @param s any string
   * @return the string as a single-quoted PHP literal
   */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('\'');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' || c == '\'') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('\'').toString();
  }

  private static void value(StringBuilder b, Object v, int depth) {
    if (v == null) {
      b.append("NULL");
    } else if (v instanceof String s) {
      b.append(quote(s));
    } else if (v instanceof Boolean bool) {
      b.append(bool ? "TRUE" : "FALSE");
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      b.append(v);
    } else if (v instanceof List<?> list) {
      String indent = "  ".repeat(depth + 1);
      b.append("array (\n");
      for (int i = 0; i < list.size(); i++) {
        b.append(indent).append(i).append(" => ");
        value(b, list.get(i), depth + 1);
        b.append(",\n");
      }
      b.append("  ".repeat(depth)).append(')');
    } else if (v instanceof Map<?, ?> map) {
      String indent = "  ".repeat(depth + 1);
      b.append("array (\n");
      for (Map.Entry<?, ?> e : map.entrySet()) {
        b.append(indent).append(quote(String.valueOf(e.getKey()))).append(" => ");
        value(b, e.getValue(), depth + 1);
        b.append(",\n");
      }
      b.append("  ".repeat(depth)).append(')');
    } else {
      throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " to an alias file");
    }
  }

  /** A recursive-descent parser over the source text; tracks the line for messages. */
  private static final class Parser {
    private final String s;
    private final String file;
    private int pos;
    private int line = 1;
    private int depth;

    Parser(String source, String file) {
      this.s = source;
      this.file = file;
    }

    private AliasFileException error(int atLine, String message) {
      return new AliasFileException(file + ":" + atLine + ": " + message);
    }

    private AliasFileException error(String message) {
      return error(line, message);
    }

    List<Alias> file() {
      int start = 0;
      if (s.startsWith("\uFEFF")) {
        start = 1;
      }
      if (!s.regionMatches(true, start, "<?php", 0, 5)) {
        throw error(1, "an alias file starts with '<?php'");
      }
      pos = start + 5;
      if (pos < s.length() && !Character.isWhitespace(s.charAt(pos))) {
        throw error(1, "'<?php' must be followed by white space");
      }
      List<Alias> out = new ArrayList<>();
      while (true) {
        skipSpace();
        if (pos >= s.length()) {
          break;
        }
        if (s.startsWith("?>", pos)) {
          pos += 2;
          skipSpace();
          if (pos < s.length()) {
            throw error("text after the closing '?>' is not supported");
          }
          break;
        }
        out.add(statement());
      }
      if (out.isEmpty()) {
        throw error("no $aliases['name'] = array(...); statement found");
      }
      return out;
    }

    private Alias statement() {
      int startLine = line;
      if (s.charAt(pos) != '$') {
        throw unexpected("a statement $aliases['name'] = array(...);");
      }
      pos++;
      String var = identifier();
      if (!var.equals("aliases")) {
        throw error(startLine, "only $aliases may be assigned; found $" + Text.quote(var).replace("'", "")
            + " (variables are not supported)");
      }
      skipSpace();
      expect('[');
      skipSpace();
      if (pos >= s.length() || (s.charAt(pos) != '\'' && s.charAt(pos) != '"')) {
        throw unexpected("a quoted alias name");
      }
      String name = string();
      skipSpace();
      expect(']');
      skipSpace();
      expect('=');
      if (pos < s.length() && (s.charAt(pos) == '=' || s.charAt(pos) == '>')) {
        throw unexpected("an assignment '='");
      }
      skipSpace();
      Object v = value();
      skipSpace();
      expect(';');
      Map<String, Object> props;
      if (v instanceof Map<?, ?> m) {
        props = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
          props.put((String) e.getKey(), e.getValue());
        }
      } else if (v instanceof List<?> l && l.isEmpty()) {
        props = Map.of();
      } else if (v instanceof List<?> l) {
        props = new LinkedHashMap<>();
        for (int i = 0; i < l.size(); i++) {
          props.put(String.valueOf(i), l.get(i));
        }
      } else {
        throw error(startLine, "$aliases[" + Text.quote(name) + "] must be assigned an array");
      }
      return new Alias(name, props, startLine);
    }

    private Object value() {
      if (pos >= s.length()) {
        throw error("unexpected end of file; expected a value");
      }
      char c = s.charAt(pos);
      if (c == '\'' || c == '"') {
        return string();
      }
      if (c == '[') {
        pos++;
        return array(']');
      }
      if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
        return number();
      }
      if (Character.isLetter(c) || c == '_') {
        int at = line;
        String word = identifier();
        switch (word.toLowerCase(Locale.ROOT)) {
          case "true":
            return Boolean.TRUE;
          case "false":
            return Boolean.FALSE;
          case "null":
            return null;
          case "array": {
            skipSpace();
            if (pos >= s.length() || s.charAt(pos) != '(') {
              throw error(at, "expected '(' after 'array'");
            }
            pos++;
            return array(')');
          }
          default:
            skipSpace();
            if (pos < s.length() && s.charAt(pos) == '(') {
              throw error(at, "function calls are not supported (found " + Text.quote(word) + "(...))");
            }
            throw error(at, "constants are not supported (found " + Text.quote(word) + ")");
        }
      }
      if (c == '$') {
        throw error("variables are not supported in values");
      }
      if (c == '<' && s.startsWith("<<<", pos)) {
        throw error("heredoc and nowdoc strings are not supported");
      }
      if (c == '(') {
        throw error("casts and parenthesised expressions are not supported");
      }
      throw unexpected("a value");
    }

    /** After the opening bracket; reads up to and including {@code close}. */
    private Object array(char close) {
      int startLine = line;
      if (++depth > MAX_DEPTH) {
        throw error("arrays nested more than " + MAX_DEPTH + " deep are not supported");
      }
      Map<String, Object> map = new LinkedHashMap<>();
      boolean sequential = true;
      long nextIndex = 0;
      while (true) {
        skipSpace();
        if (pos >= s.length()) {
          throw error(startLine, "array not closed with '" + close + "'");
        }
        if (s.charAt(pos) == close) {
          pos++;
          break;
        }
        int entryLine = line;
        Object first = value();
        skipSpace();
        Object key;
        Object v;
        if (s.startsWith("=>", pos)) {
          pos += 2;
          skipSpace();
          key = first;
          v = value();
          if (key instanceof Long || key instanceof Integer) {
            long k = ((Number) key).longValue();
            if (k != nextIndex) {
              sequential = false;
            }
            nextIndex = Math.max(nextIndex, k + 1);
          } else if (key instanceof String ks) {
            if (INTEGER_KEY.matcher(ks).matches()) {
              // PHP turns decimal integer strings into integer keys.
              long k = Long.parseLong(ks);
              if (k != nextIndex) {
                sequential = false;
              }
              nextIndex = Math.max(nextIndex, k + 1);
            } else {
              sequential = false;
            }
          } else if (key instanceof Boolean b) {
            key = b ? 1L : 0L;
            long k = (Long) key;
            if (k != nextIndex) {
              sequential = false;
            }
            nextIndex = Math.max(nextIndex, k + 1);
          } else {
            throw error(entryLine, "an array key must be a string or an integer");
          }
        } else {
          key = nextIndex++;
          v = first;
        }
        String k = String.valueOf(key);
        if (map.containsKey(k)) {
          map.remove(k);
          sequential = false;
        }
        map.put(k, v);
        skipSpace();
        if (pos >= s.length()) {
          throw error(startLine, "array not closed with '" + close + "'");
        }
        if (s.charAt(pos) == ',') {
          pos++;
        } else if (s.charAt(pos) != close) {
          throw unexpected("',' or '" + close + "'");
        }
      }
      depth--;
      if (sequential) {
        return new ArrayList<>(map.values());
      }
      return map;
    }

    private Object number() {
      int start = pos;
      int at = line;
      if (s.charAt(pos) == '-' || s.charAt(pos) == '+') {
        pos++;
      }
      int digits = pos;
      while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
        pos++;
      }
      if (pos == digits) {
        throw error(at, "expected digits after a sign");
      }
      if (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '.')) {
        throw error(at, "only decimal integers are supported (found "
            + Text.quote(s.substring(start, Math.min(s.length(), pos + 1))) + ")");
      }
      String text = s.substring(start, pos);
      if (text.length() > 1 && text.replaceFirst("^[-+]", "").startsWith("0")) {
        throw error(at, "octal integers are not supported (found " + Text.quote(text) + ")");
      }
      try {
        long l = Long.parseLong(text);
        if (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
          return (int) l;
        }
        return l;
      } catch (NumberFormatException e) {
        throw error(at, "integer out of range: " + Text.quote(text));
      }
    }

    private String identifier() {
      int start = pos;
      while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')
          && s.charAt(pos) < 0x80) {
        pos++;
      }
      if (pos == start) {
        throw unexpected("a name");
      }
      return s.substring(start, pos);
    }

    private String string() {
      char q = s.charAt(pos);
      int startLine = line;
      pos++;
      StringBuilder b = new StringBuilder();
      while (true) {
        if (pos >= s.length()) {
          throw error(startLine, "string not closed with " + (q == '\'' ? "'" : "\""));
        }
        char c = s.charAt(pos++);
        if (c == q) {
          break;
        }
        if (c == '\n') {
          line++;
        }
        if (c == '\\' && pos < s.length()) {
          char n = s.charAt(pos);
          if (q == '\'') {
            if (n == '\'' || n == '\\') {
              b.append(n);
              pos++;
            } else {
              b.append('\\');
            }
            continue;
          }
          pos++;
          switch (n) {
            case 'n' -> b.append('\n');
            case 't' -> b.append('\t');
            case 'r' -> b.append('\r');
            case 'v' -> b.append('\u000b');
            case 'e' -> b.append('\u001b');
            case 'f' -> b.append('\f');
            case '\\' -> b.append('\\');
            case '$' -> b.append('$');
            case '"' -> b.append('"');
            case 'x' -> {
              int end = pos;
              while (end < s.length() && end < pos + 2 && isHex(s.charAt(end))) {
                end++;
              }
              if (end == pos) {
                b.append("\\x");
              } else {
                b.append((char) Integer.parseInt(s.substring(pos, end), 16));
                pos = end;
              }
            }
            case 'u' -> {
              if (pos < s.length() && s.charAt(pos) == '{') {
                int close = s.indexOf('}', pos);
                String hex = close < 0 ? "" : s.substring(pos + 1, close);
                if (hex.isEmpty() || hex.length() > 6 || !hex.chars().allMatch(ch -> isHex((char) ch))
                    || Integer.parseInt(hex, 16) > 0x10FFFF) {
                  throw error("invalid \\u{...} escape");
                }
                b.appendCodePoint(Integer.parseInt(hex, 16));
                pos = close + 1;
              } else {
                b.append("\\u");
              }
            }
            default -> {
              if (n >= '0' && n <= '7') {
                int end = pos - 1;
                while (end < s.length() && end < pos + 2 && s.charAt(end) >= '0' && s.charAt(end) <= '7') {
                  end++;
                }
                b.append((char) (Integer.parseInt(s.substring(pos - 1, end), 8) & 0xff));
                pos = end;
              } else {
                if (n == '\n') {
                  line++;
                }
                b.append('\\').append(n);
              }
            }
          }
          continue;
        }
        if (q == '"' && c == '$' && pos < s.length()
            && (Character.isLetter(s.charAt(pos)) || s.charAt(pos) == '_' || s.charAt(pos) == '{')) {
          throw error("variable interpolation in a double-quoted string is not supported");
        }
        if (q == '"' && c == '{' && pos < s.length() && s.charAt(pos) == '$') {
          throw error("variable interpolation in a double-quoted string is not supported");
        }
        b.append(c);
      }
      return b.toString();
    }

    private static boolean isHex(char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private void expect(char c) {
      if (pos >= s.length() || s.charAt(pos) != c) {
        throw unexpected("'" + c + "'");
      }
      pos++;
    }

    private AliasFileException unexpected(String expected) {
      if (pos >= s.length()) {
        return error("unexpected end of file; expected " + expected);
      }
      char c = s.charAt(pos);
      String what = switch (c) {
        case '.' -> "'.' (concatenation is not supported)";
        case '$' -> "'$' (variables are not supported)";
        default -> Text.quote(String.valueOf(c));
      };
      return error("unexpected " + what + "; expected " + expected);
    }

    private void skipSpace() {
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c == '\n') {
          line++;
          pos++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\u000b') {
          pos++;
        } else if (c == '#' || s.startsWith("//", pos)) {
          if (c == '#' && s.startsWith("#[", pos)) {
            throw error("attributes are not supported");
          }
          while (pos < s.length() && s.charAt(pos) != '\n') {
            if (s.startsWith("?>", pos)) {
              return; // a line comment ends at ?>
            }
            pos++;
          }
        } else if (s.startsWith("/*", pos)) {
          int startLine = line;
          int end = s.indexOf("*/", pos + 2);
          if (end < 0) {
            throw error(startLine, "comment not closed with '*/'");
          }
          for (int i = pos; i < end; i++) {
            if (s.charAt(i) == '\n') {
              line++;
            }
          }
          pos = end + 2;
        } else {
          return;
        }
      }
    }
  }
}
