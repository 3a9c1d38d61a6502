package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InstallMethod;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.SslMode;
import net.aegirj.provision.api.Text;
import org.junit.jupiter.api.Test;

/** Round trips through {@link ContextProperties}, and the rules of {@link ContextName}. */
class ContextPropertiesTest {

  // --- round trips -----------------------------------------------------------------------------

  @Test
  void generatedContextsRoundTripThroughTheirProperties() {
    qt().withExamples(2_000).forAll(longs().all()).checkAssert(seed -> {
      Random random = Generators.random(seed);
      Server server = Generators.validServer(random);
      Platform platform = Generators.validPlatform(random, random.nextBoolean() ? server.name() : null);
      Site site = Generators.validSite(random, random.nextInt(5) == 0 ? null : platform.name());
      for (Context c : List.of(server, platform, site)) {
        Map<String, Object> properties = ContextProperties.toMap(c);
        Context back = ContextProperties.fromMap(c.type(), c.name(), properties);
        assertThat(back).as("seed %d: fromMap(toMap(%s)) equals the original", seed, c.name()).isEqualTo(c);
        assertThat(ContextProperties.toMap(back)).as("seed %d: the properties of %s survive too", seed, c.name())
            .isEqualTo(properties);
        for (Map.Entry<String, Object> e : properties.entrySet()) {
          PropertySpec spec = Schema.find(c.type(), e.getKey()).orElse(null);
          if (spec == null) {
            assertThat(e.getValue()).as("seed %d: extra %s of %s is text", seed, e.getKey(), c.name())
                .isInstanceOf(String.class);
          } else {
            assertThat(spec.derived()).as("seed %d: derived %s is never stored", seed, e.getKey()).isFalse();
            assertThat(spec.validate(c.name(), e.getValue()))
                .as("seed %d: %s of %s is already in canonical form", seed, e.getKey(), c.name())
                .isEqualTo(e.getValue());
          }
        }
      }
    });
  }

  @Test
  void fullContextsRoundTripWithCanonicalValues() {
    Site site = ContextRepositoryContract.fullSite();
    Map<String, Object> m = ContextProperties.toMap(site);
    assertThat(m.get("platform")).as("references are stored as '@name'").isEqualTo("@platform_d10");
    assertThat(m.get("site_enabled")).as("booleans are stored as Boolean").isEqualTo(Boolean.FALSE);
    assertThat(m.get("ssl_enabled")).as("ssl_enabled is stored as Aegir's number").isEqualTo(2);
    assertThat(m.get("install_method")).as("install_method is stored as its id").isEqualTo("manual");
    assertThat(m.get("aliases")).as("lists keep their order")
        .isEqualTo(List.of("example.com", "shop.example.com", "example.com/blog/2024"));
    assertThat(m.get("ip_addresses")).as("maps are stored as maps")
        .isEqualTo(Map.of("server_web1", "192.0.2.10", "server_web2", "2001:db8::1"));
    assertThat(m.get("note")).as("extras are stored by name as text").isEqualTo("hello world");
    for (Context c : List.of(ContextRepositoryContract.fullServer(), ContextRepositoryContract.fullPlatform(), site)) {
      assertThat(ContextProperties.fromMap(c.type(), c.name(), ContextProperties.toMap(c)))
          .as("the full %s round trips", c.type().id()).isEqualTo(c);
    }
  }

  @Test
  void onlySetPropertiesAreStored() {
    Site site = Site.named("bare.example.com").platform("platform_d10").build();
    assertThat(ContextProperties.toMap(site)).as("defaults are never stored, only what was set")
        .containsExactly(Map.entry("platform", "@platform_d10"));
    assertThat(ContextProperties.toMap(Server.named("server_bare").build()))
        .as("a bare server stores nothing").isEmpty();
  }

