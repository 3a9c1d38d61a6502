package net.aegirj.provision.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.spi.Versioned;
import org.junit.jupiter.api.Test;

/** What the context file parser accepts and what it refuses, and why. */
class JsonCodecTest {
  private static final String GOOD = "{\"format\":1,\"name\":\"a.example.com\",\"context_type\":\"site\","
      + "\"version\":3,\"properties\":{\"platform\":\"@p\",\"aliases\":[\"www.a.example.com\"],"
      + "\"site_enabled\":false,\"ssl_enabled\":1,\"ip_addresses\":{\"server_master\":\"10.0.0.1\"}}}";

  private static Versioned read(String json) throws IOException {
    return JsonCodec.read(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsEveryKindOfValueAndUnknownTopLevelFields() throws IOException {
    Versioned v = read(GOOD.replace("{\"format\"", "{\"comment\":{\"x\":[1,2]},\"format\""));
    assertThat(v.version()).as("version").isEqualTo(3);
    Site s = (Site) v.context();
    assertThat(s.aliases()).as("a list of strings").isEqualTo(List.of("www.a.example.com"));
    assertThat(s.siteEnabled()).as("a boolean").contains(false);
    assertThat(s.ipAddresses()).as("a map of strings").containsEntry("server_master", "10.0.0.1");
    assertThat(JsonCodec.read(JsonCodec.write(v))).as("what is written reads back the same").isEqualTo(v);
  }

  /** The document as the tree of it printed it (how {@link JsonCodec#write} made it before it streamed). */
  private static String asTree(Versioned v) throws IOException {
    ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = m.createObjectNode();
    root.put("format", JsonCodec.FORMAT);
    root.put("name", v.context().name().value());
    root.put("context_type", v.context().type().id());
    root.put("version", v.version());
    root.set("properties", m.valueToTree(ContextProperties.toMap(v.context())));
    return new String(m.writeValueAsBytes(root), StandardCharsets.UTF_8) + "\n";
  }

  @Test
  void writesTheBytesOfTheTreeOfTheDocument() throws IOException {
    Server server = Server.builder().name(ContextName.MASTER).remoteHost("localhost")
        .putExtras("nginx_has_etag", "1").putExtras("http_port", "8080").build();
    Platform bare = Platform.builder().name(ContextName.of("platform_x")).root(Path.of("/var/aegir/platforms/x")).build();
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("platform", "@platform_x");
    props.put("aliases", List.of("www.a.example.com", "b.example.com"));
    props.put("site_enabled", false);
    props.put("ssl_enabled", 1);
    props.put("ip_addresses", Map.of("server_master", "10.0.0.1"));
    Context site = ContextProperties.fromMap(ContextType.SITE, ContextName.of("a.example.com"), props);
    for (Versioned v : List.of(read(GOOD), new Versioned(server, 1), new Versioned(bare, 12_345_678_901L),
        new Versioned(site, 7))) {
      assertThat(new String(JsonCodec.write(v), StandardCharsets.UTF_8))
          .as("%s is written byte for byte as before (files and their list snapshot compare bytes)", v.context().name())
          .isEqualTo(asTree(v));
    }
  }

  @Test
  void refusesDocumentsThatAreNotStoredContexts() {
    record Bad(String json, String why) {}
    List<Bad> bad = List.of(
        new Bad("[]", "not a JSON object"),
        new Bad(GOOD.replace("\"format\":1", "\"format\":\"1\""), "unsupported format '1'"),
        new Bad(GOOD.replace("\"format\":1", "\"format\":2"), "unsupported format '2'"),
        new Bad(GOOD.replace("\"format\":1,", ""), "unsupported format 'none'"),
        new Bad(GOOD.replace("\"name\":\"a.example.com\"", "\"name\":{\"x\":[1]}"), "missing name"),
        new Bad(GOOD.replace("\"version\":3", "\"version\":[3]"), "missing version"),
        new Bad(GOOD.replace("\"version\":3", "\"version\":3.5"), "missing version"),
        new Bad(GOOD.replace("\"name\":\"a.example.com\",", ""), "missing name"),
        new Bad(GOOD.replace("\"context_type\":\"site\",", ""), "missing context_type"),
        new Bad(GOOD.replace("\"version\":3,", "\"version\":3,\"version\":4,"), "Duplicate field 'version'"),
        new Bad(GOOD.replace("\"site_enabled\":false", "\"site_enabled\":false,\"site_enabled\":true"),
            "Duplicate field 'site_enabled'"),
        new Bad(GOOD + "{}", "content after the JSON object"),
        new Bad(GOOD.substring(0, GOOD.length() - 5), "end-of-input"),
        new Bad(GOOD.replace("[\"www.a.example.com\"]", "[1]"), "list entries must be strings"),
        new Bad(GOOD.replace("\"10.0.0.1\"", "1"), "map values must be strings"),
        new Bad(GOOD.replace("\"ssl_enabled\":1", "\"ssl_enabled\":12345678901"), "numbers are ints"),
        new Bad(GOOD.replace("\"ssl_enabled\":1", "\"ssl_enabled\":null"), "unsupported JSON value"));
    for (Bad b : bad) {
      assertThatThrownBy(() -> read(b.json())).as("%s is refused", b.json())
          .isInstanceOf(IOException.class).hasMessageContaining(b.why());
    }
  }

  @Test
  void refusesHostileValuesThroughTheSchema() {
    assertThatThrownBy(() -> read(GOOD.replace("www.a.example.com", "www.a.example.com;id")))
        .as("a file is validated like a save").isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("aliases");
  }

  @Test
  void writesTheIndentedLayoutThatFilesOnDiskHave() throws IOException {
    // The layout Jackson's ObjectMapper with INDENT_OUTPUT gave before the codec went streaming:
    // repositories written by older versions must not all change on their next save.
    String expected = """
        {
          "format" : 1,
          "name" : "a.example.com",
          "context_type" : "site",
          "version" : 3,
          "properties" : {
        """;
    String written = new String(JsonCodec.write(read(GOOD)), StandardCharsets.UTF_8);
    assertThat(written).as("the same header, key order and indentation as before").startsWith(expected)
        .as("lists on one line").contains("\"aliases\" : [ \"www.a.example.com\" ]")
        .as("maps indented").contains("\"ip_addresses\" : {\n      \"server_master\" : \"10.0.0.1\"\n    }")
        .as("a boolean and a number").contains("\"site_enabled\" : false").contains("\"ssl_enabled\" : 1")
        .as("one newline at the end").endsWith("}\n").doesNotEndWith("\n\n");
  }
}
