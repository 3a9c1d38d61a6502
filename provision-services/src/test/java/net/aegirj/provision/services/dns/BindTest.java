package net.aegirj.provision.services.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.testkit.FakeHost;
import net.aegirj.provision.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bind type's files, written by real tasks on the local host, with the test and reload
 * commands replaced by {@code true} (the real named is exercised by BindIT). Zone files come from
 * a template: ours gives the bytes the StringBuilder code gave (the expected files under
 * {@code golden/} were captured from it), the server's {@code <dns_template_dir>/zone.db}
 * overrides it, and a broken override writes nothing.
 */
class BindTest {
  @TempDir Path home;

  private static String today() {
    return LocalDate.now().format(DateTimeFormatter.BASIC_ISO_DATE);
  }

  private Provision provision() {
    Fixtures.phpPlatform(home.resolve("platforms/a"));
    Provision p = Provision.builder().home(home).build();
    p.save("server_master", PropertyChanges.builder().set("dns_service_type", "bind")
        .set("admin_email", "host.master@example.net")
        .set("dns_test_cmd", "true").set("dns_restart_cmd", "true").build());
    p.save("platform_a", PropertyChanges.builder().set("context_type", "platform")
        .set("root", home.resolve("platforms/a").toString()).build());
    return p;
  }

  private void site(Provision p, String uri, String aliases) {
    PropertyChanges.Builder b = PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_a");
    if (aliases != null) {
      b.set("aliases", aliases);
    }
    p.save(uri, b.build());
  }

  private Path zone(String zone) {
    return home.resolve("config/server_master/bind/zone.d/" + zone + ".zone");
  }

  private String read(Path file) throws IOException {
    return Files.readString(file);
  }

  @Test
  void serverVerifyWritesTheLayoutAndReloadsOnlyOnChange() throws IOException {
    try (Provision p = provision()) {
      TaskReport first = p.server("server_master").verify();
      assertThat(first.reloads()).as("a new layout is reloaded").contains("@server_master: dns");
      Path conf = home.resolve("config/server_master/bind.conf");
      assertThat(read(conf)).as("no zones yet").doesNotContain("zone \"");
      assertThat(Files.readSymbolicLink(home.resolve("config/bind.conf"))).as("the system's named includes this link")
          .isEqualTo(conf);
      assertThat(mode(home.resolve("config/server_master/bind"))).isEqualTo("711");
      assertThat(mode(home.resolve("config/server_master/bind/zone.d"))).isEqualTo("755");
      TaskReport again = p.server("server_master").verify();
      assertThat(again.reloads()).as("nothing changed, nothing reloaded").doesNotContain("@server_master: dns");
    }
  }

  private static String mode(Path p) throws IOException {
    return Integer.toOctalString(((Integer) Files.getAttribute(p, "unix:mode")) & 07777);
  }

  @Test
  void zoneContentOrderAliasesAndIdempotence() throws IOException {
    try (Provision p = provision()) {
      p.save("server_master", PropertyChanges.builder().set("dns_default_mx", "mx.example.net").build());
      p.server("server_master").verify();
      site(p, "a.example.com", "www.a.example.com,example.com,a.example.org,a.example.com/sub");
      TaskReport r = p.site("a.example.com").verify();
      assertThat(r.reloads()).contains("@server_master: dns");
      String serial = today() + "00";
      assertThat(read(zone("example.com"))).as("header in order, then the records sorted, apex first").isEqualTo(
          "; zone example.com, written by Provision: edits are overwritten\n"
              + "$TTL 86400\n"
              + "@ IN SOA localhost. host\\.master.example.net. ( " + serial + " 21600 3600 604800 86400 )\n"
              + "@ IN NS localhost.\n"
              + "@ IN MX 10 mx.example.net.\n"
              + "@ IN A 127.0.0.1 ; provision:a.example.com\n"
              + "a IN A 127.0.0.1 ; provision:a.example.com\n"
              + "www.a IN CNAME a.example.com. ; provision:a.example.com\n");
      assertThat(mode(zone("example.com"))).as("not Aegir's 0777").isEqualTo("644");
      assertThat(zone("example.org")).as("aliases in other zones get no record").doesNotExist();
      assertThat(read(home.resolve("config/server_master/bind.conf"))).contains("zone \"example.com\" { type master; "
          + "file \"" + zone("example.com") + "\"; allow-query { any; }; };");
      TaskReport again = p.site("a.example.com").verify();
      assertThat(again.changedPaths()).as("a second verify writes nothing").isEmpty();
      assertThat(again.reloads()).as("and reloads nothing").isEmpty();
      assertThat(Zone.serialOf(read(zone("example.com")))).contains(Long.parseLong(serial));
    }
  }

