package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.api.ContextType;
import org.junit.jupiter.api.Test;

class ValuesTest {
  @Test
  void textRendersValuesAsTheyAreTyped() {
    assertThat(Values.text(List.of("a.com", "b.com"))).as("a list").isEqualTo("a.com,b.com");
    Map<String, String> map = new LinkedHashMap<>();
    map.put("server_web", "10.0.0.1");
    map.put("server_db", "10.0.0.2");
    assertThat(Values.text(map)).as("a map").isEqualTo("server_web=10.0.0.1,server_db=10.0.0.2");
    assertThat(Values.text(Boolean.TRUE)).as("a boolean").isEqualTo("true");
    assertThat(Values.text(22)).as("an integer").isEqualTo("22");
  }

  @Test
  void sanitizeKeepsEverythingOnOneSafeLine() {
    assertThat(Values.sanitize("a\nb\rc\td")).as("control characters").isEqualTo("a\\nb\\rc\\td");
    assertThat(Values.sanitize("x\u001b[2Jy")).as("terminal escapes").isEqualTo("x\\u001b[2Jy");
    assertThat(Values.sanitize("abc\u202egpj.exe")).as("bidirectional overrides").isEqualTo("abc\\u202egpj.exe");
    assertThat(Values.sanitize("a\u2028b")).as("line separators").isEqualTo("a\\u2028b");
    assertThat(Values.sanitize("plain text, café")).as("ordinary text is unchanged").isEqualTo("plain text, café");
  }

  @Test
  void secretsIncludeTheCronKey() {
    assertThat(Values.isSecret(ContextType.SITE, "cron_key", false)).as("cron_key").isTrue();
    assertThat(Values.isSecret(ContextType.SERVER, "db_password", false)).as("a password-like extra").isTrue();
    assertThat(Values.isSecret(ContextType.SITE, "aliases", false)).as("aliases").isFalse();
    assertThat(Values.isSecret(ContextType.SITE, "aliases", true)).as("flagged by the core").isTrue();
  }
}