  @Test
  void everyStoredDeclarationIsReadAndWrittenThroughItsValueType() {
    Map<ContextType, Map<String, Object>> samples = Map.of(
        ContextType.SERVER, Map.ofEntries(Map.entry("remote_host", "web1.example.com"),
            Map.entry("aegir_root", "/var/aegir"), Map.entry("script_user", "aegir"),
            Map.entry("ip_addresses", List.of("192.0.2.1")), Map.entry("master_url", "https://a.example.com"),
            Map.entry("admin_email", "ops@example.com"), Map.entry("http_service_type", "nginx"),
            Map.entry("db_service_type", "mysql"), Map.entry("dns_service_type", "bind"),
            Map.entry("ssh_port", 2222), Map.entry("ssh_user", "deploy"),
            Map.entry("ssh_identity", "/home/aegir/.ssh/id_ed25519"),
            Map.entry("ssh_known_hosts", "/home/aegir/.ssh/known_hosts"),
            Map.entry("drush_path", "/usr/local/bin/drush8")),
        ContextType.PLATFORM, Map.of("root", "/var/aegir/platforms/d10", "web_server", "@server_web1",
            "web_servers", List.of("@server_web2"), "makefile", "https://example.com/d10.make", "make_working_copy", Boolean.TRUE,
            "repo_path", "/var/aegir/repos/d10", "locked", Boolean.TRUE, "drush_path", "/opt/drush8/drush"),
        ContextType.SITE, Map.ofEntries(Map.entry("uri", "www.example.com"), Map.entry("platform", "@platform_d10"),
            Map.entry("db_server", "@server_db1"), Map.entry("site_enabled", Boolean.FALSE),
            Map.entry("language", "pt-br"), Map.entry("client_name", "acme"),
            Map.entry("client_email", "owner@example.com"),
            Map.entry("aliases", List.of("example.com")), Map.entry("redirection", "example.com"),
            Map.entry("cron_key", "Zx9_cron"), Map.entry("drush_aliases", List.of("example")),
            Map.entry("profile", "minimal"), Map.entry("install_method", "manual"), Map.entry("ssl_enabled", 1),
            Map.entry("ssl_key", "example.com"), Map.entry("ip_addresses", Map.of("server_web1", "192.0.2.10")),
            Map.entry("dns_zone", "example.com"), Map.entry("dns_zone_subdomain", "www"),
            Map.entry("installed", Boolean.TRUE), Map.entry("db_name", "example"), Map.entry("db_user", "example"),
            Map.entry("db_passwd", "s3cret_Token")));
    Map<ContextType, ContextName> names = Map.of(ContextType.SERVER, ContextName.MASTER,
        ContextType.PLATFORM, ContextName.of("platform_d10"), ContextType.SITE, ContextName.of("www.example.com"));
    for (ContextType type : ContextType.values()) {
      assertThat(samples.get(type).keySet()).as("the samples cover every stored property of a %s", type.id())
          .containsExactlyInAnyOrderElementsOf(Schema.properties(type).stream().filter(p -> !p.derived())
              .map(PropertySpec::name).toList());
      for (Map.Entry<String, Object> e : samples.get(type).entrySet()) {
        Context c = ContextProperties.fromMap(type, names.get(type), Map.of(e.getKey(), e.getValue()));
        assertThat(c.extras()).as("%s of a %s is a declared property, not an extra", e.getKey(), type.id())
            .isEmpty();
        assertThat(ContextProperties.toMap(c)).as("%s of a %s reaches its accessor and comes back", e.getKey(),
            type.id()).containsExactly(Map.entry(e.getKey(), e.getValue()));
      }
    }
    Site site = (Site) ContextProperties.fromMap(ContextType.SITE, names.get(ContextType.SITE),
        samples.get(ContextType.SITE));
    assertThat(site.sslEnabled()).as("ssl_enabled is read as its enum").contains(SslMode.ON);
    assertThat(site.installMethod()).as("install_method is read as its enum").contains(InstallMethod.MANUAL);
    assertThat(site.dbPasswd()).as("db_passwd is read by its own accessor").contains("s3cret_Token");
    assertThat(site.toString()).as("a secret set through its declaration stays redacted")
        .doesNotContain("s3cret_Token");
  }

  // --- ContextName -----------------------------------------------------------------------------