  @Test
  void serialIncrementsOnChangeAndANewDayResets() throws IOException {
    try (Provision p = provision()) {
      site(p, "a.example.com", null);
      p.site("a.example.com").verify();
      long first = Zone.serialOf(read(zone("example.com"))).orElseThrow();
      assertThat(first).isEqualTo(Long.parseLong(today() + "00"));
      p.save("a.example.com", PropertyChanges.builder().set("aliases", "www.a.example.com").build());
      p.site("a.example.com").verify();
      assertThat(Zone.serialOf(read(zone("example.com")))).as("a change bumps the serial").contains(first + 1);
      // yesterday's serial in the file: the next change starts today at 00
      Files.writeString(zone("example.com"), read(zone("example.com")).replace(Long.toString(first + 1), "2001010105"));
      p.save("server_master", PropertyChanges.builder().set("dns_ttl", "3600").build());
      p.site("a.example.com").verify();
      String text = read(zone("example.com"));
      assertThat(Zone.serialOf(text)).as("a new day resets to 00").contains(first);
      assertThat(text).as("header changes rewrite the zone too").contains("$TTL 3600\n");
      // the hundredth change of a day does not fail: it counts on into the next day's numbers
      Files.writeString(zone("example.com"), text.replace(Long.toString(first), today() + "99"));
      p.save("a.example.com", PropertyChanges.builder().set("aliases", "w.a.example.com").build());
      p.site("a.example.com").verify();
      assertThat(Zone.serialOf(read(zone("example.com")))).contains(Long.parseLong(today() + "99") + 1);
    }
  }

  @Test
  void installWritesTheRecordsToo() throws IOException {
    try (Provision p = provision()) {
      site(p, "i.example.com", null);
      p.save("i.example.com", PropertyChanges.builder().set("install_method", "manual").build());
      p.site("i.example.com").run(net.aegirj.provision.api.Task.INSTALL);
      assertThat(Zone.recordsOf(read(zone("example.com"))))
          .containsExactly(new ZoneRecord("i", "A", "127.0.0.1", "i.example.com"));
    }
  }

  @Test
  void nextSerialRules() {
    LocalDate d = LocalDate.of(2026, 11, 25);
    assertThat(Zone.nextSerial(Optional.empty(), d)).isEqualTo(2026112500L);
    assertThat(Zone.nextSerial(Optional.of(2026112500L), d)).isEqualTo(2026112501L);
    assertThat(Zone.nextSerial(Optional.of(2026112405L), d)).isEqualTo(2026112500L);
    assertThat(Zone.nextSerial(Optional.of(2026112599L), d)).isEqualTo(2026112600L);
    assertThat(Zone.nextSerial(Optional.of(2026112700L), d)).as("never goes back").isEqualTo(2026112701L);
  }

  @Test
  void sitesShareAZoneAndDeleteRemovesRecordsThenTheZone() throws IOException {
    try (Provision p = provision()) {
      p.server("server_master").verify();
      site(p, "a.example.com", "www.a.example.com");
      site(p, "b.example.com", null);
      p.site("a.example.com").verify();
      p.site("b.example.com").verify();
      String text = read(zone("example.com"));
      assertThat(Zone.recordsOf(text)).as("both sites' records in one zone").containsExactly(
          new ZoneRecord("a", "A", "127.0.0.1", "a.example.com"),
          new ZoneRecord("b", "A", "127.0.0.1", "b.example.com"),
          new ZoneRecord("www.a", "CNAME", "a.example.com.", "a.example.com"));
      site(p, "c.example.com", null);
      p.save("c.example.com", PropertyChanges.builder().set("dns_zone_subdomain", "b").build());
      TaskReport c = p.site("c.example.com").verify();
      assertThat(c.warnings()).as("a name held by another site is left to it")
          .anyMatch(w -> w.contains("belongs to @b.example.com"));
      assertThat(read(zone("example.com"))).as("and the zone is unchanged").isEqualTo(text);
      p.site("a.example.com").delete();
      assertThat(Zone.recordsOf(read(zone("example.com")))).as("only b's records are left")
          .containsExactly(new ZoneRecord("b", "A", "127.0.0.1", "b.example.com"));
      p.site("b.example.com").delete();
      assertThat(zone("example.com")).as("an emptied zone is removed").doesNotExist();
      assertThat(read(home.resolve("config/server_master/bind.conf"))).as("and dropped from the server file")
          .doesNotContain("example.com");
    }
  }

