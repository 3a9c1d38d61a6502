package net.aegirj.provision.services.http;

import static net.aegirj.provision.services.http.HttpItSupport.DISABLE_URL;
import static net.aegirj.provision.services.http.HttpItSupport.PLATFORM;
import static net.aegirj.provision.services.http.HttpItSupport.assertConfigTestPasses;
import static net.aegirj.provision.services.http.HttpItSupport.contentOf;
import static net.aegirj.provision.services.http.HttpItSupport.filesUnder;
import static net.aegirj.provision.services.http.HttpItSupport.httpUntil;
import static net.aegirj.provision.services.http.HttpItSupport.httpsUntil;
import static net.aegirj.provision.services.http.HttpItSupport.ssl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.services.http.HttpItSupport.Rig;
import net.aegirj.provision.services.http.HttpItSupport.TlsResponse;
import net.aegirj.provision.services.http.HttpItSupport.Web;
import net.aegirj.provision.testkit.Generators;
import net.aegirj.provision.testkit.Http;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The four http service types against real nginx, Apache and PHP-FPM ({@code LocalServers}):
 * Provision writes the configuration, the server's own test command accepts it, the reload
 * command applies it, and real requests (plain and TLS with SNI) get the fixture platform's
 * answer ({@code host=<HTTP_HOST> ...}), the redirects, the disabled page and the 404 of the
 * default server.
 */
class HttpServersIT {
  // A reload is applied asynchronously, and after nginx's new workers answer an old one may still
  // accept a connection or two: every request after a task polls for the new state (httpUntil,
  // httpsUntil, assertServes) unless its answer is the same before and after the task.
  private static final String MASTER = "@server_master: http";

  // ---------------------------------------------------------------- lifecycle

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nginx", "nginx_ssl", "apache", "apache_ssl"})
  void serverPlatformAndSitesServeThroughTheirWholeLife(String type, @TempDir Path temp) throws IOException {
    try (Rig rig = new Rig(temp)) {
      Web web = rig.start(type);
      Provision p = rig.provision;

      rig.saveServer(type, web);
      TaskReport server = p.server("server_master").verify();
      assertThat(server.reloads()).as("server verify writes the %s configuration and reloads once", type)
          .containsExactly(MASTER);
      assertConfigTestPasses(web, "server verify");
      assertThat(httpUntil(web, "unknown.test", "/", r -> r.status() == 404).status())
          .as("the default server answers unknown names with 404").isEqualTo(404);

      rig.savePlatform();
      p.platform(PLATFORM).verify();
      assertConfigTestPasses(web, "platform verify");

      rig.saveSite("a.test", "aliases", "www.a.test");
      rig.saveSite("b.test", "aliases", "alias.b.test");
      assertThat(p.site("a.test").verify().reloads()).as("a new vhost is reloaded").containsExactly(MASTER);
      assertConfigTestPasses(web, "verify of a.test");
      assertThat(p.site("b.test").verify().reloads()).as("a new vhost is reloaded").containsExactly(MASTER);
      assertConfigTestPasses(web, "verify of b.test");

      assertServes(web, "a.test", "a.test");
      assertServes(web, "b.test", "b.test");
      assertServes(web, "www.a.test", "an alias of a.test, answered in place");
      assertServes(web, "alias.b.test", "an alias of b.test, answered in place");
      assertThat(Http.get(web.port(), "unknown.test", "/").status())
          .as("names of no site still get the default server's 404").isEqualTo(404);

      // redirection: the other names of a.test answer 301 to the target, keeping path and query
      p.save("a.test", PropertyChanges.builder().set("redirection", "a.test").build());
      p.site("a.test").verify();
      assertConfigTestPasses(web, "verify of a.test with a redirection");
      Http.Response redirected = httpUntil(web, "www.a.test", "/some/page?x=1", r -> r.status() == 301);
      assertThat(redirected.header("Location")).as("the alias redirects to the redirection target")
          .hasValue("http://a.test/some/page?x=1");
      assertServes(web, "a.test", "the redirection target itself");
      assertServes(web, "a.test:" + web.port(), "the target, asked for with a port in Host as browsers do");

      // disable: every name of b.test answers 302 to web_disable_url/<uri>
      p.site("b.test").disable();
      assertConfigTestPasses(web, "disable of b.test");
      Http.Response disabled = httpUntil(web, "b.test", "/whatever", r -> r.status() == 302);
      assertThat(disabled.header("Location")).as("a disabled site redirects to web_disable_url/<uri>")
          .hasValue(DISABLE_URL + "/b.test");
      assertThat(httpUntil(web, "alias.b.test", "/", r -> r.status() == 302).header("Location"))
          .as("so does its alias").hasValue(DISABLE_URL + "/b.test");
      assertServes(web, "a.test", "a.test, untouched by the disable of b.test");

      // enable: served again
      p.site("b.test").enable();
      assertConfigTestPasses(web, "enable of b.test");
      assertServes(web, "b.test", "b.test enabled again");
      assertServes(web, "alias.b.test", "the alias of b.test enabled again");

      // delete: the default server answers 404
      TaskReport deleted = p.site("b.test").delete();
      assertThat(deleted.reloads()).as("the removed vhost is reloaded").containsExactly(MASTER);
      assertConfigTestPasses(web, "delete of b.test");
      assertThat(httpUntil(web, "b.test", "/", r -> r.status() == 404).status())
          .as("a deleted site falls to the default server's 404").isEqualTo(404);
      assertThat(httpUntil(web, "alias.b.test", "/", r -> r.status() != 200).status())
          .as("and so does its alias").isEqualTo(404);
      assertThat(rig.vhost(type, "b.test")).as("the vhost file is gone").doesNotExist();
      assertServes(web, "a.test", "the other site, after the delete");
    }
  }

