package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.api.ContextInUseException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextNotFoundException;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.SslMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProvisionSaveTest {
  @TempDir Path home;
  Provision provision;

  @BeforeEach
  void open() {
    provision = Provision.builder().home(home).build();
  }

  @AfterEach
  void close() {
    provision.close();
  }

  private static PropertyChanges changes(String... kv) {
    PropertyChanges.Builder b = PropertyChanges.builder();
    for (int i = 0; i < kv.length; i += 2) {
      b.set(kv[i], kv[i + 1]);
    }
    return b.build();
  }

  private Map<String, Object> stored(String name) {
    return provision.context(name).context().properties();
  }

  private void platformAndSite() {
    provision.save("@platform_d10", changes("context_type", "platform", "root", "/var/aegir/platforms/d10"));
    provision.save("@example.com", changes("context_type", "site", "platform", "@platform_d10",
        "aliases", "www.example.com,example.org", "client_name", "acme"));
  }

  @Test
  void createsThenMergesOnlyTheGivenProperties() {
    platformAndSite();
    long v1 = provision.site("example.com").version();
    provision.save("example.com", changes("language", "de"));
    assertThat(stored("example.com"))
        .as("a merge changes only the named property and keeps the others")
        .containsEntry("language", "de")
        .containsEntry("aliases", List.of("www.example.com", "example.org"))
        .containsEntry("platform", "@platform_d10")
        .containsEntry("client_name", "acme");
    assertThat(provision.site("example.com").version()).as("a change bumps the version").isEqualTo(v1 + 1);
  }

  @Test
  void nullResetsToTheDefault() {
    platformAndSite();
    provision.save("example.com", changes("aliases", "null", "client_name", "null"));
    assertThat(stored("example.com")).as("null removes the stored value")
        .doesNotContainKeys("aliases", "client_name");
    ResolvedContext r = provision.resolve("example.com");
    assertThat(r.get("aliases")).as("a reset list resolves to no value").isEmpty();
    assertThat(r.property("language").orElseThrow().source())
        .as("unset properties resolve to their default").isEqualTo(ResolvedContext.Source.DEFAULT);
    assertThat(r.get("language")).as("language defaults to en").contains("en");
  }

  @Test
  void savingTheSameValuesTwiceKeepsTheVersion() throws Exception {
    platformAndSite();
    Path file = home.resolve("contexts/example.com.json");
    byte[] before = Files.readAllBytes(file);
    long v = provision.site("example.com").version();
    provision.save("example.com", changes("aliases", "www.example.com,example.org", "client_name", "acme"));
    assertThat(provision.site("example.com").version()).as("an unchanged save writes nothing").isEqualTo(v);
    assertThat(Files.readAllBytes(file)).as("the file is untouched").isEqualTo(before);
  }

  @Test
  void typedValuesMergeLikeTextChanges() {
    provision.save(Platform.named("platform_d10").root("/srv/d10"));
    provision.save(Site.named("shop.example.com").platform("platform_d10").addAliases("a.example.com")
        .sslEnabled(SslMode.REQUIRED));
    provision.save(Site.named("shop.example.com").profile("minimal"));
    Site site = provision.site("shop.example.com").context();
    assertThat(site.aliases()).as("aliases survive a typed merge").containsExactly("a.example.com");
    assertThat(site.sslEnabled()).as("ssl_enabled kept").contains(SslMode.REQUIRED);
    assertThat(site.profile()).as("profile set").contains("minimal");
    assertThat(site.properties()).as("ssl_enabled is stored as Aegir's number")
        .containsEntry("ssl_enabled", 2);
  }

  @Test
  void unknownPropertiesAreRefusedWithTheKnownOnes() {
    platformAndSite();
    assertThatThrownBy(() -> provision.save("example.com", changes("colour", "blue")))
        .as("a typo must not be silently dropped")
        .isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("@example.com")
        .hasMessageContaining("'colour'")
        .hasMessageContaining("known properties")
        .hasMessageContaining("aliases");
  }

  @Test
  void derivedPropertiesCannotBeSet() {
    assertThatThrownBy(() -> provision.save("server_master", changes("config_path", "/tmp/x")))
        .as("derived paths are computed, never stored")
        .isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("config_path").hasMessageContaining("derived");
  }

  @Test
  void newContextsNeedATypeAndTheTypeNeverChanges() {
    assertThatThrownBy(() -> provision.save("server_x", changes("remote_host", "x.example.com")))
        .as("a new context needs context_type")
        .isInstanceOf(InvalidContextException.class).hasMessageContaining("context_type");
    provision.save("server_x", changes("context_type", "server", "remote_host", "x.example.com"));
    assertThatThrownBy(() -> provision.save("server_x", changes("context_type", "site")))
        .as("the type of a context cannot change")
        .isInstanceOf(InvalidContextException.class).hasMessageContaining("cannot be changed");
    assertThatThrownBy(() -> provision.save("server_y", changes("context_type", "printer")))
        .as("an unknown type lists the valid ones")
        .isInstanceOf(InvalidContextException.class).hasMessageContaining("server, platform, site")
        .hasMessageContaining("@server_y");
  }

  @Test
  void referencesMustExistAndHaveTheRightType() {
    platformAndSite();
    assertThatThrownBy(() -> provision.save("b.example.com",
        changes("context_type", "site", "platform", "@platform_missing")))
        .as("a reference to a missing context is refused")
        .isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("@b.example.com").hasMessageContaining("platform")
        .hasMessageContaining("@platform_missing does not exist");
    assertThatThrownBy(() -> provision.save("b.example.com",
        changes("context_type", "site", "platform", "@example.com")))
        .as("a reference to a context of the wrong type is refused")
        .isInstanceOf(InvalidContextException.class).hasMessageContaining("is a site, not a platform");
    assertThat(provision.repository().load(ContextName.of("b.example.com")))
        .as("a refused save writes nothing").isEmpty();
  }

  @Test
  void requiredPropertiesAreChecked() {
    assertThatThrownBy(() -> provision.save("platform_x", changes("context_type", "platform")))
        .as("a platform needs a root").isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("root").hasMessageContaining("required");
    assertThatThrownBy(() -> provision.save("x.example.com", changes("context_type", "site")))
        .as("a site needs a platform").isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("platform").hasMessageContaining("required");
  }

  @Test
  void aFailedSaveChangesNothing() {
    platformAndSite();
    Map<String, Object> before = stored("example.com");
    long v = provision.site("example.com").version();
    assertThatThrownBy(() -> provision.save("example.com",
        changes("language", "fr", "aliases", "ok.example.com,bad host")))
        .as("one bad value refuses the whole save").isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("aliases");
    assertThat(stored("example.com")).as("not even the valid change was applied").isEqualTo(before);
    assertThat(provision.site("example.com").version()).as("version unchanged").isEqualTo(v);
  }

  @Test
  void serverMasterExistsImplicitlyAndIsTheDefaultReference() {
    assertThat(provision.repository().list()).as("a new home is empty").isEmpty();
    ServerHandle master = provision.server("server_master");
    assertThat(master.context().remoteHost()).as("created on first use with localhost")
        .contains("localhost");
    provision.save(Platform.named("platform_a").root("/srv/a"));
    ResolvedContext p = provision.resolve("platform_a");
    assertThat(p.get("web_server")).as("a platform's web server defaults to the master")
        .contains("@server_master");
    assertThat(p.get("server")).as("every context's server is the master").contains("@server_master");
    ResolvedContext m = provision.resolve("@server_master");
    assertThat(m.get("aegir_root")).as("the master's aegir_root defaults to the home")
        .contains(home.toAbsolutePath().normalize().toString());
    assertThat(m.get("config_path")).as("config_path is derived from aegir_root and the name")
        .contains(home.toAbsolutePath().normalize().resolve("config/server_master").toString());
    assertThat(m.property("config_path").orElseThrow().source()).as("and marked derived")
        .isEqualTo(ResolvedContext.Source.DERIVED);
  }

  @Test
  void derivedPathsFollowTheStoredOnes() {
    provision.save(Server.named("server_master").aegirRoot("/var/aegir"));
    provision.save(Server.named("server_web1").remoteHost("web1.example.com"));
    provision.save(Platform.named("platform_a").root("/var/aegir/platforms/a").webServer("server_web1"));
    provision.save(Site.named("a.example.com").platform("platform_a"));
    assertThat(provision.resolve("server_web1").get("config_path"))
        .as("other servers use the master's aegir_root").contains("/var/aegir/config/server_web1");
    assertThat(provision.resolve("server_web1").get("backup_path")).as("backup path")
        .contains("/var/aegir/backups");
    assertThat(provision.resolve("a.example.com").get("site_path")).as("site_path = root/sites/uri")
        .contains("/var/aegir/platforms/a/sites/a.example.com");
    provision.save(Platform.named("platform_a").root("/srv/moved"));
    assertThat(provision.resolve("a.example.com").get("root"))
        .as("a site's root follows its platform; nothing stale is stored").contains("/srv/moved");
    assertThatThrownBy(() -> provision.save(Server.named("server_web1").aegirRoot("/x")))
        .as("aegir_root is the master's alone").isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("@server_web1").hasMessageContaining("aegir_root");
  }

  @Test
  void deleteRefusesWhileReferenced() {
    platformAndSite();
    assertThatThrownBy(() -> provision.delete("platform_d10"))
        .as("a platform in use cannot be deleted")
        .isInstanceOf(ContextInUseException.class).hasMessageContaining("@example.com");
    assertThatThrownBy(() -> provision.delete("server_master"))
        .as("the master is everyone's parent").isInstanceOf(ContextInUseException.class)
        .hasMessageContaining("@platform_d10");
    provision.delete("example.com");
    provision.delete("@platform_d10");
    assertThat(provision.list(ContextType.PLATFORM)).as("deleted").isEmpty();
    assertThatThrownBy(() -> provision.site("example.com"))
        .as("a deleted context is gone").isInstanceOf(ContextNotFoundException.class);
    assertThatThrownBy(() -> provision.delete("example.com"))
        .as("deleting twice reports the missing context").isInstanceOf(ContextNotFoundException.class);
  }

  @Test
  void aServerNamedOnlyInAPlatformsWebServersCannotBeDeleted() {
    provision.save(Server.named("server_web1").remoteHost("web1.example.com"));
    provision.save(Server.named("server_web2").remoteHost("web2.example.com"));
    provision.save(Platform.named("platform_c").root("/var/aegir/platforms/c").webServer("server_web1"));
    provision.save("platform_c", PropertyChanges.builder().set("web_servers", "@server_web2").build());
    assertThatThrownBy(() -> provision.delete("server_web2"))
        .as("a cluster member publishes the platform: deleting it would leave the platform naming a ghost")
        .isInstanceOf(ContextInUseException.class).hasMessageContaining("@platform_c");
    provision.save("platform_c", PropertyChanges.builder().set("web_servers", "null").build());
    provision.delete("server_web2");
    assertThat(provision.list(ContextType.SERVER)).as("once the platform lets go, the server can go")
        .extracting(c -> c.name().toString()).doesNotContain("@server_web2");
  }

  @Test
  void contextFilesArePrivate() throws Exception {
    platformAndSite();
    Path file = home.resolve("contexts/example.com.json");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .as("context files may hold secrets: owner only").isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("contexts"))))
        .as("and their directory too").isEqualTo("rwx------");
  }

  @Test
  void aLockedPlatformTakesNoNewSitesButKeepsItsOwn() {
    platformAndSite();
    provision.platform("platform_d10").lock();
    assertThatThrownBy(() -> provision.save("b.example.com", changes("context_type", "site", "platform", "@platform_d10")))
        .as("no new site on a locked platform").isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("@b.example.com").hasMessageContaining("locked");
    provision.save("example.com", changes("language", "fr"));
    assertThat(stored("example.com")).as("a site already there can still change").containsEntry("language", "fr");
    provision.platform("platform_d10").unlock();
    provision.save("b.example.com", changes("context_type", "site", "platform", "@platform_d10"));
    assertThat(provision.list(ContextType.SITE)).as("unlocked: the new site is saved").hasSize(2);
  }

  @Test
  void sitesCannotTakeThePlatformsOwnDirectoriesNorEchoSecrets() {
    platformAndSite();
    for (String n : List.of("all", "default")) {
      assertThatThrownBy(() -> provision.save(n, changes("context_type", "site", "platform", "@platform_d10")))
          .as("sites/%s belongs to the platform", n).isInstanceOf(InvalidContextException.class)
          .hasMessageContaining("never a site's name");
    }
    assertThatThrownBy(() -> provision.save("example.com", changes("db_passwd", "se'cret")))
        .as("a refused secret is not echoed").isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("db_passwd").hasMessageNotContaining("se'cret").hasMessageNotContaining("se\\'cret");
    provision.save("example.com", changes("db_passwd", "Secret123"));
    assertThat(provision.site("example.com").context().toString()).as("toString redacts the password")
        .doesNotContain("Secret123");
  }

  @Test
  void aHostNameBelongsToOneSiteAndRedirectionStaysWithin() {
    platformAndSite();
    assertThatThrownBy(() -> provision.save("b.example.com", changes("context_type", "site", "platform", "@platform_d10",
        "aliases", "example.org"))).as("an alias of another site").isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("already served by @example.com");
    assertThatThrownBy(() -> provision.save("www.example.com", changes("context_type", "site", "platform", "@platform_d10")))
        .as("a uri that another site has as alias").hasMessageContaining("already served by @example.com");
    assertThatThrownBy(() -> provision.save("example.com", changes("redirection", "elsewhere.example.net")))
        .as("redirection to a name the site does not serve").hasMessageContaining("redirection")
        .hasMessageContaining("aliases");
    provision.save("example.com", changes("redirection", "www.example.com"));
    assertThat(provision.site("example.com").context().redirection()).as("an alias is a fine target")
        .contains("www.example.com");
  }

  @Test
  void aSaveThatKeepsTheHostNamesReadsNoOtherSite() {
    java.util.concurrent.atomic.AtomicInteger lists = new java.util.concurrent.atomic.AtomicInteger();
    FileContextRepository files = new FileContextRepository(home);
    net.aegirj.provision.spi.ContextRepository counting = new net.aegirj.provision.spi.ContextRepository() {
      @Override
      public java.util.Optional<net.aegirj.provision.spi.Versioned> load(ContextName name) {
        return files.load(name);
      }

      @Override
      public long save(net.aegirj.provision.api.Context context, long expectedVersion) {
        return files.save(context, expectedVersion);
      }

      @Override
      public void delete(ContextName name, long expectedVersion) {
        files.delete(name, expectedVersion);
      }

      @Override
      public List<net.aegirj.provision.spi.Versioned> list() {
        lists.incrementAndGet();
        return files.list();
      }

      @Override
      public List<ContextName> referrers(ContextName target) {
        return files.referrers(target);
      }

      @Override
      public java.util.Map<String, ContextName> hostOwners(java.util.Collection<String> hostNames) {
        return files.hostOwners(hostNames);
      }
    };
    try (Provision p = Provision.builder().home(home).repository(counting).build()) {
      p.save("@platform_d10", changes("context_type", "platform", "root", "/var/aegir/platforms/d10"));
      p.save("@example.com", changes("context_type", "site", "platform", "@platform_d10", "aliases", "www.example.com"));
      p.save("@b.example.com", changes("context_type", "site", "platform", "@platform_d10"));
      int before = lists.get();
      assertThat(before).as("new sites' names are looked up in the index of host names: no site is listed")
          .isZero();
      p.save("example.com", changes("language", "de", "db_name", "examplecom", "installed", "true"));
      assertThat(lists.get()).as("the host names did not change: no other site is read").isEqualTo(before);
      assertThatThrownBy(() -> p.save("b.example.com", changes("aliases", "www.example.com")))
          .as("a change of the host names is still checked against every site")
          .hasMessageContaining("already served by @example.com");
      assertThatThrownBy(() -> p.save("example.com", changes("redirection", "elsewhere.example.net")))
          .as("and so is a change of the redirection").hasMessageContaining("redirection");
    }
  }

  @Test
  void handlesCheckTheType() {
    platformAndSite();
    assertThatThrownBy(() -> provision.server("example.com"))
        .as("asking for a server by a site's name fails clearly")
        .isInstanceOf(InvalidContextException.class).hasMessageContaining("is a site, not a server");
  }
}