  @Test
  void contextNamesAreNormalised() {
    ContextName name = ContextName.of("@@Foo");
    assertThat(name.value()).as("leading '@' are dropped and letters folded").isEqualTo("foo");
    assertThat(name.toString()).as("the canonical text form has exactly one '@'").isEqualTo("@foo");
    assertThat(name).as("spellings of one name are equal")
        .isEqualTo(ContextName.of("foo")).isEqualTo(ContextName.of("@FOO")).hasSameHashCodeAs(ContextName.of("fOo"));
    assertThat(ContextName.of("@@@Server_Master").isMaster()).as("@server_master in any spelling is the master")
        .isTrue();
    assertThat(ContextName.of("@".repeat(300) + "a").value())
        .as("the length limit applies to the name, not to the '@' signs").isEqualTo("a");
    assertThat(ContextName.of("a".repeat(ContextName.MAX_LENGTH)).value())
        .as("a name of exactly 253 characters is accepted").hasSize(ContextName.MAX_LENGTH);
    assertThat(ContextName.of("b")).as("names order by value").isGreaterThan(ContextName.of("a.b"));
  }

  @Test
  void eachInvalidNameRuleHasItsOwnMessage() {
    Map<String, String> rules = new LinkedHashMap<>();
    rules.put("required", "a name is required");
    rules.put("empty", "a name must not be empty");
    rules.put("length", "a name is at most 253 characters long");
    rules.put("chars", "only letters a-z, digits, '.', '-' and '_' are allowed");
    rules.put("edges", "a name must start and end with a letter or digit");
    rules.put("dots", "a name must not contain '..'");
    rules.put("reserved", "is reserved by Aegir");

    List<Object[]> cases = List.of(
        new Object[] {null, "required"},
        new Object[] {"", "empty"},
        new Object[] {"@", "empty"},
        new Object[] {"@@@", "empty"},
        new Object[] {"a".repeat(254), "length"},
        new Object[] {"@" + "b".repeat(254), "length"},
        new Object[] {"foo bar", "chars"},
        new Object[] {"foo/bar", "chars"},
        new Object[] {"foo@bar", "chars"},
        new Object[] {"caf\u00e9", "chars"},
        new Object[] {"-foo", "edges"},
        new Object[] {"foo-", "edges"},
        new Object[] {"_foo", "edges"},
        new Object[] {".foo", "edges"},
        new Object[] {"foo.", "edges"},
        new Object[] {"foo..bar", "dots"},
        new Object[] {"a..b..c", "dots"},
        new Object[] {"self", "reserved"},
        new Object[] {"@none", "reserved"},
        new Object[] {"@@SELF", "reserved"},
        new Object[] {"None", "reserved"});
    for (Object[] c : cases) {
      String input = (String) c[0];
      String rule = (String) c[1];
      assertThat(ContextName.isValid(input)).as("%s breaks the %s rule", Text.quote(input), rule).isFalse();
      assertThatThrownBy(() -> ContextName.of(input)).as("%s is refused for the %s rule", Text.quote(input), rule)
          .isInstanceOf(InvalidContextException.class)
          .hasMessageStartingWith("invalid context name " + Text.quote(input) + ": ")
          .hasMessageContaining(rules.get(rule))
          .satisfies(e -> {
            for (Map.Entry<String, String> other : rules.entrySet()) {
              if (!other.getKey().equals(rule)) {
                assertThat(e.getMessage()).as("%s names only the %s rule", Text.quote(input), rule)
                    .doesNotContain(other.getValue());
              }
            }
          });
    }
    assertThatThrownBy(() -> ContextName.of("foo bar")).as("the message shows the bad character and its position")
        .hasMessage("invalid context name 'foo bar': only letters a-z, digits, '.', '-' and '_' are allowed"
            + " (found ' ' at position 4)");
    assertThatThrownBy(() -> ContextName.of("self")).as("the reserved name is named with its '@'")
        .hasMessage("invalid context name 'self': '@self' is reserved by Aegir");
  }

  // --- known bugs in provision-api (see the final report) ---------------------------------------

