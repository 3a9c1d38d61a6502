package net.aegirj.provision.services.ssl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.host.LocalHost;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.StepContext;
import net.aegirj.provision.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site's certificate leaves the web server and the store with the site, or when its SSL is
 * turned off, through real tasks on the local host (test and reload commands {@code true}); one
 * shared through {@code ssl_key} stays on a web server while another site's vhost there serves
 * it, and in the store while a stored site with SSL on names it; a failed delete puts it back. The store is seeded with certificates of a
 * {@link TestCa} that are not due, so no ACME server is asked (the directory does not resolve:
 * any request would fail the task).
 */
class CertificateRemovalTest {
  private static final TestCa CA = TestCa.create();

  @TempDir Path temp;

  private Provision provision(String provider) {
    Fixtures.phpPlatform(temp.resolve("platforms/a"));
    Provision p = Provision.builder().home(home()).build();
    p.save("server_master", PropertyChanges.builder().set("http_service_type", "nginx_ssl").set("http_port", "8080")
        .set("http_ssl_port", "8443").set("phpfpm_address", "unix:/run/php/php8.2-fpm.sock")
        .set("http_test_cmd", "true").set("http_restart_cmd", "true").set("http_reload_check", "0")
        .set("ssl_provider", provider).set("acme_directory_url", "https://acme.invalid/directory")
        .set("acme_renew_days", "1").build());
    p.save("platform_a", PropertyChanges.builder().set("context_type", "platform")
        .set("root", temp.resolve("platforms/a").toString()).build());
    p.server("server_master").verify();
    p.platform("platform_a").verify();
    return p;
  }

  private Path home() {
    return temp.resolve("home");
  }

  private Path store(String name) {
    return home().resolve("config/ssl.d").resolve(name);
  }

  private Path webCopy(String name) {
    return home().resolve("config/server_master/ssl.d").resolve(name);
  }

  private void seed(String name, String... names) {
    KeyPair key = TestCa.rsaKey();
    CA.drop(store(name), TestCa.keyPem(key), CA.site(key, names));
  }

  private void site(Provision p, String uri, String... props) {
    PropertyChanges.Builder b = PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_a")
        .set("ssl_enabled", "1");
    for (int i = 0; i < props.length; i += 2) {
      b.set(props[i], props[i + 1]);
    }
    p.save(uri, b.build());
  }

  @Test
  void deletingALetsEncryptSiteRemovesItsCopyAndItsStoreEntry() throws IOException {
    try (Provision p = provision("letsencrypt")) {
      seed("a.example.com", "a.example.com");
      site(p, "a.example.com");
      p.site("a.example.com").verify();
      assertThat(webCopy("a.example.com").resolve(CertificateBundle.FULL_CHAIN))
          .as("verify copied the store's certificate (not due: no ACME request) to the web server").exists();
      TaskReport delete = p.site("a.example.com").delete();
      assertThat(delete.reloads()).as("the web server reloads without the site").isNotEmpty();
      assertThat(webCopy("a.example.com")).as("delete removes the web server's copy").doesNotExist();
      assertThat(store("a.example.com")).as("and the store's entry").doesNotExist();
      assertThat(home().resolve("config/server_master/nginx/vhost.d/a.example.com")).as("and the vhost")
          .doesNotExist();
    }
  }

  @Test
  void aCertificateSharedThroughSslKeyStaysWhileAnotherSiteServesIt() throws IOException {
    try (Provision p = provision("manual")) {
      seed("shared", "b.example.com", "c.example.com");
      site(p, "b.example.com", "ssl_key", "shared");
      site(p, "c.example.com", "ssl_key", "shared");
      p.site("b.example.com").verify();
      p.site("c.example.com").verify();
      Path vhostC = home().resolve("config/server_master/nginx/vhost.d/c.example.com");
      assertThat(Files.readString(vhostC)).as("c's vhost serves the shared copy")
          .contains(webCopy("shared").resolve(CertificateBundle.FULL_CHAIN).toString());

      TaskReport deleteB = p.site("b.example.com").delete();
      assertThat(webCopy("shared").resolve(CertificateBundle.KEY))
          .as("deleting b keeps the shared copy: c's vhost names it").exists();
      assertThat(store("shared").resolve(CertificateBundle.KEY)).as("and the store's entry").exists();
      assertThat(deleteB.warnings()).as("the delete says why the certificate stays")
          .anySatisfy(w -> assertThat(w).contains("certificate shared stays", "c.example.com"));
      assertThat(p.site("c.example.com").verify().changedPaths()).as("c still verifies, unchanged").isEmpty();

      TaskReport deleteC = p.site("c.example.com").delete();
      assertThat(webCopy("shared")).as("deleting the last site serving it removes the web server's copy")
          .doesNotExist();
      assertThat(store("shared")).as("and the store's entry: no site names it any more").doesNotExist();
      assertThat(deleteC.steps()).as("the delete says so")
          .anySatisfy(st -> assertThat(st.changes()).anySatisfy(c -> assertThat(c)
              .contains("certificate shared removed from the central store")));
    }
  }

