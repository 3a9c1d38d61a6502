package net.aegirj.provision.testkit;

import static net.aegirj.provision.spi.ContextRepository.NEW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.InstallMethod;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.SslMode;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.TaskLocks;
import net.aegirj.provision.spi.Versioned;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The executable definition of the {@link ContextRepository} contract. To test an
 * implementation, extend this class and return a new, empty repository from
 * {@link #newRepository()}:
 *
 * <pre>{@code
 * class MyRepositoryTest extends ContextRepositoryContract {
 *   @TempDir Path home;
 *
 *   @Override protected ContextRepository newRepository() { return new MyRepository(home); }
 *   @Override protected boolean supportsPersistence() { return true; }
 *   @Override protected ContextRepository reopen() { return new MyRepository(home); }
 * }
 * }</pre>
 *
 * <p>Each test gets a fresh repository from {@link #newRepository()} and closes it afterwards.
 * Implementations that keep contexts beyond {@link ContextRepository#close()} override
 * {@link #supportsPersistence()} and {@link #reopen()}; the persistence tests are skipped
 * otherwise.
 */
public abstract class ContextRepositoryContract {
  private static final ContextName WEB1 = ContextName.of("server_web1");
  private static final ContextName WEB2 = ContextName.of("server_web2");
  private static final ContextName DB1 = ContextName.of("server_db1");
  private static final ContextName D10 = ContextName.of("platform_d10");

  private ContextRepository repository;

  /** Creates the contract; subclasses need no constructor arguments. */
  protected ContextRepositoryContract() {}

  /**
   * Creates the repository under test. Called once before every test; the repository is closed
   * after the test.
   *
   * @return a new, empty repository
   */
  protected abstract ContextRepository newRepository();

  /**
   * Tells whether the repository keeps its contexts when it is closed and {@link #reopen()
   * reopened}. Defaults to false, which skips the persistence tests.
   *
   * @return true when {@link #reopen()} is implemented
   */
  protected boolean supportsPersistence() {
    return false;
  }

  /**
   * Opens another repository on the same storage as the one {@link #newRepository()} returned in
   * this test (for example, a new instance on the same directory). Only called when
   * {@link #supportsPersistence()} is true; the contract closes what it gets.
   *
   * @return a repository that sees what the test's repository stored
   */
  protected ContextRepository reopen() {
    throw new UnsupportedOperationException(getClass().getName()
        + " does not support persistence; override supportsPersistence() and reopen()");
  }

  /**
   * Removes the index of host names from the storage of the test's repository (closed by then),
   * as a repository written before the index existed has none: for example, deletes the index's
   * files, or its table and the record of it. By default there is no index that can be lost, and
   * the test that needs one is skipped.
   *
   * @return true when the index was removed, false when the repository has none that can be lost
   */
  protected boolean removeHostIndex() {
    return false;
  }

  /**
   * Indexes a host name for a site, as a writer killed after indexing it and before writing the
   * site would leave it. By default the index cannot hold such a claim (it is written in one
   * transaction with the site, or kept in memory), and the test that needs one is skipped.
   *
   * @param host the host name
   * @param site the site the index is to name
   * @return true when the claim was left, false when the index cannot hold one
   */
  protected boolean leaveStaleClaim(String host, ContextName site) {
    return false;
  }

  /** @return the repository of the running test */
  protected final ContextRepository repository() {
    return repository;
  }

  /** Creates the repository of the test. */
  @BeforeEach
  public final void openRepository() {
    repository = newRepository();
    assertThat(repository).as("newRepository() must return a repository").isNotNull();
  }

  /** Closes the repository of the test. */
  @AfterEach
  public final void closeRepository() {
    if (repository != null) {
      repository.close();
      repository = null;
    }
  }

  // --- fixtures --------------------------------------------------------------------------------

  /** @return the master server with every server property set, and extras */
  protected static Server fullServer() {
    return Server.builder().name(ContextName.MASTER)
        .remoteHost("localhost")
        .aegirRoot("/var/aegir")
        .scriptUser("aegir")
        .addIpAddresses("127.0.0.1", "::1", "2001:db8:0:0:0:0:0:1")
        .masterUrl("https://aegir.example.com:8443/hosting/c+~_20")
        .adminEmail("ops+aegir@example.com")
        .httpServiceType("nginx")
        .dbServiceType("mysql")
        .dnsServiceType("NONE")
        .sshPort(2222)
        .sshUser("deploy")
        .sshIdentity(Path.of("/home/aegir/.ssh/id_ed25519"))
        .sshKnownHosts(Path.of("/home/aegir/.ssh/known_hosts"))
        .putExtras("http_port", "8080")
        .putExtras("db_grant_all_hosts", "1")
        .putExtras("nginx_has_http2", "true")
        .build();
  }

  /** @return a platform with every platform property set, and an extra */
  protected static Platform fullPlatform() {
    return Platform.builder().name(D10)
        .root("/var/aegir/platforms/drupal-10.3.1")
        .webServer(WEB1)
        .makefile("https://example.com/builds/d10.make")
        .makeWorkingCopy(true)
        .repoPath(Path.of("/var/aegir/repos/d10"))
        .putExtras("git_ref", "10.3.x")
        .build();
  }

  /** @return a site with every site property set: lists, maps, booleans, enums and extras */
  protected static Site fullSite() {
    return Site.builder().name(ContextName.of("www.example.com"))
        .uri("www.example.com")
        .platform(D10)
        .dbServer(DB1)
        .siteEnabled(false)
        .language("pt-br")
        .clientName("Acme_Corp-1.0")
        .addAliases("example.com", "shop.example.com", "example.com/blog/2024")
        .redirection("example.com")
        .cronKey("Zx9_-abcDEF123")
        .addDrushAliases("example", "acme.live")
        .profile("minimal")
        .installMethod(InstallMethod.MANUAL)
        .sslEnabled(SslMode.REQUIRED)
        .sslKey("example.com")
        .putIpAddresses("server_web1", "192.0.2.10")
        .putIpAddresses("server_web2", "2001:db8::1")
        .dnsZone("example.com")
        .dnsZoneSubdomain("www")
        .putExtras("php_version", "8.3")
        .putExtras("note", "hello world")
        .build();
  }

  private static Server server(ContextName name) {
    return Server.builder().name(name).remoteHost(name.value().replace('_', '-') + ".example.com").build();
  }

  private static Platform platform(String name, ContextName webServer) {
    Platform.Builder b = Platform.named(name).root("/var/aegir/platforms/" + name);
    if (webServer != null) {
      b.webServer(webServer);
    }
    return b.build();
  }

  private static Site site(String name, ContextName platform) {
    return Site.named(name).platform(platform).build();
  }

  private void assertConflict(String why, ContextName name, ThrowingCallable call) {
    assertThatThrownBy(call).as(why)
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining(name.value());
  }

  private Versioned loaded(ContextName name) {
    Optional<Versioned> v = repository.load(name);
    assertThat(v).as("%s was saved and must load", name).isPresent();
    return v.get();
  }

  private void assertRoundTrip(Context context) {
    long version = repository.save(context, NEW);
    assertThat(version).as("a new context starts at version 1").isEqualTo(1);
    Versioned v = loaded(context.name());
    assertThat(ContextProperties.toMap(v.context()))
        .as("every property of %s must load as it was saved", context.name())
        .isEqualTo(ContextProperties.toMap(context));
    assertThat(v.context()).as("the loaded %s must equal the saved value", context.name()).isEqualTo(context);
    assertThat(v.context().type()).as("the loaded context keeps its type").isEqualTo(context.type());
    assertThat(v.version()).as("the loaded version is the saved version").isEqualTo(1);
  }

  // --- round trips -----------------------------------------------------------------------------

  /** A fresh repository holds nothing. */
  @Test
  public void emptyRepositoryHoldsNothing() {
    assertThat(repository.load(ContextName.MASTER)).as("nothing was saved, so nothing loads").isEmpty();
    assertThat(repository.list()).as("nothing was saved, so nothing is listed").isEmpty();
    assertThat(repository.list(ContextType.SITE)).as("nothing was saved, so no site is listed").isEmpty();
    assertThat(repository.referrers(ContextName.MASTER)).as("nothing was saved, so nothing refers").isEmpty();
  }

  /** A server with every property set loads exactly as saved. */
  @Test
  public void serverRoundTrips() {
    assertRoundTrip(fullServer());
  }

  /** A platform with every property set loads exactly as saved. */
  @Test
  public void platformRoundTrips() {
    assertRoundTrip(fullPlatform());
  }

  /** A site with every property set loads exactly as saved. */
  @Test
  public void siteRoundTrips() {
    assertRoundTrip(fullSite());
  }

  /** Minimal contexts (only what is required) load exactly as saved, without gaining defaults. */
  @Test
  public void minimalContextsRoundTrip() {
    assertRoundTrip(Server.named("server_bare").build());
    assertRoundTrip(Platform.named("platform_bare").root("/").build());
    assertRoundTrip(Site.named("bare.example.com").platform("platform_bare").build());
  }

  /**
   * Names up to {@link ContextName#MAX_LENGTH} characters are stored like any other: a missing
   * one loads as empty, and saved ones load, list, update and delete.
   */
  @Test
  public void longestNamesRoundTrip() {
    String host253 = String.join(".", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61));
    List<Context> contexts = List.of(
        Server.named("s".repeat(ContextName.MAX_LENGTH)).build(),
        Server.named("t".repeat(233)).build(),
        Platform.named("p".repeat(ContextName.MAX_LENGTH)).root("/var/aegir/platforms/long").build(),
        Site.named(host253).platform("p".repeat(ContextName.MAX_LENGTH)).build());
    for (Context c : contexts) {
      assertThat(repository.load(c.name())).as("a missing %d-character name loads as empty",
          c.name().value().length()).isEmpty();
    }
    for (Context c : contexts) {
      assertRoundTrip(c);
    }
    assertThat(repository.list()).as("long names are listed").hasSize(contexts.size());
    assertThat(repository.referrers(ContextName.of("p".repeat(ContextName.MAX_LENGTH))))
        .as("a long-named site refers to its long-named platform").containsExactly(ContextName.of(host253));
    Context longest = contexts.get(0);
    assertThat(repository.save(longest, 1)).as("a long-named context can be updated").isEqualTo(2);
    repository.delete(longest.name(), 2);
    assertThat(repository.load(longest.name())).as("a long-named context can be deleted").isEmpty();
  }

  /** Generated contexts with random subsets of properties load exactly as saved. */
  @Test
  public void generatedContextsRoundTrip() {
    Random random = new Random(20_240_601L);
    Map<ContextName, Context> saved = new LinkedHashMap<>();
    for (int i = 0; i < 25; i++) {
      Server server = Generators.validServer(random);
      Platform platform = Generators.validPlatform(random, random.nextBoolean() ? server.name() : null);
      Site site = Generators.validSite(random, platform.name());
      for (Context c : List.of(server, platform, site)) {
        if (!saved.containsKey(c.name())) {
          repository.save(c, NEW);
          saved.put(c.name(), c);
        }
      }
    }
    for (Context c : saved.values()) {
      assertThat(loaded(c.name()).context()).as("generated %s must load as saved", c.name()).isEqualTo(c);
    }
    assertThat(repository.list()).as("every generated context is listed, by name")
        .extracting(v -> v.context().name())
        .containsExactlyElementsOf(saved.keySet().stream().sorted().toList());
  }

  /**
   * Values that are valid but awkward for a storage format (spaces, '#', '=', ',', ':', '%',
   * braces, JSON and YAML look-alikes, numbers and booleans as text, the longest text) load
   * exactly as saved.
   */
  @Test
  public void hostileButValidContentRoundTrips() {
    Map<String, String> extras = new LinkedHashMap<>();
    extras.put("x_spaces", "  leading, inner  and trailing  ");
    extras.put("x_blank", "   ");
    extras.put("x_empty", "");
    extras.put("x_comment", "# not a comment, really: [section] -- nor this");
    extras.put("x_pairs", "a=b, c=d,e = f");
    extras.put("x_yaml", "key: value - item ? ! % @ ~ ^ * + = ,");
    extras.put("x_json", "{[ ]} ( ) null / /* not */ -- nor this");
    extras.put("x_number", "007");
    extras.put("x_bool", "true");
    extras.put("x_null", "null");
    extras.put("x_percent", "%s %n %d %% %{x} {{ template }}");
    extras.put("x_at", "@server_master");
    extras.put("x_path", "../../etc/passwd");
    extras.put("x_url", "http://example.com/?a=b#frag");
    extras.put("x_longest", "x y ".repeat(256));
    extras.put("x_" + "k".repeat(62), "the longest key");
    Server server = Server.named("server_hostile").remoteHost("hostile.example.com").putAllExtras(extras).build();
    Platform platform = Platform.named("platform_hostile")
        .root("/srv/a@b/c+d/e%20f/g-h_i.j/...")
        .putAllExtras(extras).build();
    Site site = Site.named("xn--e1afmkfd.example.com").platform("platform_hostile")
        .addAliases("a.example.com/x/y.z/_-_", "0.0.0.0.example.com", "a-b.c")
        .addDrushAliases("a_b-c.d", "0")
        .cronKey("-".repeat(128))
        .putIpAddresses("0", "*")
        .putAllExtras(extras).build();
    assertRoundTrip(server);
    assertRoundTrip(platform);
    assertRoundTrip(site);
  }

  // --- versions and conflicts ------------------------------------------------------------------

  /** Versions start at 1 and grow by one with every save, per context. */
  @Test
  public void versionsStartAtOneAndGrowByOne() {
    Site first = site("versions.example.com", D10);
    assertThat(repository.save(first, NEW)).as("a new context starts at version 1").isEqualTo(1);
    Site second = Site.builder().from(first).siteEnabled(false).build();
    assertThat(repository.save(second, 1)).as("saving on version 1 gives version 2").isEqualTo(2);
    Site third = Site.builder().from(second).language("de").build();
    assertThat(repository.save(third, 2)).as("saving on version 2 gives version 3").isEqualTo(3);
    assertThat(loaded(first.name())).as("load returns the latest value and its version")
        .isEqualTo(new Versioned(third, 3));
    assertThat(repository.save(server(WEB1), NEW)).as("another context has its own versions, from 1")
        .isEqualTo(1);
    assertThat(loaded(first.name()).version()).as("saving another context leaves this version alone")
        .isEqualTo(3);
  }

  /** A save based on a stale version fails with a conflict and changes nothing. */
  @Test
  public void staleSaveConflictsAndChangesNothing() {
    Server v1 = server(WEB1);
    repository.save(v1, NEW);
    Server current = v1;
    for (long version = 1; version < 5; version++) {
      current = Server.builder().from(current).sshPort((int) (2200 + version)).build();
      repository.save(current, version);
    }
    Server stale = Server.builder().from(v1).remoteHost("stale.example.com").build();
    assertThatThrownBy(() -> repository.save(stale, 2))
        .as("saving on version 2 when version 5 is stored must conflict, naming context and versions")
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining(WEB1.value())
        .hasMessageContaining("2")
        .hasMessageContaining("5");
    assertConflict("saving on a version newer than the stored one must conflict", WEB1,
        () -> repository.save(stale, 6));
    assertThat(loaded(WEB1)).as("a failed save must leave the stored context and version unchanged")
        .isEqualTo(new Versioned(current, 5));
  }

  /** Creating a context that exists fails with a conflict and changes nothing. */
  @Test
  public void createOverExistingConflicts() {
    Site original = site("taken.example.com", D10);
    repository.save(original, NEW);
    Site intruder = Site.named("taken.example.com").platform("platform_other").build();
    assertConflict("saving with NEW over an existing context must conflict", original.name(),
        () -> repository.save(intruder, NEW));
    assertThat(loaded(original.name())).as("the existing context must be unchanged")
        .isEqualTo(new Versioned(original, 1));
  }

  /** Updating a context that does not exist fails with a conflict and creates nothing. */
  @Test
  public void updateOfMissingConflicts() {
    Site ghost = site("ghost.example.com", D10);
    assertConflict("saving on version 1 when nothing is stored must conflict", ghost.name(),
        () -> repository.save(ghost, 1));
    assertThat(repository.load(ghost.name())).as("a failed save must not create the context").isEmpty();
    assertThat(repository.list()).as("a failed save must not list anything").isEmpty();
  }

  // --- delete ----------------------------------------------------------------------------------

  /** Deleting with the stored version removes the context; it can then be created anew at version 1. */
  @Test
  public void deleteWithCurrentVersionRemoves() {
    Platform p = platform("platform_gone", null);
    repository.save(p, NEW);
    repository.save(Platform.builder().from(p).makeWorkingCopy(true).build(), 1);
    repository.delete(p.name(), 2);
    assertThat(repository.load(p.name())).as("a deleted context no longer loads").isEmpty();
    assertThat(repository.list()).as("a deleted context is no longer listed").isEmpty();
    assertConflict("saving on the deleted version must conflict", p.name(), () -> repository.save(p, 2));
    assertThat(repository.save(p, NEW)).as("a deleted context can be created again, from version 1")
        .isEqualTo(1);
    assertThat(loaded(p.name())).as("the re-created context loads").isEqualTo(new Versioned(p, 1));
  }

  /** Deleting with a stale version fails with a conflict and keeps the context. */
  @Test
  public void staleDeleteConflictsAndKeeps() {
    Server s = server(DB1);
    repository.save(s, NEW);
    repository.save(s, 1);
    repository.save(s, 2);
    assertConflict("deleting on version 1 when version 3 is stored must conflict", DB1,
        () -> repository.delete(DB1, 1));
    assertConflict("deleting with NEW on an existing context must conflict", DB1,
        () -> repository.delete(DB1, NEW));
    assertConflict("deleting on a version newer than the stored one must conflict", DB1,
        () -> repository.delete(DB1, 4));
    assertThat(loaded(DB1)).as("a failed delete must keep the context and its version")
        .isEqualTo(new Versioned(s, 3));
  }

  /** Deleting a context that does not exist fails with a conflict. */
  @Test
  public void deleteOfMissingConflicts() {
    ContextName missing = ContextName.of("missing.example.com");
    assertConflict("deleting a missing context on version 1 must conflict", missing,
        () -> repository.delete(missing, 1));
    assertConflict("deleting a missing context with NEW must conflict", missing,
        () -> repository.delete(missing, NEW));
    assertThat(repository.list()).as("a failed delete must not create anything").isEmpty();
  }

  // --- list ------------------------------------------------------------------------------------

  /** {@code list()} and {@code list(type)} return the stored contexts ordered by name. */
  @Test
  public void listIsOrderedByName() {
    List<Context> contexts = List.of(
        server(ContextName.of("zeta")), site("m.example.com", D10), server(ContextName.of("alpha")),
        platform("platform_b", null), site("a.example.com", D10), platform("platform_a", WEB1),
        server(ContextName.of("server_10")), server(ContextName.of("server_9")), server(ContextName.MASTER));
    for (Context c : contexts) {
      repository.save(c, NEW);
    }
    repository.save(server(ContextName.of("alpha")), 1);
    List<Versioned> all = repository.list();
    assertThat(all).as("list() names every context in name order")
        .extracting(v -> v.context().name().value())
        .containsExactly("a.example.com", "alpha", "m.example.com", "platform_a", "platform_b", "server_10",
            "server_9", "server_master", "zeta");
    assertThat(all).as("list() carries the stored versions")
        .extracting(Versioned::version)
        .containsExactly(1L, 2L, 1L, 1L, 1L, 1L, 1L, 1L, 1L);
    assertThat(repository.list(ContextType.SERVER)).as("list(SERVER) holds the servers in name order")
        .extracting(v -> v.context().name().value())
        .containsExactly("alpha", "server_10", "server_9", "server_master", "zeta");
    assertThat(repository.list(ContextType.PLATFORM)).as("list(PLATFORM) holds the platforms in name order")
        .extracting(v -> v.context().name().value())
        .containsExactly("platform_a", "platform_b");
    assertThat(repository.list(ContextType.SITE)).as("list(SITE) holds the sites in name order")
        .extracting(v -> v.context().name().value())
        .containsExactly("a.example.com", "m.example.com");
    for (Versioned v : all) {
      assertThat(repository.load(v.context().name())).as("list() agrees with load() for %s", v.context().name())
          .contains(v);
    }
  }

  // --- referrers -------------------------------------------------------------------------------

  /** {@code referrers} finds contexts by their stored reference properties, and nothing else. */
  @Test
  public void referrersFollowStoredReferences() {
    repository.save(server(WEB1), NEW);
    repository.save(server(WEB2), NEW);
    repository.save(server(DB1), NEW);
    ContextName unrelated = ContextName.of("server_unrelated");
    repository.save(server(unrelated), NEW);
    repository.save(platform("platform_d10", WEB1), NEW);
    repository.save(platform("platform_b", WEB1), NEW);
    repository.save(platform("platform_default", null), NEW);
    repository.save(Site.named("s1.example.com").platform(D10).dbServer(DB1).build(), NEW);
    repository.save(Site.named("s2.example.com").platform("platform_default").build(), NEW);
    repository.save(Site.named("s3.example.com").platform("platform_b").dbServer(ContextName.MASTER).build(), NEW);
    // mentions that are not references: extras text, drush aliases, ip_addresses keys, aliases
    repository.save(Site.named("s4.example.com").platform("platform_default")
        .putExtras("note", "@server_unrelated").putExtras("web_server", "@server_unrelated")
        .addDrushAliases("server_unrelated").putIpAddresses("server_unrelated", "192.0.2.1")
        .addAliases("server-unrelated.example.com").build(), NEW);

    assertThat(repository.referrers(WEB1)).as("platforms whose web_server is @server_web1, ordered")
        .containsExactly(ContextName.of("platform_b"), D10);
    assertThat(repository.referrers(D10)).as("the site whose platform is @platform_d10")
        .containsExactly(ContextName.of("s1.example.com"));
    assertThat(repository.referrers(DB1)).as("the site whose db_server is @server_db1")
        .containsExactly(ContextName.of("s1.example.com"));
    assertThat(repository.referrers(ContextName.of("platform_default")))
        .as("sites whose platform is @platform_default, ordered")
        .containsExactly(ContextName.of("s2.example.com"), ContextName.of("s4.example.com"));
    assertThat(repository.referrers(ContextName.MASTER))
        .as("only an explicitly stored @server_master counts; defaults are not stored")
        .containsExactly(ContextName.of("s3.example.com"));
    assertThat(repository.referrers(WEB2)).as("nothing refers to @server_web2").isEmpty();
    assertThat(repository.referrers(unrelated))
        .as("extras, drush aliases, ip_addresses keys and aliases are not references").isEmpty();
    assertThat(repository.referrers(ContextName.of("nowhere"))).as("a missing target has no referrers").isEmpty();

    repository.delete(ContextName.of("s1.example.com"), 1);
    repository.save(platform("platform_b", WEB2), 1);
    assertThat(repository.referrers(D10)).as("a deleted site no longer refers").isEmpty();
    assertThat(repository.referrers(WEB1)).as("an updated platform no longer refers to its old server")
        .containsExactly(D10);
    assertThat(repository.referrers(WEB2)).as("an updated platform refers to its new server")
        .containsExactly(ContextName.of("platform_b"));
  }

  // --- concurrency -----------------------------------------------------------------------------

  /**
   * Eight threads append fifty aliases each to one site by read-modify-write, retrying on
   * conflict: no update is lost and the version counts every successful save.
   */
  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  public void concurrentReadModifyWriteLosesNoUpdate() throws Exception {
    int threads = 8;
    int perThread = 50;
    ContextName name = ContextName.of("busy.example.com");
    repository.save(site(name.value(), D10), NEW);
    AtomicLong successes = new AtomicLong();
    AtomicLong conflicts = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < perThread; i++) {
            String alias = "t" + thread + "-n" + i + ".example.org";
            for (int attempt = 0; ; attempt++) {
              if (attempt > 100_000) {
                throw new AssertionError("gave up adding " + alias + " after " + attempt + " conflicts");
              }
              Versioned v = repository.load(name).orElseThrow();
              Site next = Site.builder().from((Site) v.context()).addAliases(alias).build();
              try {
                repository.save(next, v.version());
                successes.incrementAndGet();
                break;
              } catch (ConflictException e) {
                conflicts.incrementAndGet();
              }
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(280, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    Versioned last = loaded(name);
    List<String> expected = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < perThread; i++) {
        expected.add("t" + t + "-n" + i + ".example.org");
      }
    }
    assertThat(successes.get()).as("every alias was added by exactly one successful save")
        .isEqualTo((long) threads * perThread);
    assertThat(last.version()).as("the version counts the creation and every successful save (%s conflicts)",
        conflicts.get()).isEqualTo(1 + successes.get());
    assertThat(((Site) last.context()).aliases()).as("no update was lost or duplicated")
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  // --- host names ------------------------------------------------------------------------------

  private static Site site(String name, String... aliases) {
    return Site.named(name).platform(D10).addAliases(aliases).build();
  }

  private void assertTaken(String why, String host, ContextName owner, ThrowingCallable call) {
    assertThatThrownBy(call).as(why).isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("'" + host + "' is already served by " + owner)
        .hasMessageContaining("a host name belongs to one site");
  }

  /**
   * A host name (a site's uri or one of its aliases) belongs to one site: a save of another site
   * with it is refused and changes nothing; a name given up, or whose site is deleted, is free.
   */
  @Test
  public void aHostNameBelongsToOneSite() {
    Site a = site("a.example.com", "www.a.example.com", "a.example.com/blog");
    repository.save(a, NEW);
    assertTaken("an alias of another site", "www.a.example.com", a.name(),
        () -> repository.save(site("b.example.com", "www.a.example.com"), NEW));
    assertTaken("another site's uri as an alias", "a.example.com", a.name(),
        () -> repository.save(site("c.example.com", "a.example.com"), NEW));
    assertTaken("another site's alias as a uri", "www.a.example.com", a.name(),
        () -> repository.save(site("www.a.example.com"), NEW));
    assertTaken("an alias with a sub-directory too", "a.example.com/blog", a.name(),
        () -> repository.save(site("d.example.com", "a.example.com/blog"), NEW));
    assertThat(repository.list()).as("nothing was written by the refused saves").hasSize(1);
    assertThat(repository.hostOwners(List.of("a.example.com", "www.a.example.com", "a.example.com/blog", "x.test")))
        .as("the index names the site for each of its names, and nothing else")
        .isEqualTo(Map.of("a.example.com", a.name(), "www.a.example.com", a.name(), "a.example.com/blog", a.name()));

    assertThat(repository.save(site("a.example.com", "a.example.com/blog"), 1))
        .as("a site may keep its own names on every save").isEqualTo(2);
    assertThat(repository.save(site("b.example.com", "www.a.example.com"), NEW))
        .as("a name the site gave up is free").isEqualTo(1);
    assertThat(repository.hostOwners(List.of("www.a.example.com"))).as("and indexed for its new site")
        .isEqualTo(Map.of("www.a.example.com", ContextName.of("b.example.com")));
    repository.delete(a.name(), 2);
    assertThat(repository.hostOwners(List.of("a.example.com", "a.example.com/blog")))
        .as("a deleted site serves nothing").isEmpty();
    assertThat(repository.save(site("c.example.com", "a.example.com", "a.example.com/blog"), NEW))
        .as("the deleted site's names are free").isEqualTo(1);
    repository.save(server(WEB1), NEW);
    assertThat(repository.hostOwners(List.of("server-web1.example.com"))).as("a server serves no host name")
        .isEmpty();
  }

  /**
   * {@link ContextRepository#saveAll} checks every version and host name first (against what is
   * stored and within the batch): a refused batch writes nothing; a batch may move a name from
   * one of its sites to another.
   */
  @Test
  public void saveAllWritesTheWholeBatchOrNothing() {
    Site a = site("a.example.com", "www.a.example.com");
    repository.save(a, NEW);
    List<ContextRepository.Save> taken = List.of(new ContextRepository.Save(site("n1.example.com"), NEW),
        new ContextRepository.Save(site("n2.example.com", "www.a.example.com"), NEW));
    assertTaken("a stored site's name", "www.a.example.com", a.name(), () -> repository.saveAll(taken));
    List<ContextRepository.Save> twice = List.of(new ContextRepository.Save(site("n1.example.com", "dup.test"), NEW),
        new ContextRepository.Save(site("n2.example.com", "dup.test"), NEW));
    assertTaken("a name twice in the batch", "dup.test", ContextName.of("n1.example.com"),
        () -> repository.saveAll(twice));
    List<ContextRepository.Save> stale = List.of(new ContextRepository.Save(site("n1.example.com"), NEW),
        new ContextRepository.Save(a, NEW));
    assertConflict("a stale version in the batch", a.name(), () -> repository.saveAll(stale));
    assertThat(repository.list()).as("refused batches wrote nothing").extracting(v -> v.context().name())
        .containsExactly(a.name());

    List<Long> versions = repository.saveAll(List.of(
        new ContextRepository.Save(site("n1.example.com", "www.a.example.com"), NEW),
        new ContextRepository.Save(site("a.example.com"), 1),
        new ContextRepository.Save(server(WEB1), NEW)));
    assertThat(versions).as("each context's new version, in order").containsExactly(1L, 2L, 1L);
    assertThat(repository.list()).as("the whole batch was written").hasSize(3);
    assertThat(repository.hostOwners(List.of("www.a.example.com", "a.example.com")))
        .as("the alias moved within the batch")
        .isEqualTo(Map.of("www.a.example.com", ContextName.of("n1.example.com"), "a.example.com", a.name()));
    assertThatThrownBy(() -> repository.saveAll(List.of(new ContextRepository.Save(server(WEB2), NEW),
        new ContextRepository.Save(server(WEB2), NEW)))).as("a name twice in a batch")
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(repository.saveAll(List.of())).as("an empty batch writes nothing").isEmpty();
  }

  /**
   * Eight writers (separate instances on the storage when it persists, as processes would be)
   * save eight different sites with one alias at once, forty times over: exactly one site gets
   * each alias, the others are refused with the clear error.
   */
  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  public void concurrentSavesOfOneHostNameLetOneSiteHaveIt() throws Exception {
    int writers = 8;
    int rounds = 40;
    List<ContextRepository> instances = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      instances.add(supportsPersistence() ? reopen() : repository);
    }
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      for (int r = 0; r < rounds; r++) {
        String alias = "shared" + r + ".example.org";
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> futures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          ContextRepository mine = instances.get(w);
          Site s = site("w" + w + "-r" + r + ".example.org", alias);
          futures.add(pool.submit(() -> {
            start.await();
            try {
              mine.save(s, NEW);
              return true;
            } catch (InvalidContextException e) {
              assertThat(e.getMessage()).as("the refusal names the alias and why")
                  .contains("'" + alias + "' is already served by").contains("a host name belongs to one site");
              return false;
            }
          }));
        }
        start.countDown();
        int saved = 0;
        for (Future<Boolean> f : futures) {
          saved += f.get(100, TimeUnit.SECONDS) ? 1 : 0;
        }
        assertThat(saved).as("round %d: exactly one of %d concurrent saves gets %s", r, writers, alias).isEqualTo(1);
        long serving = repository.list().stream()
            .filter(v -> ContextRepository.hostNames(v.context()).contains(alias)).count();
        assertThat(serving).as("round %d: one stored site serves %s", r, alias).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
      if (supportsPersistence()) {
        instances.forEach(ContextRepository::close);
      }
    }
  }

  /**
   * A repository whose index of host names is missing (written before the index, or lost)
   * rebuilds it: a duplicate is still refused, a free name still accepted.
   */
  @Test
  public void aLostHostIndexIsRebuilt() {
    assumeTrue(supportsPersistence(), "the repository does not persist");
    Site a = site("a.example.com", "www.a.example.com");
    repository.save(a, NEW);
    repository.save(site("b.example.com"), NEW);
    repository = loseHostIndex();
    assumeTrue(repository != null, "the repository has no index of host names that can be lost");
    assertTaken("a stored site's alias, with the index lost", "www.a.example.com", a.name(),
        () -> repository.save(site("c.example.com", "www.a.example.com"), NEW));
    assertThat(repository.hostOwners(List.of("a.example.com", "b.example.com", "c.example.com")))
        .as("the rebuilt index names every stored site's names")
        .isEqualTo(Map.of("a.example.com", a.name(), "b.example.com", ContextName.of("b.example.com")));
    repository = loseHostIndex();
    assertThat(repository.save(site("c.example.com", "www.c.example.com"), NEW))
        .as("a free name is accepted with the index lost").isEqualTo(1);
    assertTaken("the rebuilt index has the new site too", "www.c.example.com", ContextName.of("c.example.com"),
        () -> repository.saveAll(List.of(new ContextRepository.Save(site("d.example.com", "www.c.example.com"), NEW))));
  }

  /** @return the test's repository reopened after its index was removed, or null when it has none to lose */
  private ContextRepository loseHostIndex() {
    repository.close();
    repository = null;
    return removeHostIndex() ? reopen() : null;
  }

  /**
   * A claim left by a writer killed between indexing a site's names and writing it (the site is
   * not stored, or no longer serves the name) refuses no legal name, and is replaced.
   */
  @Test
  public void aStaleClaimRefusesNoLegalName() {
    Site a = site("a.example.com");
    repository.save(a, NEW);
    assumeTrue(leaveStaleClaim("ghost.example.com", ContextName.of("never-written.example.com")),
        "the index cannot hold stale claims");
    leaveStaleClaim("old.example.com", a.name());
    assertThat(repository.hostOwners(List.of("ghost.example.com", "old.example.com")))
        .as("stale claims name no owner").isEmpty();
    assertThat(repository.save(site("b.example.com", "ghost.example.com"), NEW))
        .as("a name claimed for a site that was never written is free").isEqualTo(1);
    assertThat(repository.saveAll(List.of(new ContextRepository.Save(site("c.example.com", "old.example.com"), NEW))))
        .as("a name claimed for a site that does not serve it is free").containsExactly(1L);
    assertThat(repository.hostOwners(List.of("ghost.example.com", "old.example.com")))
        .as("the stale claims were replaced").isEqualTo(Map.of("ghost.example.com", ContextName.of("b.example.com"),
            "old.example.com", ContextName.of("c.example.com")));
    assertTaken("and now hold", "ghost.example.com", ContextName.of("b.example.com"),
        () -> repository.save(site("d.example.com", "ghost.example.com"), NEW));
  }

  // --- persistence -----------------------------------------------------------------------------

  /** A persistent repository, closed and reopened, holds every context with its version. */
  @Test
  public void contextsSurviveReopen() {
    assumeTrue(supportsPersistence(), "the repository does not persist");
    Server master = fullServer();
    repository.save(master, NEW);
    repository.save(master, 1);
    repository.save(fullPlatform(), NEW);
    repository.save(fullSite(), NEW);
    repository.save(server(WEB1), NEW);
    repository.save(server(DB1), NEW);
    repository.delete(DB1, 1);
    List<Versioned> before = repository.list();
    List<ContextName> referrersBefore = repository.referrers(WEB1);

    repository.close();
    repository = null;
    repository = reopen();
    assertThat(repository).as("reopen() must return a repository").isNotNull();

    assertThat(repository.list()).as("the reopened repository lists the same contexts and versions")
        .isEqualTo(before);
    assertThat(loaded(ContextName.MASTER)).as("the master server survives with version 2")
        .isEqualTo(new Versioned(master, 2));
    assertThat(loaded(D10)).as("the platform survives").isEqualTo(new Versioned(fullPlatform(), 1));
    assertThat(loaded(fullSite().name())).as("the site survives").isEqualTo(new Versioned(fullSite(), 1));
    assertThat(repository.load(DB1)).as("a deleted context stays deleted").isEmpty();
    assertThat(repository.referrers(WEB1)).as("references survive").isEqualTo(referrersBefore);
    assertThat(repository.save(master, 2)).as("versions continue after reopening").isEqualTo(3);
    assertConflict("a stale version still conflicts after reopening", ContextName.MASTER,
        () -> repository.save(master, 2));
  }

  /**
   * Two repositories open on the same storage (as two processes would be) see each other's writes
   * and detect each other's conflicting changes.
   */
  @Test
  public void instancesSharingStorageDetectConflicts() {
    assumeTrue(supportsPersistence(), "the repository does not persist");
    Site original = site("shared.example.com", D10);
    repository.save(original, NEW);
    ContextRepository other = reopen();
    try {
      assertThat(other.load(original.name())).as("the second instance sees the first one's write")
          .contains(new Versioned(original, 1));
      Site changed = Site.builder().from(original).siteEnabled(false).build();
      assertThat(other.save(changed, 1)).as("the second instance saves on version 1").isEqualTo(2);
      assertConflict("the first instance must see that version 1 is stale", original.name(),
          () -> repository.save(Site.builder().from(original).language("fr").build(), 1));
      assertThat(loaded(original.name())).as("the first instance loads the second one's change")
          .isEqualTo(new Versioned(changed, 2));
      repository.delete(original.name(), 2);
      assertThat(other.load(original.name())).as("the second instance sees the first one's delete").isEmpty();
    } finally {
      other.close();
    }
  }

  /**
   * Task locks, when the repository offers them: a context's lock is held by one holder at a
   * time, in this instance or another on the same storage (a control node on another machine);
   * a wait for it ends empty; other contexts, long names included, are not blocked; any thread may
   * release it, and then it can be taken again.
   */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  public void taskLocksWhenOfferedAreExclusiveAcrossInstances() throws Exception {
    Optional<TaskLocks> offered = repository.taskLocks();
    assumeTrue(offered.isPresent(), "the repository offers no task locks");
    TaskLocks locks = offered.get();
    ContextName site = ContextName.of("locked.example.com");
    ContextName longName = ContextName.of("l" + "o".repeat(200) + "ng.example.com");
    TaskLocks.Held held = locks.tryLock(site, Duration.ZERO).orElseThrow();
    assertThat(locks.tryLock(site, Duration.ZERO)).as("a held lock is not taken twice through one instance")
        .isEmpty();
    TaskLocks.Held other = locks.tryLock(longName, Duration.ZERO).orElseThrow();
    other.close();
    long start = System.nanoTime();
    assertThat(locks.tryLock(site, Duration.ofMillis(300))).as("a wait for a held lock ends empty").isEmpty();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("after the wait")
        .isGreaterThanOrEqualTo(Duration.ofMillis(300));
    if (supportsPersistence()) {
      try (ContextRepository second = reopen()) {
        TaskLocks elsewhere = second.taskLocks().orElseThrow();
        assertThat(elsewhere.tryLock(site, Duration.ZERO)).as("another instance on the storage is refused")
            .isEmpty();
        assertThat(elsewhere.tryLock(longName, Duration.ZERO)).as("but takes another context's lock")
            .hasValueSatisfying(TaskLocks.Held::close);
        CompletableFuture.runAsync(held::close).get(30, TimeUnit.SECONDS);
        held.close();
        elsewhere.tryLock(site, Duration.ofSeconds(5)).orElseThrow(() -> new AssertionError(
            "released by another thread, the lock is free for another instance")).close();
      }
    } else {
      CompletableFuture.runAsync(held::close).get(30, TimeUnit.SECONDS);
    }
    assertThat(locks.tryLock(site, Duration.ZERO)).as("a released lock can be taken again")
        .hasValueSatisfying(TaskLocks.Held::close);
  }
}
