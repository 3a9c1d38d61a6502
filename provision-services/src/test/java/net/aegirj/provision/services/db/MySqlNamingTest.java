package net.aegirj.provision.services.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.testkit.Generators;
import org.junit.jupiter.api.Test;

class MySqlNamingTest {
  @Test
  void aegirsExampleName() {
    assertThat(MySql.baseName("www.my-shop.example.co.uk")).as("the reference's example").isEqualTo("myshopexamplecou");
    assertThat(MySql.alternative("myshopexamplecou", 0)).as("its first alternative").isEqualTo("myshopexamplec_0");
    assertThat(MySql.alternative("myshopexamplecou", 42)).as("two-digit suffix").isEqualTo("myshopexample_42");
    assertThat(MySql.baseName("a.b")).as("short names stay short").isEqualTo("ab");
  }

  @Test
  void everyNameFromAValidUriIsAValidIdentifierOfAtMost16Characters() {
    qt().withExamples(3000).forAll(longs().all(), integers().between(0, 99)).checkAssert((seed, i) -> {
      String uri = Generators.validHostName(new Random(seed));
      String base = MySql.baseName(uri);
      String alt = MySql.alternative(base, i);
      assertThat(base.length()).as("base of %s within the limit", uri).isBetween(1, 16);
      assertThat(alt.length()).as("alternative %d of %s within the limit", i, uri).isLessThanOrEqualTo(16);
      assertThat(Grammar.DB_NAME.accepts(base) && Grammar.DB_NAME.accepts(alt))
          .as("only letters, digits and _: %s %s", base, alt).isTrue();
    });
  }

  @Test
  void alternativesNeverCollide() {
    Set<String> seen = new HashSet<>();
    seen.add("examplecom");
    for (int i = 0; i < 100; i++) {
      assertThat(seen.add(MySql.alternative("examplecom", i))).as("alternative %d is new", i).isTrue();
    }
  }

  @Test
  void passwordsAreLongRandomAndQuotable() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String p = MySql.password();
      assertThat(p).as("24 letters and digits").matches("[A-Za-z0-9]{24}");
      assertThat(seen.add(p)).as("never repeated").isTrue();
    }
  }

  @Test
  void hostileIdentifiersNeverReachAStatement() {
    for (String bad : new String[] {"a`b", "a'b", "a;DROP", "a b", "a\nb", "../x", "a\\b", "\u0430bc", ""}) {
      assertThatThrownBy(() -> Sql.ident("@x.example.com", "db_name", bad)).as("identifier %s", bad)
          .isInstanceOf(InvalidContextException.class).hasMessageContaining("@x.example.com")
          .hasMessageContaining("db_name");
      assertThatThrownBy(() -> Sql.password("@x.example.com", bad + "'")).as("password %s", bad)
          .isInstanceOf(InvalidContextException.class);
      assertThatThrownBy(() -> Sql.host("@x.example.com", bad + "'")).as("host %s", bad)
          .isInstanceOf(InvalidContextException.class);
    }
  }

  @Test
  void grantsCoverExactlyTheSitesDatabase() {
    assertThat(Sql.grantTarget("@x.example.com", "averylongdomai_0"))
        .as("'_' is a wildcard in a database-level grant: escaped").isEqualTo("`averylongdomai\\_0`");
  }

  @Test
  void aSitesRecordedDatabaseIsNeverASystemOneOrTheAdmin() {
    net.aegirj.provision.api.ResolvedContext server = new net.aegirj.provision.api.ResolvedContext(
        net.aegirj.provision.api.Server.named("server_db").build(), 1, java.util.List.of(
            new net.aegirj.provision.api.ResolvedContext.Property("master_db",
                java.util.Optional.of("mysql://aegir_root:pw@127.0.0.1"),
                net.aegirj.provision.api.ResolvedContext.Source.SET, true)));
    net.aegirj.provision.api.ContextName site = net.aegirj.provision.api.ContextName.of("a.example.com");
    assertThatThrownBy(() -> MySql.refuseSystemNames(site, server, "mysql", "u")).as("the mysql schema")
        .isInstanceOf(InvalidContextException.class).hasMessageContaining("system database");
    assertThatThrownBy(() -> MySql.refuseSystemNames(site, server, "aexamplecom", "aegir_root")).as("the admin")
        .isInstanceOf(InvalidContextException.class).hasMessageContaining("administrative account");
    MySql.refuseSystemNames(site, server, "aexamplecom", "aexamplecom");
  }

  @Test
  void aRefusedMasterDbNeverEchoesThePassword() {
    assertThatThrownBy(() -> MasterDb.parse("@server_db", "mysql://root:p@ss#secret1@db")).as("unencoded '@' and '#'")
        .isInstanceOf(InvalidContextException.class).hasMessageContaining("master_db")
        .hasMessageNotContaining("secret1").hasMessageNotContaining("p@ss");
  }

  @Test
  void masterDbIsParsedAndNeverShowsThePassword() {
    MasterDb db = MasterDb.parse("@server_db", "mysql://aegir%5Froot:p%40ss%3Aw0rd@db.example.com:3307");
    assertThat(db.user()).as("user decoded").isEqualTo("aegir_root");
    assertThat(db.password()).as("password decoded").isEqualTo("p@ss:w0rd");
    assertThat(db.host()).as("host").isEqualTo("db.example.com");
    assertThat(db.port()).as("port").contains(3307);
    assertThat(db.toString()).as("toString redacts").doesNotContain("p@ss").contains("****");
    assertThatThrownBy(() -> MasterDb.parse("@server_db", "mysql://root:pa'ss@h")).as("a raw quote is refused")
        .isInstanceOf(InvalidContextException.class).hasMessageContaining("master_db");
  }
}