  @Test
  void aSharedStoreEntryStaysWhileASiteOnAnyWebServerNamesIt() {
    try (Provision p = provision("self_signed")) {
      site(p, "f.example.com", "ssl_key", "team");
      p.site("f.example.com").verify();
      // g names the key too but has no vhost on this web server (as if it were on another one).
      site(p, "g.example.com", "ssl_key", "team");
      TaskReport deleteF = p.site("f.example.com").delete();
      assertThat(webCopy("team")).as("no vhost on this web server serves the copy any more: it goes").doesNotExist();
      assertThat(store("team").resolve(CertificateBundle.KEY))
          .as("the store keeps the entry: g, stored with SSL on, names it").exists();
      assertThat(deleteF.warnings()).as("the delete says who keeps it")
          .anySatisfy(w -> assertThat(w).contains("certificate team stays in the central store", "g.example.com"));

      p.save("g.example.com", PropertyChanges.builder().set("ssl_enabled", "0").build());
      p.site("g.example.com").verify();
      assertThat(store("team")).as("g's SSL off: no site uses the entry, it goes").doesNotExist();
    }
  }

  @Test
  void turningSslOffRemovesTheSelfSignedCertificateAndTurningItOnMakesOneAgain() {
    try (Provision p = provision("self_signed")) {
      site(p, "h.example.com");
      p.site("h.example.com").verify();
      assertThat(store("h.example.com").resolve("openssl.key")).as("verify made a self-signed certificate").exists();
      assertThat(webCopy("h.example.com").resolve("openssl.key")).as("and copied it to the web server").exists();

      p.save("h.example.com", PropertyChanges.builder().set("ssl_enabled", "0").build());
      TaskReport off = p.site("h.example.com").verify();
      assertThat(webCopy("h.example.com")).as("SSL off removes the web server's copy").doesNotExist();
      assertThat(store("h.example.com")).as("and the store's entry").doesNotExist();
      assertThat(off.reloads()).as("the web server reloads without it").isNotEmpty();
      assertThat(p.site("h.example.com").verify().changedPaths()).as("a second verify changes nothing").isEmpty();

      p.save("h.example.com", PropertyChanges.builder().set("ssl_enabled", "1").build());
      p.site("h.example.com").verify();
      assertThat(store("h.example.com").resolve("openssl.key")).as("SSL on again: a new certificate").exists();
    }
  }

  @Test
  void aFailedDeletePutsTheStoreEntryBack() throws IOException {
    AtomicBoolean httpRan = new AtomicBoolean();
    try (Provision setup = provision("manual")) {
      seed("i.example.com", "i.example.com");
      site(setup, "i.example.com");
      setup.site("i.example.com").verify();
    }
    byte[] key = Files.readAllBytes(store("i.example.com").resolve(CertificateBundle.KEY));
    try (Provision p = Provision.builder().home(home()).failureInjector((task, context, index, name) -> {
      if (task == Task.DELETE && name.startsWith("http:")) {
        httpRan.set(true);
      } else if (task == Task.DELETE && httpRan.get()) {
        throw new IllegalStateException("injected after the http step");
      }
    }).build()) {
      assertThatThrownBy(() -> p.site("i.example.com").delete()).as("a step after the http one fails the delete")
          .isInstanceOf(ProvisionException.class);
      assertThat(httpRan).as("the http step (which removes the certificate) ran").isTrue();
      assertThat(store("i.example.com").resolve(CertificateBundle.KEY)).as("the rollback put the store's key back")
          .exists().hasBinaryContent(key);
      assertThat(Files.getPosixFilePermissions(store("i.example.com").resolve(CertificateBundle.KEY)))
          .as("still 0600").isEqualTo(PosixFilePermissions.fromString("rw-------"));
      assertThat(webCopy("i.example.com").resolve(CertificateBundle.KEY)).as("and the web server's copy").exists();
      assertThat(p.site("i.example.com").verify().changedPaths()).as("the site verifies unchanged").isEmpty();
    }
  }