  @Test
  void explicitZoneSubdomainAndLongestManagedSuffix() throws IOException {
    try (Provision p = provision()) {
      p.save("server_master", PropertyChanges.builder().set("ip_addresses", "192.0.2.7").build());
      site(p, "shop.sub.example.com", null);
      p.save("shop.sub.example.com", PropertyChanges.builder().set("dns_zone", "sub.example.com").build());
      p.site("shop.sub.example.com").verify();
      assertThat(Zone.recordsOf(read(zone("sub.example.com"))))
          .as("the web server's first address").containsExactly(
              new ZoneRecord("shop", "A", "192.0.2.7", "shop.sub.example.com"));
      site(p, "x.y.sub.example.com", "alias.sub.example.com");
      p.site("x.y.sub.example.com").verify();
      assertThat(Zone.recordsOf(read(zone("sub.example.com")))).as("the longest managed zone is chosen")
          .contains(new ZoneRecord("x.y", "A", "192.0.2.7", "x.y.sub.example.com"),
              new ZoneRecord("alias", "CNAME", "x.y.sub.example.com.", "x.y.sub.example.com"));
      assertThat(zone("example.com")).doesNotExist();
      p.save("x.y.sub.example.com", PropertyChanges.builder().set("dns_zone", "example.org")
          .set("dns_zone_subdomain", "xy").build());
      p.site("x.y.sub.example.com").verify();
      assertThat(Zone.recordsOf(read(zone("example.org")))).as("an explicit zone and name").containsExactly(
          new ZoneRecord("xy", "A", "192.0.2.7", "x.y.sub.example.com"));
      assertThat(Zone.recordsOf(read(zone("sub.example.com")))).as("the site's old records are gone")
          .containsExactly(new ZoneRecord("shop", "A", "192.0.2.7", "shop.sub.example.com"));
    }
  }

  @Test
  void hostileValuesAreRefused() throws IOException {
    try (Provision p = provision()) {
      site(p, "a.example.com", null);
      assertThatThrownBy(() -> p.save("server_master", PropertyChanges.builder()
          .set("dns_default_mx", "mx.example.net.\n@ IN NS evil.example").build()))
          .isInstanceOf(InvalidContextException.class).hasMessageContaining("dns_default_mx");
      assertThatThrownBy(() -> p.save("a.example.com", PropertyChanges.builder()
          .set("dns_zone", "example.com; rm -rf /").build()))
          .isInstanceOf(InvalidContextException.class).hasMessageContaining("dns_zone");
      assertThatThrownBy(() -> p.save("a.example.com", PropertyChanges.builder()
          .set("dns_zone_subdomain", "a IN NS evil.").build()))
          .isInstanceOf(InvalidContextException.class).hasMessageContaining("dns_zone_subdomain");
      p.save("server_master", PropertyChanges.builder().set("remote_host", "127.0.0.1").build());
      assertThatThrownBy(() -> p.site("a.example.com").verify()).as("an address cannot name the primary server")
          .hasMessageContaining("remote_host").hasMessageContaining("@server_master");
      p.save("server_master", PropertyChanges.builder().set("remote_host", "localhost").build());
      p.save("a.example.com", PropertyChanges.builder().set("dns_zone", "example.org").build());
      assertThatThrownBy(() -> p.site("a.example.com").verify()).as("a uri outside its zone")
          .hasMessageContaining("dns_zone").hasMessageContaining("@a.example.com");
      assertThat(zone("example.org")).doesNotExist();
    }
  }

