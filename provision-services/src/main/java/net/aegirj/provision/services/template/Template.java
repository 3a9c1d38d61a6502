package net.aegirj.provision.services.template;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed template. Parsing fails on unbalanced sections; rendering fails on a variable that is
 * not defined, so a typo in an operator's template is an error, not an empty string in a config
 * file.
 */
public final class Template {
  private final String name;
  private final List<Node> nodes;

  private Template(String name, List<Node> nodes) {
    this.name = name;
    this.nodes = nodes;
  }

  private sealed interface Node permits Text, Var, Section {}

  private record Text(String text) implements Node {}

  private record Var(String name, int line) implements Node {}

  private record Section(String name, boolean inverted, List<Node> body, int line) implements Node {}

  /**
   * @param name the template's name, for error messages
   * @param source the template text
   * @return the parsed template
   * @throws IllegalArgumentException on a syntax error, naming the template and line
   */
  public static Template parse(String name, String source) {
    Deque<Section> open = new ArrayDeque<>();
    Deque<List<Node>> bodies = new ArrayDeque<>();
    List<Node> root = new ArrayList<>();
    bodies.push(root);
    int pos = 0;
    while (pos < source.length()) {
      int start = source.indexOf("{{", pos);
      if (start < 0) {
        bodies.peek().add(new Text(source.substring(pos)));
        break;
      }
      int end = source.indexOf("}}", start + 2);
      if (end < 0) {
        throw new IllegalArgumentException(name + ":" + line(source, start) + ": '{{' without '}}'");
      }
      String tag = source.substring(start + 2, end).trim();
      int tagLine = line(source, start);
      // A section tag alone on its line takes the line with it.
      int textEnd = start;
      int next = end + 2;
      if (!tag.isEmpty() && (tag.charAt(0) == '#' || tag.charAt(0) == '^' || tag.charAt(0) == '/')) {
        int lineStart = source.lastIndexOf('\n', start - 1) + 1;
        int lineEnd = source.indexOf('\n', end + 2);
        if (lineEnd < 0) {
          lineEnd = source.length();
        }
        if (source.substring(lineStart, start).isBlank() && source.substring(end + 2, lineEnd).isBlank()) {
          textEnd = lineStart;
          next = Math.min(lineEnd + 1, source.length());
        }
      }
      if (textEnd > pos) {
        bodies.peek().add(new Text(source.substring(pos, textEnd)));
      }
      pos = next;
      if (tag.isEmpty()) {
        throw new IllegalArgumentException(name + ":" + tagLine + ": empty tag");
      }
      char c = tag.charAt(0);
      if (c == '#' || c == '^') {
        Section s = new Section(checkName(name, tagLine, tag.substring(1).trim()), c == '^', new ArrayList<>(), tagLine);
        bodies.peek().add(s);
        open.push(s);
        bodies.push(s.body());
      } else if (c == '/') {
        String closing = tag.substring(1).trim();
        if (open.isEmpty() || !open.peek().name().equals(closing)) {
          throw new IllegalArgumentException(name + ":" + tagLine + ": '{{/" + closing + "}}' closes "
              + (open.isEmpty() ? "nothing" : "'" + open.peek().name() + "' opened on line " + open.peek().line()));
        }
        open.pop();
        bodies.pop();
      } else {
        bodies.peek().add(new Var(checkName(name, tagLine, tag), tagLine));
      }
    }
    if (!open.isEmpty()) {
      throw new IllegalArgumentException(name + ":" + open.peek().line() + ": section '" + open.peek().name()
          + "' is never closed");
    }
    return new Template(name, List.copyOf(root));
  }

  private static String checkName(String template, int line, String n) {
    if (!n.equals(".") && !n.matches("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*")) {
      throw new IllegalArgumentException(template + ":" + line + ": bad tag name '" + n + "'");
    }
    return n;
  }

  private static int line(String s, int pos) {
    int n = 1;
    for (int i = 0; i < pos; i++) {
      if (s.charAt(i) == '\n') {
        n++;
      }
    }
    return n;
  }

  /** @return the template's name */
  public String name() {
    return name;
  }

  /**
   * Renders the template. Values may be strings, numbers, booleans, {@link Optional}s, lists
   * (of values or of maps) and maps (whose keys are reached with dotted names or inside sections).
   *
   * @param values the values by name
   * @return the rendered text
   * @throws IllegalArgumentException for a variable with no value, naming the template and line
   */
  public String render(Map<String, ?> values) {
    StringBuilder out = new StringBuilder();
    Deque<Object> scopes = new ArrayDeque<>();
    scopes.push(values);
    render(nodes, scopes, out);
    return out.toString();
  }

  private void render(List<Node> list, Deque<Object> scopes, StringBuilder out) {
    for (Node n : list) {
      if (n instanceof Text t) {
        out.append(t.text());
      } else if (n instanceof Var v) {
        Object value = lookup(scopes, v.name());
        if (value == null) {
          throw new IllegalArgumentException(name + ":" + v.line() + ": no value for '" + v.name() + "'");
        }
        out.append(value instanceof Optional<?> o ? o.orElseThrow() : value);
      } else if (n instanceof Section s) {
        Object value = lookup(scopes, s.name());
        boolean truthy = truthy(value);
        if (s.inverted()) {
          if (!truthy) {
            render(s.body(), scopes, out);
          }
          continue;
        }
        if (!truthy) {
          continue;
        }
        if (value instanceof Collection<?> c) {
          for (Object element : c) {
            scopes.push(element);
            render(s.body(), scopes, out);
            scopes.pop();
          }
        } else if (value instanceof Map<?, ?> || value instanceof Optional<?>) {
          scopes.push(value instanceof Optional<?> o ? o.get() : value);
          render(s.body(), scopes, out);
          scopes.pop();
        } else {
          render(s.body(), scopes, out);
        }
      }
    }
  }

  private static boolean truthy(Object v) {
    if (v == null || Boolean.FALSE.equals(v)) {
      return false;
    }
    if (v instanceof Optional<?> o) {
      return o.isPresent();
    }
    if (v instanceof Collection<?> c) {
      return !c.isEmpty();
    }
    if (v instanceof CharSequence s) {
      return s.length() > 0;
    }
    return true;
  }

  private static Object lookup(Deque<Object> scopes, String dotted) {
    if (dotted.equals(".")) {
      return scopes.peek();
    }
    String[] parts = dotted.split("\\.");
    for (Object scope : scopes) {
      if (scope instanceof Map<?, ?> m && m.containsKey(parts[0])) {
        Object v = m.get(parts[0]);
        for (int i = 1; i < parts.length && v != null; i++) {
          if (v instanceof Optional<?> o) {
            v = o.orElse(null);
          }
          v = v instanceof Map<?, ?> mm ? mm.get(parts[i]) : null;
        }
        return v;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return "Template[" + name + "]";
  }
}
