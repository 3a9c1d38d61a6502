package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import net.aegirj.provision.core.Provision;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A JUnit 5 extension that hands each test a ready {@link Provision}.
 *
 * <p>{@link #inMemory()}: a fresh {@code Provision} per test with an
 * {@link InMemoryContextRepository}, every server's host a {@link FakeHost} (from one
 * {@link FakeHost.Provider} per test), and a private temporary home (mode 0700) that is removed
 * after the test. Nothing is written outside that home.
 *
 * <pre>{@code
 * @RegisterExtension static ProvisionExtension provision = ProvisionExtension.inMemory();
 *
 * @Test void verifies(Provision p, FakeHost.Provider hosts) { ... }
 * }</pre>
 *
 * <p>{@link #withLocalServers(LocalServer...)}: the servers named are started once for the test
 * class (real nginx, Apache, PHP-FPM and MariaDB from Debian's packages, on free loopback ports)
 * and stopped after its last test; each test gets a {@code Provision} with the file repository in
 * the class's home (so contexts saved by one test are seen by the next one of the class; nginx and
 * Apache include that home's configuration). The extension chooses the state directory itself:
 * short (Unix socket paths are limited) and searchable by the web servers' workers, which run as
 * {@code www-data} under root. Use it as a {@code static} field.
 *
 * <p>Parameters it injects into test and lifecycle methods: {@link Provision} (per test; closed
 * after it), {@link FakeHost.Provider} (in-memory mode), and in local-server mode
 * {@link LocalServers}, {@link NginxServer}, {@link ApacheServer}, {@link PhpFpmServer} and
 * {@link MariaDbServer} (when started), and the home as a {@link Path} parameter annotated
 * {@link Home}. Everything it makes is kept in the {@link ExtensionContext.Store} and closed by
 * JUnit, also when a test fails.
 */
public final class ProvisionExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {

  /** The real servers {@link #withLocalServers(LocalServer...)} can start. */
  public enum LocalServer {
    /** nginx, with PHP-FPM for its PHP sites. */
    NGINX,
    /** Apache (mpm_event with PHP-FPM through proxy_fcgi). */
    APACHE,
    /** PHP-FPM alone (started anyway when nginx or Apache is). */
    PHP_FPM,
    /** MariaDB with an admin account for {@code master_db}. */
    MARIADB
  }

  /** Marks a {@link Path} parameter that receives the home of the test's {@link Provision}. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.PARAMETER)
  public @interface Home {}

  private static final Namespace NS = Namespace.create(ProvisionExtension.class);
  private static final Path TMP = Path.of("/tmp");

  private final Set<LocalServer> servers;

  private ProvisionExtension(Set<LocalServer> servers) {
    this.servers = servers;
  }

  /** @return an extension that gives each test an in-memory {@link Provision} with fake hosts */
  public static ProvisionExtension inMemory() {
    return new ProvisionExtension(EnumSet.noneOf(LocalServer.class));
  }

  /**
   * @param kinds the real servers to start once per test class (at least one)
   * @return an extension that starts them and gives each test a {@link Provision} on them
   */
  public static ProvisionExtension withLocalServers(LocalServer... kinds) {
    Objects.requireNonNull(kinds, "kinds");
    if (kinds.length == 0) {
      throw new IllegalArgumentException("name at least one server to start, or use inMemory()");
    }
    EnumSet<LocalServer> set = EnumSet.noneOf(LocalServer.class);
    for (LocalServer k : kinds) {
      set.add(Objects.requireNonNull(k, "a server kind"));
    }
    if (set.contains(LocalServer.NGINX) || set.contains(LocalServer.APACHE)) {
      set.add(LocalServer.PHP_FPM);
    }
    return new ProvisionExtension(set);
  }

  private boolean local() {
    return !servers.isEmpty();
  }

  /** What a test class's local servers are: kept in the class's store, closed after its last test. */
  private static final class ClassState implements ExtensionContext.Store.CloseableResource {
    final Path dir;
    final Path home;
    final LocalServers servers;
    PhpFpmServer fpm;
    NginxServer nginx;
    ApacheServer apache;
    MariaDbServer mariadb;

    ClassState(Path dir) {
      this.dir = dir;
      this.home = dir.resolve("home");
      this.servers = LocalServers.in(dir.resolve("s"));
    }

    @Override
    public void close() {
      try {
        servers.close();
      } finally {
        LocalServers.deleteTree(dir);
      }
    }
  }

  /** A test's own Provision (and, in memory, its home and fakes). */
  private static final class TestState implements ExtensionContext.Store.CloseableResource {
    final Provision provision;
    final Path home;
    final FakeHost.Provider hosts;
    final boolean ownsHome;

    TestState(Provision provision, Path home, FakeHost.Provider hosts, boolean ownsHome) {
      this.provision = provision;
      this.home = home;
      this.hosts = hosts;
      this.ownsHome = ownsHome;
    }

    @Override
    public void close() {
      try {
        provision.close();
      } finally {
        if (ownsHome) {
          LocalServers.deleteTree(home);
        }
      }
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    if (!local()) {
      return;
    }
    // Short, and 0755 all the way: www-data must reach the documents and sockets under it.
    Path dir = Files.createTempDirectory(TMP, "pvx");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    ClassState state = new ClassState(dir);
    context.getStore(NS).put(ClassState.class, state);
    Files.createDirectories(state.home);
    Files.setPosixFilePermissions(state.home, PosixFilePermissions.fromString("rwxr-xr-x"));
    if (servers.contains(LocalServer.PHP_FPM)) {
      state.fpm = state.servers.phpFpm();
    }
    if (servers.contains(LocalServer.NGINX)) {
      state.nginx = state.servers.nginx(state.home);
    }
    if (servers.contains(LocalServer.APACHE)) {
      state.apache = state.servers.apache(state.home);
    }
    if (servers.contains(LocalServer.MARIADB)) {
      state.mariadb = state.servers.mariadb();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    ClassState state = context.getStore(NS).remove(ClassState.class, ClassState.class);
    if (state != null) {
      state.close();
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    testState(context);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    TestState state = context.getStore(NS).remove(TestState.class, TestState.class);
    if (state != null) {
      state.close();
    }
  }

  private TestState testState(ExtensionContext context) {
    return context.getStore(NS).getOrComputeIfAbsent(TestState.class, k -> newTestState(context), TestState.class);
  }

  private TestState newTestState(ExtensionContext context) {
    if (local()) {
      ClassState cls = classState(context);
      return new TestState(Provision.builder().home(cls.home).build(), cls.home, null, false);
    }
    Path home;
    try {
      home = Files.createTempDirectory("provision-test", PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a temporary home", e);
    }
    FakeHost.Provider hosts = FakeHost.provider();
    Provision provision = Provision.builder().home(home).repository(new InMemoryContextRepository())
        .hosts(hosts).build();
    return new TestState(provision, home, hosts, true);
  }

  private static ClassState classState(ExtensionContext context) {
    ClassState state = context.getStore(NS).get(ClassState.class, ClassState.class);
    if (state == null) {
      throw new IllegalStateException("ProvisionExtension.withLocalServers(..) starts its servers once per class:"
          + " register it on a static field (@RegisterExtension static ProvisionExtension ...)");
    }
    return state;
  }

  private static final Set<Class<?>> SERVER_TYPES = Set.of(LocalServers.class, NginxServer.class,
      ApacheServer.class, PhpFpmServer.class, MariaDbServer.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    if (type == Provision.class) {
      return context.getTestMethod().isPresent();
    }
    if (type == Path.class) {
      return parameter.isAnnotated(Home.class) && (local() || context.getTestMethod().isPresent());
    }
    if (type == FakeHost.Provider.class) {
      return !local() && context.getTestMethod().isPresent();
    }
    return local() && SERVER_TYPES.contains(type);
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    if (type == Provision.class) {
      return testState(context).provision;
    }
    if (type == FakeHost.Provider.class) {
      return testState(context).hosts;
    }
    if (type == Path.class) {
      return local() ? classState(context).home : testState(context).home;
    }
    ClassState cls = classState(context);
    Object server = type == LocalServers.class ? cls.servers
        : type == NginxServer.class ? cls.nginx
        : type == ApacheServer.class ? cls.apache
        : type == PhpFpmServer.class ? cls.fpm
        : cls.mariadb;
    if (server == null) {
      throw new ParameterResolutionException(type.getSimpleName() + " was not started: name it in"
          + " ProvisionExtension.withLocalServers(..) (started: " + servers + ")");
    }
    return server;
  }
}
