package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SaveArgumentsTest {
  @Test
  void parsesTheNameAndProperties() {
    SaveArguments a = SaveArguments.parse(List.of("@x", "--context_type=site", "--aliases", "a.com,b.com",
        "--cron_key=null", "--ssh_port", "-1", "--root=/a=b"));
    assertThat(a.name()).as("the name").isEqualTo("@x");
    assertThat(a.changes().changes()).as("the changes, in order, null meaning reset")
        .containsExactly(
            java.util.Map.entry("context_type", Optional.of("site")),
            java.util.Map.entry("aliases", Optional.of("a.com,b.com")),
            java.util.Map.entry("cron_key", Optional.empty()),
            java.util.Map.entry("ssh_port", Optional.of("-1")),
            java.util.Map.entry("root", Optional.of("/a=b")));
  }

  @Test
  void refusesMalformedArguments() {
    assertThatThrownBy(() -> SaveArguments.parse(List.of())).as("no name")
        .isInstanceOf(UsageException.class).hasMessageContaining("missing context name");
    assertThatThrownBy(() -> SaveArguments.parse(List.of("--context_type=site", "@x"))).as("options before the name")
        .isInstanceOf(UsageException.class).hasMessageContaining("missing context name");
    assertThatThrownBy(() -> SaveArguments.parse(List.of("@x", "--aliases"))).as("no value at the end")
        .isInstanceOf(UsageException.class).hasMessageContaining("--aliases=VALUE");
    assertThatThrownBy(() -> SaveArguments.parse(List.of("@x", "--aliases", "--root=/x"))).as("no value before an option")
        .isInstanceOf(UsageException.class).hasMessageContaining("needs a value");
    assertThatThrownBy(() -> SaveArguments.parse(List.of("@x", "stray"))).as("a stray word")
        .isInstanceOf(UsageException.class).hasMessageContaining("'stray'");
    assertThatThrownBy(() -> SaveArguments.parse(List.of("@x", "-a"))).as("a short option")
        .isInstanceOf(UsageException.class).hasMessageContaining("'-a'");
    assertThatThrownBy(() -> SaveArguments.parse(List.of("@x", "--=1"))).as("no property name")
        .isInstanceOf(UsageException.class).hasMessageContaining("no property name");
  }
}