  @Test
  void kelvinSignIsRefusedAsALookAlike() {
    for (String lookAlike : List.of("\u212aey", "server_\u212aeep", "www.\u212a.example.com")) {
      assertThat(ContextName.isValid(lookAlike))
          .as("%s is a Unicode look-alike; only ASCII letters may be folded", Text.quote(lookAlike)).isFalse();
    }
  }

  @Test
  void siteIpAddressKeysRoundTrip() {
    Site site = Site.named("example.com").platform("p").putIpAddresses("@Web", "192.0.2.1").build();
    assertThat(ContextProperties.fromMap(site.type(), site.name(), ContextProperties.toMap(site)))
        .as("a site accepted by its builder must survive the property round trip").isEqualTo(site);
  }

  @Test
  void duplicateListEntriesRoundTrip() {
    Site site = Site.named("example.com").platform("p").addAliases("a.example.com", "a.example.com").build();
    assertThat(ContextProperties.fromMap(site.type(), site.name(), ContextProperties.toMap(site)))
        .as("a site accepted by its builder must survive the property round trip").isEqualTo(site);
    Server server = Server.named("server_x").addIpAddresses("192.0.2.1", "192.0.2.1").build();
    assertThat(ContextProperties.fromMap(server.type(), server.name(), ContextProperties.toMap(server)))
        .as("a server accepted by its builder must survive the property round trip").isEqualTo(server);
  }

  @Test
  void aliasSubdirectoriesRefuseDotSegments() {
    for (String alias : List.of("example.com/..", "example.com/../../etc", "example.com/.", "example.com/a/../b")) {
      assertThat(Grammar.ALIAS.accepts(alias)).as("%s escapes its directory", Text.quote(alias)).isFalse();
    }
  }

  /** The definition the host grammar's hand-written loop must agree with (RFC 1123 labels, lower case). */
  private static final java.util.regex.Pattern HOST_DEFINITION =
      java.util.regex.Pattern.compile("(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

  @Test
  void hostGrammarAgreesWithItsDefinition() {
    char[] alphabet = {'a', 'z', '0', '9', '-', '.', 'A', '_', ' ', '\n', '\u212a', '/'};
    qt().withExamples(20_000).forAll(longs().all()).checkAssert(seed -> {
      Random random = new Random(seed);
      StringBuilder b = new StringBuilder();
      int length = random.nextInt(8) == 0 ? 60 + random.nextInt(200) : random.nextInt(12);
      for (int i = 0; i < length; i++) {
        b.append(random.nextInt(4) == 0 ? alphabet[random.nextInt(alphabet.length)] : (char) ('a' + random.nextInt(3)));
      }
      String v = b.toString();
      assertThat(Grammar.HOST.accepts(v)).as("seed %d: host grammar on %s", seed, Text.quote(v))
          .isEqualTo(HOST_DEFINITION.matcher(v).matches());
    });
    assertThat(Grammar.HOST.accepts("a".repeat(63) + ".b")).as("a 63-character label is allowed").isTrue();
    assertThat(Grammar.HOST.accepts("a".repeat(64) + ".b")).as("a 64-character label is not").isFalse();
  }

  @Test
  void valuesTheBuilderConvertsAreRefusedBeforeTheConversion() {
    record Bad(ContextType type, String name, String property, Object value) {}
    for (Bad b : List.of(
        new Bad(ContextType.SITE, "a.example.com", "install_method", "PROFILE"),
        new Bad(ContextType.SITE, "a.example.com", "install_method", "prof\u0131le"),
        new Bad(ContextType.SITE, "a.example.com", "install_method", "bogus"),
        new Bad(ContextType.PLATFORM, "platform_a", "root", "/var/aegir/a\u0000b"),
        new Bad(ContextType.SERVER, "server_a", "ssh_identity", "relative/key"))) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put(b.property(), b.value());
      if (b.type() == ContextType.PLATFORM) {
        m.put("web_server", "@server_master");
      }
      assertThatThrownBy(() -> ContextProperties.fromMap(b.type(), ContextName.of(b.name()), m))
          .as("%s=%s is refused with an error naming the property", b.property(), Text.quote(String.valueOf(b.value())))
          .isInstanceOf(InvalidContextException.class).hasMessageContaining(b.property());
    }
  }
}
