package net.aegirj.provision.core.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.spi.Versioned;

/**
 * The JSON form of a stored context: {@code {"format":1,"name":…,"context_type":…,"version":…,
 * "properties":{…}}}, properties in canonical form.
 */
public final class JsonCodec {
  /** The file format written by this version. */
  public static final int FORMAT = 1;

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private JsonCodec() {}

  /**
   * @param v a stored context
   * @return its JSON document, UTF-8, ending with a newline
   */
  public static byte[] write(Versioned v) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format", FORMAT);
    root.put("name", v.context().name().value());
    root.put("context_type", v.context().type().id());
    root.put("version", v.version());
    root.set("properties", MAPPER.valueToTree(ContextProperties.toMap(v.context())));
    try {
      byte[] body = MAPPER.writeValueAsBytes(root);
      byte[] out = new byte[body.length + 1];
      System.arraycopy(body, 0, out, 0, body.length);
      out[body.length] = '\n';
      return out;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render " + v.context().name(), e);
    }
  }

  /**
   * @param bytes a JSON document written by {@link #write(Versioned)}
   * @return the stored context
   * @throws IOException when the document is not a stored context
   */
  public static Versioned read(byte[] bytes) throws IOException {
    JsonNode root = MAPPER.readTree(bytes);
    if (root == null || !root.isObject()) {
      throw new IOException("not a JSON object");
    }
    int format = root.path("format").asInt(-1);
    if (format != FORMAT) {
      throw new IOException("unsupported format " + root.path("format") + " (expected " + FORMAT + ")");
    }
    ContextName name = ContextName.of(text(root, "name"));
    ContextType type = ContextType.fromId(text(root, "context_type"));
    JsonNode version = root.get("version");
    if (version == null || !version.canConvertToLong()) {
      throw new IOException("missing version");
    }
    JsonNode props = root.get("properties");
    if (props == null || !props.isObject()) {
      throw new IOException("missing properties");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = props.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      m.put(e.getKey(), canonical(e.getValue()));
    }
    Context context = ContextProperties.fromMap(type, name, m);
    return new Versioned(context, version.asLong());
  }

  private static String text(JsonNode root, String field) throws IOException {
    JsonNode n = root.get(field);
    if (n == null || !n.isTextual()) {
      throw new IOException("missing " + field);
    }
    return n.asText();
  }

  private static Object canonical(JsonNode n) throws IOException {
    if (n.isTextual()) {
      return n.asText();
    }
    if (n.isBoolean()) {
      return n.asBoolean();
    }
    if (n.isInt()) {
      return n.asInt();
    }
    if (n.isArray()) {
      List<String> l = new ArrayList<>();
      for (JsonNode e : n) {
        if (!e.isTextual()) {
          throw new IOException("list entries must be strings");
        }
        l.add(e.asText());
      }
      return l;
    }
    if (n.isObject()) {
      Map<String, String> m = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = n.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isTextual()) {
          throw new IOException("map values must be strings");
        }
        m.put(e.getKey(), e.getValue().asText());
      }
      return m;
    }
    throw new IOException("unsupported JSON value " + n.getNodeType());
  }
}