  // ---------------------------------------------------------------- idempotence

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nginx", "nginx_ssl", "apache", "apache_ssl"})
  void aSecondVerifyChangesAndReloadsNothing(String type, @TempDir Path temp) throws IOException {
    try (Rig rig = new Rig(temp)) {
      Web web = rig.start(type);
      Provision p = rig.provision;
      rig.saveServer(type, web);
      rig.savePlatform();
      // the ssl types also make and copy the site's certificate: that must be stable too
      rig.saveSite("a.test", "aliases", "www.a.test", "ssl_enabled", ssl(type) ? "1" : "0");
      p.server("server_master").verify();
      p.platform(PLATFORM).verify();
      TaskReport first = p.site("a.test").verify();
      assertThat(first.changedPaths()).as("the first verify writes the vhost")
          .contains(rig.vhost(type, "a.test").toString());
      assertConfigTestPasses(web, "the first verify");
      assertServes(web, "a.test", "after the first verify");
      FileTime mtime = Files.getLastModifiedTime(rig.vhost(type, "a.test"));

      TaskReport second = p.site("a.test").verify();
      assertThat(second.changedPaths()).as("the second verify of the site writes nothing").isEmpty();
      assertThat(second.reloads()).as("and reloads nothing").isEmpty();
      assertThat(Files.getLastModifiedTime(rig.vhost(type, "a.test")))
          .as("the vhost file is not rewritten").isEqualTo(mtime);

      TaskReport serverAgain = p.server("server_master").verify();
      assertThat(serverAgain.changedPaths()).as("a second server verify writes nothing").isEmpty();
      assertThat(serverAgain.reloads()).as("and reloads nothing").isEmpty();
      TaskReport platformAgain = p.platform(PLATFORM).verify();
      assertThat(platformAgain.changedPaths()).as("a second platform verify writes nothing").isEmpty();
      assertThat(platformAgain.reloads()).as("and reloads nothing").isEmpty();
      assertConfigTestPasses(web, "the second verifies");
      assertServes(web, "a.test", "after the second verify");
    }
  }

