package net.aegirj.provision.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Text;

/**
 * Many contexts for one {@code provision save --from=FILE|-}: JSON lines, one context a line.
 *
 * <pre>
 * {"name": "@a.example.com", "properties": {"context_type": "site", "platform": "@platform_d10"}}
 * {"name": "@b.example.com", "properties": {"aliases": ["www.b.example.com"], "redirection": null}}
 * {"name": "@old.example.com", "delete": true}
 * </pre>
 *
 * <p>A line holds {@code name}, then {@code properties} (an object) or {@code delete} (and
 * {@code forget}) as {@code save @name --delete [--forget]} takes them. A property value is a
 * string, a number or a boolean (given as its text, as on the command line), {@code null} (resets
 * the property) or an array of strings (a list property). Blank lines are skipped. The whole input
 * is read and checked before anything is saved: a malformed line refuses it all, naming the line
 * number and the problem but never a value (a line may hold a secret). Bounds: {@value
 * #MAX_BYTES} bytes, {@value #MAX_LINES} contexts, {@value #MAX_LINE} bytes a line; a name given
 * twice is refused.
 */
final class ContextLines {
  /** The largest input: 64 MiB. */
  static final int MAX_BYTES = 64 * 1024 * 1024;
  /** The most contexts in one input. */
  static final int MAX_LINES = 100_000;
  /** The longest line: 1 MiB. */
  static final int MAX_LINE = 1024 * 1024;

  private static final Set<String> KEYS = Set.of("name", "properties", "delete", "forget");

  private static final ObjectMapper STRICT = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  static {
    STRICT.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8)
        .maxStringLength(MAX_LINE).maxNumberLength(64).build());
  }

  /**
   * One context of the input.
   *
   * @param line its line number, from 1
   * @param name the context's name as given
   * @param changes the properties to save (empty for a delete)
   * @param delete whether the line deletes the context
   * @param forget with {@code delete}: forget an installed site, leaving it running
   */
  record Line(int line, String name, PropertyChanges changes, boolean delete, boolean forget) {
    @Override
    public String toString() {
      // The changes may hold a secret.
      return "Line[" + line + ", " + name + (delete ? ", delete" : "") + "]";
    }
  }

  private ContextLines() {}

  /**
   * @param source how errors name the input
   * @param bytes the input
   * @return its contexts, in order
   * @throws UsageException naming the line number of the first malformed line
   */
  static List<Line> parse(String source, byte[] bytes) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new UsageException(source + ": not UTF-8 text");
    }
    List<Line> out = new ArrayList<>();
    Map<ContextName, Integer> seen = new HashMap<>();
    int number = 0;
    int start = 0;
    while (start < text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      number++;
      String raw = text.substring(start, end);
      start = end + 1;
      if (raw.endsWith("\r")) {
        raw = raw.substring(0, raw.length() - 1);
      }
      if (raw.isBlank()) {
        continue;
      }
      if (raw.length() > MAX_LINE) {
        throw new UsageException(source + ", line " + number + ": longer than " + MAX_LINE + " characters");
      }
      if (out.size() == MAX_LINES) {
        throw new UsageException(source + ": more than " + MAX_LINES + " contexts; split the input");
      }
      Line line = line(source, number, raw);
      ContextName name = ContextName.of(line.name());
      Integer earlier = seen.put(name, number);
      if (earlier != null) {
        throw new UsageException(source + ", line " + number + ": " + name + " is also on line " + earlier
            + "; give each context once");
      }
      out.add(line);
    }
    if (out.isEmpty()) {
      throw new UsageException(source + ": no context (one JSON object a line, e.g. "
          + "{\"name\": \"@example.com\", \"properties\": {\"context_type\": \"site\"}})");
    }
    return out;
  }

  private static Line line(String source, int number, String raw) {
    String at = source + ", line " + number + ": ";
    JsonNode node;
    try {
      node = STRICT.readTree(raw);
    } catch (JsonProcessingException e) {
      // Jackson's message may quote the text; say only where.
      String what = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")
          ? "a key given twice" : "not one JSON object";
      throw new UsageException(at + what + " (column " + (e.getLocation() == null ? "?" : e.getLocation().getColumnNr())
          + ")");
    }
    if (node == null || !node.isObject()) {
      throw new UsageException(at + "not a JSON object");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw new UsageException(at + "unknown key " + Text.quote(key) + "; a line has name, properties,"
            + " delete and forget");
      }
    }
    JsonNode name = node.get("name");
    if (name == null || !name.isTextual()) {
      throw new UsageException(at + "\"name\" must be the context's name, a string such as \"@example.com\"");
    }
    try {
      ContextName.of(name.asText());
    } catch (InvalidContextException e) {
      throw new UsageException(at + e.getMessage());
    }
    boolean delete = flag(at, node, "delete");
    boolean forget = flag(at, node, "forget");
    JsonNode props = node.get("properties");
    if (delete) {
      if (props != null) {
        throw new UsageException(at + "a line that deletes takes no properties");
      }
      return new Line(number, name.asText(), PropertyChanges.builder().build(), true, forget);
    }
    if (forget) {
      throw new UsageException(at + "\"forget\" goes with \"delete\": true");
    }
    if (props == null || !props.isObject()) {
      throw new UsageException(at + "\"properties\" must be an object of property names and values");
    }
    PropertyChanges.Builder b = PropertyChanges.builder();
    for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> e = it.next();
      String property = e.getKey();
      if (!property.matches("[a-z][a-z0-9_]{0,63}")) {
        throw new UsageException(at + "property name " + Text.quote(property)
            + " is not a property name (lower case letters, digits and '_')");
      }
      JsonNode v = e.getValue();
      if (v.isNull()) {
        b.reset(property);
      } else if (v.isTextual() || v.isNumber() || v.isBoolean()) {
        b.set(property, v.asText());
      } else if (v.isArray()) {
        List<String> items = new ArrayList<>();
        for (JsonNode item : v) {
          if (!item.isTextual() || item.asText().contains(",")) {
            throw new UsageException(at + "property " + property + ": a list holds strings without commas");
          }
          items.add(item.asText());
        }
        b.set(property, String.join(",", items));
      } else {
        throw new UsageException(at + "property " + property + ": a value is a string, a number, a boolean,"
            + " null or a list of strings");
      }
    }
    return new Line(number, name.asText(), b.build(), false, false);
  }

  private static boolean flag(String at, JsonNode node, String key) {
    JsonNode v = node.get(key);
    if (v == null) {
      return false;
    }
    if (!v.isBoolean()) {
      throw new UsageException(at + "\"" + key + "\" must be true or false");
    }
    return v.asBoolean();
  }
}
