package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InvocationTest {
  @Test
  void globalOptionsAreTakenFromAnywhere() {
    Invocation i = Invocation.parse(new String[] {"show", "--json", "@x", "--home", "/h", "--debug", "--verbose"});
    assertThat(i.arguments()).as("the rest, in order").containsExactly("show", "@x");
    assertThat(i.home()).as("--home DIR").contains(Path.of("/h"));
    assertThat(i.json()).as("--json").isTrue();
    assertThat(i.debug()).as("--debug").isTrue();
    assertThat(i.verbose()).as("--verbose").isTrue();
    assertThat(i.problem()).as("no problem").isEmpty();

    Invocation eq = Invocation.parse(new String[] {"--home=/other", "list"});
    assertThat(eq.home()).as("--home=DIR").contains(Path.of("/other"));
    assertThat(eq.json()).as("no --json").isFalse();
    assertThat(eq.verbose()).as("no --verbose").isFalse();
  }

  @Test
  void doubleDashEndsGlobalOptions() {
    Invocation i = Invocation.parse(new String[] {"save", "@x", "--", "--json"});
    assertThat(i.json()).as("--json after -- is not global").isFalse();
    assertThat(i.arguments()).as("kept as arguments").containsExactly("save", "@x", "--", "--json");
  }

  @Test
  void aegirOrderIsRewritten() {
    assertThat(Invocation.parse(new String[] {"@example.com", "show"}).arguments())
        .as("@name command").containsExactly("show", "@example.com");
    assertThat(Invocation.parse(new String[] {"--json", "@example.com", "save", "--aliases=a.com"}).arguments())
        .as("with a global option first and properties after").containsExactly("save", "@example.com", "--aliases=a.com");
    assertThat(Invocation.parse(new String[] {"@example.com", "plan", "verify"}).arguments())
        .as("@name plan task").containsExactly("plan", "@example.com", "verify");
    assertThat(Invocation.parse(new String[] {"@server_master", "provision-verify", "--verbose"}).arguments())
        .as("@name provision-task").containsExactly("provision-verify", "@server_master");
    assertThat(Invocation.parse(new String[] {"save", "@example.com"}).arguments())
        .as("the usual order is kept").containsExactly("save", "@example.com");
  }

  @Test
  void malformedGlobalOptionsBecomeAProblem() {
    assertThat(Invocation.parse(new String[] {"list", "--home"}).problem()).as("--home at the end")
        .hasValueSatisfying(p -> assertThat(p).as("message").contains("--home"));
    assertThat(Invocation.parse(new String[] {"--home", "--json", "list"}).problem()).as("--home followed by an option")
        .isPresent();
    assertThat(Invocation.parse(new String[] {"--home=", "list"}).problem()).as("empty --home=").isPresent();
    assertThat(Invocation.parse(new String[] {"--json", "--home"}).json()).as("--json is still seen").isTrue();
    assertThat(Invocation.parse(new String[] {"@x"}).problem()).as("a name without a command")
        .hasValueSatisfying(p -> assertThat(p).as("message").contains("missing command"));
    assertThat(Invocation.parse(new String[] {"list"}).home()).as("no --home").isEqualTo(Optional.empty());
  }
}