  // ---------------------------------------------------------------- TLS

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nginx_ssl", "apache_ssl"})
  void sslSitesServeHttpsWithTheirOwnCertificate(String type, @TempDir Path temp) throws IOException {
    try (Rig rig = new Rig(temp)) {
      Web web = rig.start(type);
      Provision p = rig.provision;
      rig.saveServer(type, web);
      rig.savePlatform();
      p.server("server_master").verify();
      assertConfigTestPasses(web, "server verify");
      p.platform(PLATFORM).verify();
      TlsResponse unknown = httpsUntil(web, "unknown.test", "/", r -> r.status() == 404);
      assertThat(unknown.commonName()).as("the default HTTPS server shows the default certificate")
          .isEqualTo("default.invalid");

      // ssl_enabled=1: HTTPS next to plain HTTP
      rig.saveSite("a.test", "ssl_enabled", "1");
      p.site("a.test").verify();
      assertConfigTestPasses(web, "verify of a.test with ssl_enabled=1");
      TlsResponse a = httpsUntil(web, "a.test", "/", r -> r.status() == 200);
      assertThat(a.body()).as("HTTPS serves the site").startsWith("host=a.test ");
      assertThat(a.commonName()).as("with a certificate made for the site").isEqualTo("a.test");
      assertServes(web, "a.test", "plain HTTP still serves a site with ssl_enabled=1");

      // ssl_enabled=2: plain HTTP redirects to HTTPS
      rig.saveSite("b.test", "ssl_enabled", "2");
      p.site("b.test").verify();
      assertConfigTestPasses(web, "verify of b.test with ssl_enabled=2");
      Http.Response plain = httpUntil(web, "b.test", "/page?q=1", r -> r.status() == 301);
      assertThat(plain.header("Location")).as("plain HTTP redirects to HTTPS, keeping path and query")
          .hasValueSatisfying(l -> assertThat(l).as("Location").startsWith("https://b.test").endsWith("/page?q=1"));
      TlsResponse b = httpsUntil(web, "b.test", "/", r -> r.status() == 200);
      assertThat(b.body()).as("HTTPS serves the site that requires it").startsWith("host=b.test ");
      assertThat(b.commonName()).as("with its own certificate").isEqualTo("b.test");
      Http.Response withPort = httpUntil(web, "b.test:" + web.port(), "/", r -> r.status() == 301);
      assertThat(withPort.header("Location")).as("a Host with the plain port does not carry it into the HTTPS URL")
          .hasValueSatisfying(l -> assertThat(l).as("Location").startsWith("https://b.test")
              .doesNotContain(":" + web.port()));
      TlsResponse again = httpsUntil(web, "a.test", "/", r -> r.status() == 200);
      assertThat(again.commonName()).as("SNI still picks a.test's certificate for a.test").isEqualTo("a.test");

      // redirection over HTTPS: the other names redirect there too, with the site's certificate
      rig.saveSite("a.test", "aliases", "www.a.test", "redirection", "a.test");
      p.site("a.test").verify();
      assertConfigTestPasses(web, "verify of a.test with an alias and a redirection");
      TlsResponse alias = httpsUntil(web, "www.a.test", "/x?y=1", r -> r.status() == 301);
      assertThat(alias.header("Location")).as("an alias over HTTPS redirects to the target over HTTPS")
          .hasValue("https://a.test/x?y=1");
      assertThat(alias.commonName()).as("with the site's certificate").isEqualTo("a.test");
      assertThat(httpsUntil(web, "a.test", "/", r -> r.status() == 200).body())
          .as("the target itself is served over HTTPS").startsWith("host=a.test ");

      // disabled: HTTPS answers with the disabled page too
      p.site("b.test").disable();
      assertConfigTestPasses(web, "disable of b.test");
      TlsResponse disabledTls = httpsUntil(web, "b.test", "/", r -> r.status() == 302);
      assertThat(disabledTls.header("Location")).as("a disabled site redirects to web_disable_url/<uri> over HTTPS")
          .hasValue(DISABLE_URL + "/b.test");
      assertThat(httpUntil(web, "b.test", "/", r -> r.status() == 302).header("Location"))
          .as("and over plain HTTP").hasValue(DISABLE_URL + "/b.test");
      p.site("b.test").enable();
      assertThat(httpsUntil(web, "b.test", "/", r -> r.status() == 200).body())
          .as("enabled again, HTTPS serves it").startsWith("host=b.test ");
      assertConfigTestPasses(web, "enable of b.test");
    }
  }

