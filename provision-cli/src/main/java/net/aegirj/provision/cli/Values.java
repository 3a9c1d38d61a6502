package net.aegirj.provision.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.Schema;

/** Renders canonical property values as text and JSON, and decides what is redacted. */
final class Values {
  /** What a redacted secret is shown as. */
  static final String REDACTED = "****";

  /**
   * Writes the command line's JSON. The trees are built from {@link JsonNodeFactory} and written
   * by {@link #write(JsonNode)} with Jackson's streaming generator, never through an
   * {@code ObjectMapper}: its class initialisation (date formats, and with them the locale data)
   * costs a short command about a tenth of its run (issue 19, start-up).
   */
  private static final JsonFactory FACTORY = new JsonFactory();

  /**
   * Properties the command line always treats as secret, in addition to those the schema marks
   * {@link PropertySpec#secret()}: the site's {@code cron_key} (redacted in the API's
   * {@code toString} but not marked secret in the schema) and service properties whose names say
   * they hold credentials.
   */
  private static final Set<String> ALWAYS_SECRET = Set.of("cron_key", "master_db");

  private Values() {}

  /**
   * @param type the context's type
   * @param property a property name
   * @param flagged whether the core flagged the resolved property as secret
   * @return true when the value must be redacted unless secrets are asked for
   */
  static boolean isSecret(ContextType type, String property, boolean flagged) {
    return flagged
        || ALWAYS_SECRET.contains(property)
        || property.contains("passw")
        || property.contains("secret")
        || Schema.find(type, property).map(PropertySpec::secret).orElse(false);
  }

  /**
   * @param value a canonical value: String, Boolean, Integer, {@code List<String>} or
   *     {@code Map<String, String>}
   * @return the value as a user would type it after {@code --prop=} (lists and maps
   *     comma-separated), with control and formatting characters escaped so that it cannot break
   *     a line or a terminal
   */
  static String text(Object value) {
    String raw;
    if (value instanceof List<?> list) {
      raw = list.stream().map(String::valueOf).collect(Collectors.joining(","));
    } else if (value instanceof Map<?, ?> map) {
      raw = map.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
          .collect(Collectors.joining(","));
    } else {
      raw = String.valueOf(value);
    }
    return sanitize(raw);
  }

  /**
   * @param value a canonical value
   * @return the value as JSON (strings, booleans, numbers, arrays, objects)
   */
  static JsonNode json(Object value) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (value == null) {
      return f.nullNode();
    } else if (value instanceof String s) {
      return f.textNode(s);
    } else if (value instanceof Boolean b) {
      return f.booleanNode(b);
    } else if (value instanceof Integer i) {
      return f.numberNode(i);
    } else if (value instanceof Long l) {
      return f.numberNode(l);
    } else if (value instanceof List<?> list) {
      ArrayNode a = f.arrayNode();
      list.forEach(e -> a.add(json(e)));
      return a;
    } else if (value instanceof Map<?, ?> map) {
      ObjectNode o = f.objectNode();
      map.forEach((k, v) -> o.set(String.valueOf(k), json(v)));
      return o;
    }
    throw new IllegalArgumentException("not a canonical value: " + value.getClass().getName());
  }

  /** @return a new, empty JSON object */
  static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  /**
   * @param node a tree built by this class's methods
   * @return its compact JSON text
   */
  static String write(JsonNode node) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(w)) {
      write(g, node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  private static void write(JsonGenerator g, JsonNode node) throws IOException {
    switch (node.getNodeType()) {
      case OBJECT -> {
        g.writeStartObject();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          g.writeFieldName(e.getKey());
          write(g, e.getValue());
        }
        g.writeEndObject();
      }
      case ARRAY -> {
        g.writeStartArray();
        for (JsonNode e : node) {
          write(g, e);
        }
        g.writeEndArray();
      }
      case STRING -> g.writeString(node.textValue());
      case BOOLEAN -> g.writeBoolean(node.booleanValue());
      case NULL, MISSING -> g.writeNull();
      case NUMBER -> {
        switch (node.numberType()) {
          case INT -> g.writeNumber(node.intValue());
          case LONG -> g.writeNumber(node.longValue());
          case BIG_INTEGER -> g.writeNumber(node.bigIntegerValue());
          case FLOAT, DOUBLE -> g.writeNumber(node.doubleValue());
          default -> g.writeNumber(node.decimalValue());
        }
      }
      default -> throw new IllegalArgumentException("cannot write a JSON " + node.getNodeType() + " node");
    }
  }

  /**
   * Escapes everything that could forge a line or control a terminal: control characters (as
   * {@code \n}, {@code \r}, {@code \t} or {@code \}{@code uXXXX}), Unicode format characters such
   * as bidirectional overrides, and line and paragraph separators.
   *
   * @param s any text
   * @return the text on one line, safe to print
   */
  static String sanitize(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String replacement = switch (c) {
        case '\n' -> "\\n";
        case '\r' -> "\\r";
        case '\t' -> "\\t";
        default -> {
          int t = Character.getType(c);
          boolean unsafe = t == Character.CONTROL || t == Character.FORMAT
              || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR
              || t == Character.UNASSIGNED || t == Character.PRIVATE_USE;
          yield unsafe ? String.format("\\u%04x", (int) c) : null;
        }
      };
      if (replacement != null && b == null) {
        b = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      if (b != null) {
        if (replacement != null) {
          b.append(replacement);
        } else {
          b.append(c);
        }
      }
    }
    return b == null ? s : b.toString();
  }
}
