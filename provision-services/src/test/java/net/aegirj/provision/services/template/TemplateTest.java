package net.aegirj.provision.services.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TemplateTest {
  @Test
  void insertsValuesAndRepeatsSections() {
    Template t = Template.parse("t", "server_name {{uri}}{{#aliases}} {{.}}{{/aliases}};\n"
        + "{{#envs}}\nfastcgi_param {{name}} {{value}};\n{{/envs}}\n"
        + "{{^enabled}}\nreturn 302 {{url}};\n{{/enabled}}\n");
    String out = t.render(Map.of("uri", "a.example.com", "aliases", List.of("b.example.com", "c.example.com"),
        "envs", List.of(Map.of("name", "db_name", "value", "a"), Map.of("name", "db_user", "value", "u")),
        "enabled", false, "url", "http://x/hosting/disabled"));
    assertThat(out).as("variables, lists of values, lists of maps, inverted sections; standalone tags take their line")
        .isEqualTo("server_name a.example.com b.example.com c.example.com;\n"
            + "fastcgi_param db_name a;\nfastcgi_param db_user u;\n"
            + "return 302 http://x/hosting/disabled;\n");
  }

  @Test
  void optionalsAndDottedNames() {
    Template t = Template.parse("t", "{{#ssl}}listen {{ssl.port}} ssl;{{/ssl}}{{^ssl}}plain{{/ssl}}");
    assertThat(t.render(Map.of("ssl", Optional.of(Map.of("port", 443)))))
        .as("a present optional opens its section").isEqualTo("listen 443 ssl;");
    assertThat(t.render(Map.of("ssl", Optional.empty()))).as("an empty one shows the inverted section")
        .isEqualTo("plain");
  }

  @Test
  void mistakesAreErrorsNotEmptyStrings() {
    assertThatThrownBy(() -> Template.parse("vhost", "a\n{{#x}}b"))
        .as("an unclosed section names template and line").hasMessageContaining("vhost:2")
        .hasMessageContaining("never closed");
    assertThatThrownBy(() -> Template.parse("vhost", "{{#x}}{{/y}}"))
        .as("a mismatched close").hasMessageContaining("closes 'x'");
    assertThatThrownBy(() -> Template.parse("vhost", "root {{root}};").render(Map.of()))
        .as("a missing value is an error").hasMessageContaining("no value for 'root'");
    assertThatThrownBy(() -> Template.parse("vhost", "{{Root}}"))
        .as("tag names are lower-case identifiers").hasMessageContaining("bad tag name");
  }
}