  // ---------------------------------------------------------------- IPv6

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nginx", "apache"})
  void anIpv6ListenAddressMakesAValidConfiguration(String type, @TempDir Path temp) throws IOException {
    try (Rig rig = new Rig(temp)) {
      Web web = rig.start(type);
      Provision p = rig.provision;
      rig.saveServer(type, web);
      p.save("server_master", PropertyChanges.builder().set("http_listen_address", "::1").build());
      if (type.equals("apache")) {
        // The testkit's Apache listens on 127.0.0.1 only: its reload would (rightly) fail the check,
        // as nothing answers on [::1]; this test is about the configuration being valid.
        p.save("server_master", PropertyChanges.builder().set("http_reload_check", "0").build());
      }
      rig.savePlatform();
      rig.saveSite("a.test");
      verifyAll(p, List.of("a.test"));
      assertConfigTestPasses(web, "verifies with http_listen_address=::1");
      assertThat(Files.readString(rig.vhost(type, "a.test"))).as("an IPv6 address is bracketed before its port")
          .contains("[::1]:" + web.port());
      if (type.equals("nginx")) {
        // Apache's Listen directives belong to the testkit (127.0.0.1 only); nginx binds what the vhost says
        InetAddress loopback6 = InetAddress.getByName("::1");
        long deadline = System.nanoTime() + HttpItSupport.RELOAD.toNanos();
        Http.Response r = null;
        while (System.nanoTime() < deadline) {
          try {
            r = HttpItSupport.httpGet(loopback6, web.port(), "a.test", "/");
            if (r.status() == 200) {
              break;
            }
          } catch (IOException e) {
            // not listening yet: the reload is on its way
          }
          sleepBriefly();
        }
        assertThat(r).as("nginx answers on [::1]:%s", web.port()).isNotNull();
        assertThat(r.body()).as("nginx serves the site on the IPv6 loopback").startsWith("host=a.test ");
      }
    }
  }

  private static void sleepBriefly() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- switching types

  @Test
  void switchingTheServerFromApacheToNginxServesTheSameSitesFromNginx(@TempDir Path temp) throws IOException {
    try (Rig rig = new Rig(temp)) {
      Web apache = rig.start("apache");
      Web nginx = rig.start("nginx");
      assertThat(nginx.port()).as("the two servers use different ports").isNotEqualTo(apache.port());
      Provision p = rig.provision;
      rig.saveServer("apache", apache);
      rig.savePlatform();
      rig.saveSite("a.test", "aliases", "www.a.test");
      rig.saveSite("b.test");
      verifyAll(p, List.of("a.test", "b.test"));
      assertConfigTestPasses(apache, "the apache verifies");
      assertServes(apache, "a.test", "a.test from Apache");
      assertServes(apache, "b.test", "b.test from Apache");

      rig.saveServer("nginx", nginx);
      verifyAll(p, List.of("a.test", "b.test"));
      assertConfigTestPasses(nginx, "the nginx verifies");
      assertServes(nginx, "a.test", "a.test from nginx after the switch");
      assertServes(nginx, "www.a.test", "the alias of a.test from nginx after the switch");
      assertServes(nginx, "b.test", "b.test from nginx after the switch");
      assertThat(rig.vhost("nginx", "a.test")).as("nginx's vhost is written").exists();
      assertThat(Files.readSymbolicLink(rig.home.resolve("config/nginx.conf")))
          .as("the system's nginx includes the server's nginx.conf")
          .isEqualTo(rig.home.resolve("config/server_master/nginx.conf"));
    }
  }

  private static void verifyAll(Provision p, List<String> sites) {
    p.server("server_master").verify();
    p.platform(PLATFORM).verify();
    for (String s : sites) {
      p.site(s).verify();
    }
  }

  // ---------------------------------------------------------------- hostile input

