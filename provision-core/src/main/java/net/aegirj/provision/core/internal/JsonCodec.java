package net.aegirj.provision.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.spi.Versioned;

/**
 * The JSON form of a stored context: {@code {"format":1,"name":…,"context_type":…,"version":…,
 * "properties":{…}}}, properties in canonical form.
 */
public final class JsonCodec {
  /** The file format written by this version. */
  public static final int FORMAT = 1;

  private static final ObjectWriter WRITER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writer();
  private static final JsonFactory READER =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private JsonCodec() {}

  /**
   * @param v a stored context
   * @return its JSON document, UTF-8, ending with a newline
   */
  public static byte[] write(Versioned v) {
    // Written token by token with the pretty printer of INDENT_OUTPUT: the bytes the tree of the
    // same document gives (JsonCodecTest compares them), without building the tree and looking
    // up a serializer for each of its values.
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try (JsonGenerator g = WRITER.createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("format", FORMAT);
      g.writeStringField("name", v.context().name().value());
      g.writeStringField("context_type", v.context().type().id());
      g.writeNumberField("version", v.version());
      g.writeObjectFieldStart("properties");
      for (Map.Entry<String, Object> e : ContextProperties.toMap(v.context()).entrySet()) {
        g.writeFieldName(e.getKey());
        writeValue(g, e.getValue());
      }
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("cannot render " + v.context().name(), e);
    }
    out.write('\n');
    return out.toByteArray();
  }

  /** Writes a canonical value: a string, an integer, a boolean, a list of strings, a map of strings. */
  private static void writeValue(JsonGenerator g, Object value) throws IOException {
    if (value instanceof String s) {
      g.writeString(s);
    } else if (value instanceof Integer i) {
      g.writeNumber(i);
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (value instanceof List<?> l) {
      g.writeStartArray();
      for (Object o : l) {
        writeValue(g, o);
      }
      g.writeEndArray();
    } else if (value instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        g.writeFieldName((String) e.getKey());
        writeValue(g, e.getValue());
      }
      g.writeEndObject();
    } else {
      throw new IllegalStateException("not a canonical value: " + (value == null ? "null" : value.getClass()));
    }
  }

  /**
   * @param bytes a JSON document written by {@link #write(Versioned)}
   * @return the stored context
   * @throws IOException when the document is not a stored context
   */
  public static Versioned read(byte[] bytes) throws IOException {
    return read(bytes, 0, bytes.length);
  }

  /**
   * @param buffer holds a JSON document written by {@link #write(Versioned)}
   * @param offset where the document starts
   * @param length its length in bytes
   * @return the stored context
   * @throws IOException when the document is not a stored context
   */
  public static Versioned read(byte[] buffer, int offset, int length) throws IOException {
    // A streaming parse: this runs for every context of every list(), and a tree would be built
    // only to be copied out again. Duplicate fields are refused rather than one silently winning.
    try (JsonParser p = READER.createParser(buffer, offset, length)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("not a JSON object");
      }
      int format = -1;
      String formatText = "none";
      String name = null;
      String type = null;
      Long version = null;
      Map<String, Object> properties = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "format" -> {
            formatText = t.isScalarValue() ? p.getText() : t.toString();
            format = t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT
                ? p.getIntValue() : -1;
            p.skipChildren();
          }
          case "name" -> name = t == JsonToken.VALUE_STRING ? p.getText() : skip(p);
          case "context_type" -> type = t == JsonToken.VALUE_STRING ? p.getText() : skip(p);
          case "version" -> version = t == JsonToken.VALUE_NUMBER_INT ? Long.valueOf(p.getLongValue()) : skip(p);
          case "properties" -> properties = t == JsonToken.START_OBJECT ? properties(p) : skip(p);
          default -> p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        throw new IOException("content after the JSON object");
      }
      if (format != FORMAT) {
        throw new IOException("unsupported format " + Text.quote(formatText) + " (expected " + FORMAT + ")");
      }
      if (name == null) {
        throw new IOException("missing name");
      }
      if (type == null) {
        throw new IOException("missing context_type");
      }
      if (version == null) {
        throw new IOException("missing version");
      }
      if (properties == null) {
        throw new IOException("missing properties");
      }
      Context context = ContextProperties.fromMap(ContextType.fromId(type), ContextName.of(name), properties);
      return new Versioned(context, version);
    }
  }

  /** Skips a value of the wrong type (an object or array whole), so that what follows still parses. */
  private static <T> T skip(JsonParser p) throws IOException {
    p.skipChildren();
    return null;
  }

  /** Reads the members of the properties object; the parser is on its START_OBJECT. */
  private static Map<String, Object> properties(JsonParser p) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      m.put(key, value(p, p.nextToken()));
    }
    return m;
  }

  private static Object value(JsonParser p, JsonToken t) throws IOException {
    switch (t) {
      case VALUE_STRING:
        return p.getText();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NUMBER_INT:
        if (p.getNumberType() == JsonParser.NumberType.INT) {
          return p.getIntValue();
        }
        throw new IOException("unsupported JSON value " + p.getText() + " (numbers are ints)");
      case START_ARRAY: {
        List<String> l = new ArrayList<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
          if (e != JsonToken.VALUE_STRING) {
            throw new IOException("list entries must be strings");
          }
          l.add(p.getText());
        }
        return l;
      }
      case START_OBJECT: {
        Map<String, String> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          if (p.nextToken() != JsonToken.VALUE_STRING) {
            throw new IOException("map values must be strings");
          }
          m.put(key, p.getText());
        }
        return m;
      }
      default:
        throw new IOException("unsupported JSON value " + t);
    }
  }
}