  @Test
  void aLetsEncryptSiteNamingAnotherCertificateIsRefusedBeforeAnythingRuns() {
    try (Provision p = provision("letsencrypt")) {
      site(p, "j.example.com", "ssl_key", "shared");
      assertThatThrownBy(() -> p.site("j.example.com").verify())
          .as("letsencrypt issues per site: a shared ssl_key would never settle")
          .isInstanceOf(InvalidContextException.class)
          .hasMessageContaining("j.example.com").hasMessageContaining("ssl_key=shared")
          .hasMessageContaining("--ssl_key=null");
      assertThat(home().resolve("config/server_master/nginx/vhost.d/j.example.com"))
          .as("refused before anything was written").doesNotExist();
      site(p, "k.example.com", "ssl_key", "k.example.com");
      seed("k.example.com", "k.example.com");
      assertThatCode(() -> p.site("k.example.com").verify()).as("ssl_key equal to the uri is the site's own")
          .doesNotThrowAnyException();
    }
  }

  @Test
  void aSiteWhoseUriIsAnotherSitesSslKeyKeepsItsCertificateForThatSite() throws IOException {
    try (Provision p = provision("manual")) {
      seed("d.example.com", "d.example.com", "e.example.com");
      site(p, "d.example.com");
      site(p, "e.example.com", "ssl_key", "d.example.com");
      p.site("d.example.com").verify();
      p.site("e.example.com").verify();
      p.site("d.example.com").delete();
      assertThat(webCopy("d.example.com").resolve(CertificateBundle.KEY))
          .as("d's own certificate stays on the web server while e serves it").exists();
      assertThat(store("d.example.com").resolve(CertificateBundle.KEY)).as("and in the store").exists();
      p.site("e.example.com").delete();
      assertThat(webCopy("d.example.com")).as("then goes with e").doesNotExist();
    }
  }

  @Test
  void aSiteLeavingAWebServerKeepsItsStoreEntryUntilItIsDeleted() {
    try (Provision p = provision("self_signed")) {
      site(p, "m.example.com");
      p.site("m.example.com").verify();
      ResolvedContext site = p.resolve("m.example.com");
      ResolvedContext server = p.resolve("server_master");
      Path vhosts = home().resolve("config/server_master/nginx/vhost.d");
      // What a migrate's deploy does on the web server the site leaves (its delete steps there).
      SiteCertificates.remove(new Step(Task.DEPLOY, p), site, server, "m.example.com", vhosts, "m.example.com");
      assertThat(webCopy("m.example.com")).as("the web server the site leaves loses its copy").doesNotExist();
      assertThat(store("m.example.com").resolve("openssl.key"))
          .as("the store keeps the entry: the site still serves it, on its new web server").exists();

      SiteCertificates.remove(new Step(Task.DELETE, p), site, server, "m.example.com", vhosts, "m.example.com");
      assertThat(store("m.example.com")).as("its delete removes the entry").doesNotExist();
    }
  }

  /** The context of a step run by hand on the local host, not journaled; the repository is the instance's. */
  private static final class Step implements StepContext {
    private final Task task;
    private final Provision provision;
    private final Host local = new LocalHost("local");

    Step(Task task, Provision provision) {
      this.task = task;
      this.provision = provision;
    }

    @Override
    public Task task() {
      return task;
    }

    @Override
    public ResolvedContext target() {
      throw new UnsupportedOperationException();
    }

    @Override
    public ResolvedContext resolve(ContextName name) {
      return provision.resolve(name.toString());
    }

    @Override
    public Host host(ContextName server) {
      return local;
    }

    @Override
    public Host localHost() {
      return local;
    }

    @Override
    public Optional<List<ResolvedContext>> contexts(ContextType type) {
      return Optional.of(provision.list(type).stream().map(c -> provision.resolve(c.name().toString())).toList());
    }

    @Override
    public void onRollback(String what, Runnable undo) {}

    @Override
    public void reload(ContextName server, String service) {}

    @Override
    public void warn(String message) {}

    @Override
    public void skip(String reason) {}

    @Override
    public void onSuccess(String what, Runnable action) {}

    @Override
    public void changed(String what) {}

    @Override
    public void save(ContextName name, PropertyChanges changes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T extends AutoCloseable> T resource(String key, Supplier<T> create) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T extends AutoCloseable> T shared(String key, Supplier<T> create) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Optional<String> option(String name) {
      return Optional.empty();
    }

    @Override
    public void result(String key, String value) {}

    @Override
    public boolean planOnly() {
      return false;
    }
  }
}