  @Test
  void foreignLinesAreNotReadAsRecords() {
    assertThat(Zone.recordsOf("evil IN NS x. ; provision:a.example.com\n"
        + "a IN A 1.2.3.4 ; provision:a.example.com ; more\n"
        + "b IN A 1.2.3.4 ; provision:b.example.com\n")).containsExactly(
            new ZoneRecord("b", "A", "1.2.3.4", "b.example.com"));
  }

  private static String golden(String name) throws IOException {
    try (InputStream in = BindTest.class.getResourceAsStream("/net/aegirj/provision/services/golden/"
        + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void ourZoneTemplateGivesTheBytesOfBefore() throws IOException {
    try (Provision p = provision()) {
      ResolvedContext server = p.resolve("server_master");
      FakeHost local = new FakeHost("local");
      Zone.Header mx = new Zone.Header("ns1.example.net", "host\\.master.example.net", 86400, 21600, 3600, 604800,
          86400, Optional.of("mx.example.net"));
      Zone withMx = new Zone("example.com", 2026120600L, mx, List.of(
          new ZoneRecord("www.a", "CNAME", "a.example.com.", "a.example.com"),
          new ZoneRecord("@", "AAAA", "2001:db8::1", "example.com"),
          new ZoneRecord("a", "A", "192.0.2.1", "a.example.com")));
      assertThat(Bind.zoneRenderer(local, server).apply(withMx)).as("a zone with an MX record, byte for byte")
          .isEqualTo(golden("zone-mx"));
      Zone.Header noMx = new Zone.Header("ns1.example.net", "hostmaster.example.net", 3600, 1, 2, 3, 4,
          Optional.empty());
      Zone without = new Zone("example.org", 2026120601L, noMx, List.of(
          new ZoneRecord("a", "A", "192.0.2.1", "a.example.org")));
      assertThat(Bind.zoneRenderer(local, server).apply(without)).as("a zone without an MX record, byte for byte")
          .isEqualTo(golden("zone-nomx"));
    }
  }

  @Test
  void theServersZoneTemplateOverridesOursAndABrokenOneWritesNothing() throws IOException {
    Path dir = home.resolve("dns-templates");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("zone.db"), "; operator's zone {{zone}}\n$TTL {{ttl}}\n"
        + "@ IN SOA {{primary}}. {{contact}}. ( {{serial}} {{refresh}} {{retry}} {{expire}} {{negative_ttl}} )\n"
        + "@ IN NS {{primary}}.\n@ IN TXT \"operator\"\n{{#records}}\n{{line}}\n{{/records}}\n");
    try (Provision p = provision()) {
      site(p, "a.example.com", "www.a.example.com");
      p.save("server_master", PropertyChanges.builder().set("dns_template_dir", dir.toString()).build());
      p.site("a.example.com").verify();
      String serial = today() + "00";
      String text = read(zone("example.com"));
      assertThat(text).as("the operator's template is used").isEqualTo("; operator's zone example.com\n$TTL 86400\n"
          + "@ IN SOA localhost. host\\.master.example.net. ( " + serial + " 21600 3600 604800 86400 )\n"
          + "@ IN NS localhost.\n@ IN TXT \"operator\"\n"
          + "a IN A 127.0.0.1 ; provision:a.example.com\n"
          + "www.a IN CNAME a.example.com. ; provision:a.example.com\n");
      assertThat(p.site("a.example.com").verify().changedPaths()).as("and read back: a second verify writes nothing")
          .isEmpty();

      Files.writeString(dir.resolve("zone.db"), "{{#records}}\n{{line}}\n");
      p.save("a.example.com", PropertyChanges.builder().set("aliases", "w.a.example.com").build());
      assertThatThrownBy(() -> p.site("a.example.com").verify()).as("a broken template is a clear error")
          .hasMessageContaining("@server_master").hasMessageContaining("dns_template_dir")
          .hasMessageContaining(dir.resolve("zone.db").toString()).hasMessageContaining("never closed");
      assertThat(Files.readString(zone("example.com"))).as("and the zone is not written").isEqualTo(text);
    }
  }
}
