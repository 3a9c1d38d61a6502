package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ProvisionException;
import org.junit.jupiter.api.Test;

/** What the JDBC repository checks without a database; the contract runs in the testkit's ITs. */
class JdbcContextRepositoryTest {
  @Test
  void urlsAreShownWithoutPasswords() {
    assertThat(JdbcErrors.redact("jdbc:postgresql://db:5432/aegir?user=a&password=s3cret&ssl=true"))
        .as("a password parameter is masked, the rest kept")
        .isEqualTo("jdbc:postgresql://db:5432/aegir?user=a&password=***&ssl=true");
    assertThat(JdbcErrors.redact("jdbc:mysql://aegir:s3cret@db/aegir;Password=x"))
        .as("user info and any spelling of password= are masked")
        .isEqualTo("jdbc:mysql://***@db/aegir;Password=***");
    JdbcContextRepository r = JdbcContextRepository.builder().url("jdbc:mariadb://db/aegir?password=s3cret")
        .user("aegir").password("other-s3cret").build();
    assertThat(r.toString()).as("toString shows the database and user, never a password")
        .contains("jdbc:mariadb://db/aegir", "aegir", "provision_*")
        .doesNotContain("s3cret");
  }

  @Test
  void tablePrefixesAreValidatedIdentifiers() {
    for (String bad : new String[] {"", "1x", "A_", "x-y", "x;drop table y", "x`", "x\"", "p" + "x".repeat(32)}) {
      assertThatThrownBy(() -> JdbcContextRepository.builder().tablePrefix(bad))
          .as("%s is not a safe table prefix", bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(JdbcContextRepository.builder().url("jdbc:mariadb://db/x").tablePrefix("aegir_2").build()
        .tablePrefix()).as("a plain lower-case prefix is accepted").isEqualTo("aegir_2");
  }

  @Test
  void builderNeedsOneSource() {
    assertThatThrownBy(() -> JdbcContextRepository.builder().build()).as("neither a URL nor a data source")
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> JdbcContextRepository.builder().url("mysql://db/x").build())
        .as("a URL that is not a JDBC URL").isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void missingDriverIsAClearProvisionException() {
    // provision-core has no JDBC driver on its test class path
    try (JdbcContextRepository r = JdbcContextRepository.builder().url("jdbc:nosuchdb://db/x?password=urlsecret")
        .user("u").password("s3cret").build()) {
      assertThatThrownBy(() -> r.load(ContextName.MASTER)).as("no driver for the URL")
          .isInstanceOf(ProvisionException.class)
          .hasMessageContaining("jdbc:nosuchdb://db/x")
          .hasMessageContaining("class path")
          .satisfies(e -> assertThat(e.getMessage()).as("no password").doesNotContain("s3cret")
              .doesNotContain("urlsecret"))
          .satisfies(e -> assertThat(e.getCause().getMessage())
              .as("the driver's message, which quotes the URL, is scrubbed in the cause too")
              .doesNotContain("urlsecret"));
    }
  }

  @Test
  void environmentNamesTheRepository() {
    assertThat(JdbcContextRepository.fromEnvironment(Map.of())).as("no URL: the home's files").isEmpty();
    assertThat(JdbcContextRepository.fromEnvironment(Map.of("PROVISION_REPOSITORY", " ")))
        .as("an empty URL: the home's files").isEmpty();
    JdbcContextRepository r = JdbcContextRepository.fromEnvironment(Map.of(
        "PROVISION_REPOSITORY", "jdbc:mariadb://db/aegir", "PROVISION_REPOSITORY_USER", "aegir",
        "PROVISION_REPOSITORY_PASSWORD", "s3cret", "PROVISION_REPOSITORY_TABLE_PREFIX", "node_")).orElseThrow();
    assertThat(r.toString()).as("URL, user and prefix from the environment, never the password")
        .contains("jdbc:mariadb://db/aegir", "as aegir", "node_*").doesNotContain("s3cret");
    assertThatThrownBy(() -> JdbcContextRepository.fromEnvironment(Map.of(
        "PROVISION_REPOSITORY", "jdbc:mariadb://db/aegir", "PROVISION_REPOSITORY_TABLE_PREFIX", "x;y")))
        .as("a bad prefix names the variable").isInstanceOf(ProvisionException.class)
        .hasMessageContaining("PROVISION_REPOSITORY");
    assertThatThrownBy(() -> JdbcContextRepository.fromEnvironment(Map.of("PROVISION_REPOSITORY", "/var/aegir")))
        .as("a URL that is not JDBC").isInstanceOf(ProvisionException.class)
        .hasMessageContaining("not a JDBC URL");
  }
}