  /** Each holds the marker "hostile", so that any trace of it in a file can be found. */
  private static final List<String> HOSTILE = List.of(
      "hostile\nx.test", "hostile\r\nserver_name x.test", "hostile;x.test", "hostile}x.test", "hostile{x.test",
      "hostile\"x.test", "hostile'x.test", "hostile$x.test", "hostile`id`.test", "hostile$(id).test",
      "../hostile.test", "hostile/../x.test", "hostile x.test", "hostile\tx.test", "hostile\u0000x.test",
      "hostile_x.test", "HOSTILE.test ", "hostile.ex\u0430mple.test", "hostile.\u212aey.test",
      "hostile.\uff54est", "hostile\u200b.test", "hostile\u2024test", "hostile.test#x", "hostile\\x.test");

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nginx", "nginx_ssl", "apache", "apache_ssl"})
  void hostileNamesAndAliasesAreRefusedAtSaveAndNeverReachAFile(String type, @TempDir Path temp)
      throws IOException {
    try (Rig rig = new Rig(temp)) {
      Web web = rig.start(type);
      Provision p = rig.provision;
      rig.saveServer(type, web);
      rig.savePlatform();
      rig.saveSite("a.test", "aliases", "www.a.test");
      verifyAll(p, List.of("a.test"));

      List<String> aliasesOnly = List.of("hostile.test/../x", "hostile.test/sub dir", "hostile.test/a;b");
      List<String> all = new ArrayList<>(HOSTILE);
      all.addAll(aliasesOnly);
      for (String h : HOSTILE) {
        assertThat(catchThrowable(() -> rig.saveSite(h))).as("the site name %s is refused", Text.quote(h))
            .isInstanceOf(InvalidContextException.class)
            .hasMessageContaining(Text.quote(h))
            .satisfies(e -> assertThat(e.getMessage()).as("the message is one safe line").doesNotContain("\n", "\r"));
      }
      for (String h : all) {
        assertThat(catchThrowable(() -> p.save(Site.named("a.test").platform(PLATFORM).addAliases("www.a.test", h))))
            .as("the alias %s is refused", Text.quote(h))
            .isInstanceOfSatisfying(InvalidContextException.class, e -> {
              assertThat(e.context()).as("naming the context").hasValue("@a.test");
              assertThat(e.property()).as("and the property").hasValue("aliases");
            });
        assertThat(catchThrowable(() -> p.save("a.test", PropertyChanges.builder().set("aliases", h).build())))
            .as("the alias %s is refused as text too", Text.quote(h))
            .isInstanceOfSatisfying(InvalidContextException.class, e -> {
              assertThat(e.context()).as("naming the context").hasValue("@a.test");
              assertThat(e.property()).as("and the property").hasValue("aliases");
            });
      }
      for (String h : HOSTILE) {
        assertThat(catchThrowable(() -> p.save("a.test", PropertyChanges.builder().set("redirection", h).build())))
            .as("the redirection %s is refused", Text.quote(h))
            .isInstanceOfSatisfying(InvalidContextException.class, e ->
                assertThat(e.property()).as("naming the property").hasValue("redirection"));
      }
      Random random = Generators.random(type.hashCode());
      for (int i = 0; i < 200; i++) {
        String h = Generators.hostileString(random);
        assertThat(catchThrowable(() -> rig.saveSite(h))).as("the generated site name %s is refused", Text.quote(h))
            .isInstanceOf(InvalidContextException.class);
      }

      assertThat(p.site("a.test").context().aliases()).as("the refused saves left the site as it was")
          .containsExactly("www.a.test");
      assertThat(p.list()).as("and made no context").allSatisfy(c ->
          assertThat(c.name().value()).as("context name").doesNotContain("hostile"));
      TaskReport again = p.site("a.test").verify();
      assertThat(again.changedPaths()).as("a verify after the refused saves changes nothing").isEmpty();
      assertConfigTestPasses(web, "the refused saves");
      assertServes(web, "a.test", "after the refused saves");

      List<Path> files = filesUnder(rig.home.resolve("config"));
      assertThat(files).as("the configuration exists").isNotEmpty();
      for (Path f : files) {
        String text = contentOf(f);
        assertThat(rig.home.relativize(f).toString()).as("file name %s", f).doesNotContainIgnoringCase("hostile");
        assertThat(text).as("%s holds no trace of a refused value", f).doesNotContainIgnoringCase("hostile");
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Asserts (polling, since reloads are asynchronous) that {@code host} is served by PHP as itself.
   * A port in {@code host} may or may not reach PHP: Debian's nginx passes {@code HTTP_HOST} as
   * {@code $host}, without it.
   */
  private static void assertServes(Web web, String host, String why) {
    String name = host.replaceFirst(":[0-9]+$", "");
    java.util.function.Predicate<String> ok =
        b -> b.startsWith("host=" + host + " site=") || b.startsWith("host=" + name + " site=");
    Http.Response r = httpUntil(web, host, "/", x -> x.status() == 200 && ok.test(x.body()));
    assertThat(r.body()).as("%s: %s answers with its own name", why, host).matches(ok);
  }
}
