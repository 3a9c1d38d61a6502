package net.aegirj.provision.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.testkit.FakeHost;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.Generators;
import net.aegirj.provision.testkit.InMemoryContextRepository;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9's hostile inputs: nasty values (control characters, quotes, shell and SQL
 * metacharacters, template markers, path traversal, Unicode look-alikes, one-megabyte values; see
 * {@link HostileValues}) for every stored property of every context type, and for the properties
 * that the nginx, mysql and bind service types declare, through {@link Provision#save(String,
 * PropertyChanges)} (the text form that the command line's save uses). A value is either refused
 * with a bad-input error that names the context and the property, and nothing is stored; or it is
 * accepted, and then it is made only of characters that are safe in a configuration file, an SQL
 * statement and a shell word. Accepted values are then rendered by real tasks on a
 * {@link FakeHost}: every file written holds one-line-safe ASCII, lies under the Provision home,
 * the platform's root or the path the value names, and no shell script other than the code's own
 * (and an operator's {@link Grammar#COMMAND} values, which are shell by design) is run.
 *
 * <p>CI runs {@value #DEFAULT_EXAMPLES} examples with the seed {@value #DEFAULT_SEED} (printed);
 * {@code -Dtorture.hostile=1000000 -Dtorture.seed=…} runs more or others.
 */
class HostileInputTest {
  static final int DEFAULT_EXAMPLES = 100_000;
  static final long DEFAULT_SEED = 20261125L;
  private static final int EXAMPLES = Integer.getInteger("torture.hostile", DEFAULT_EXAMPLES);
  private static final long SEED = Long.getLong("torture.seed", DEFAULT_SEED);
  /** Accepted values rendered per property (they are alike; the cap keeps the run short). */
  private static final int RENDERS_PER_PROPERTY = 12;
  /** What an accepted value may contain, besides letters and digits: no quote, no metacharacter. */
  private static final String SAFE_PUNCTUATION = "._~/+@%:=,-[]*";
  private static final Path PLATFORM_ROOT = Path.of("/var/aegir/platforms/x");

  @TempDir Path home;

  /** One property of one of the base contexts. */
  record Target(String context, ContextType type, PropertySpec spec) {
    @Override
    public String toString() {
      return "@" + context + " " + spec.name();
    }
  }

  private final List<Target> targets = new ArrayList<>();

  @BeforeEach
  void catalogue() {
    ServiceRegistry registry = ServiceRegistry.load();
    Map<String, ContextType> contexts = new LinkedHashMap<>();
    contexts.put("server_master", ContextType.SERVER);
    contexts.put("platform_x", ContextType.PLATFORM);
    contexts.put("example.com", ContextType.SITE);
    contexts.forEach((name, type) -> Schema.properties(type).stream().filter(s -> !s.derived())
        .forEach(s -> targets.add(new Target(name, type, s))));
    for (String[] declared : List.of(new String[] {"server_master", "http", "nginx"},
        new String[] {"server_master", "dns", "bind"}, new String[] {"server_db", "db", "mysql"})) {
      registry.declared(declared[1], declared[2])
          .forEach(s -> targets.add(new Target(declared[0], ContextType.SERVER, s)));
    }
    Schema.properties(ContextType.SERVER).stream().filter(s -> !s.derived())
        .forEach(s -> targets.add(new Target("server_db", ContextType.SERVER, s)));
  }

  private Provision provision(InMemoryContextRepository repository, FakeHost.Provider hosts) {
    Provision.Builder b = Provision.builder().home(home).repository(repository);
    if (hosts != null) {
      b.hosts(hosts);
    }
    Provision p = b.build();
    p.save("server_master", PropertyChanges.builder().set("http_service_type", "nginx").set("http_port", "8080")
        .set("phpfpm_address", "unix:/run/php/php8.2-fpm.sock").set("http_test_cmd", "nginx -t")
        .set("http_restart_cmd", "nginx -s reload").set("dns_service_type", "bind").build());
    p.save("server_db", PropertyChanges.builder().set("context_type", "server").set("remote_host", "db.example.com")
        .set("db_service_type", "mysql").set("master_db", "mysql://root:secret@db.example.com:3306").build());
    p.save("platform_x", PropertyChanges.builder().set("context_type", "platform")
        .set("root", PLATFORM_ROOT.toString()).build());
    p.save("example.com", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_x")
        .set("aliases", "www.example.com").set("client_name", "client1").build());
    return p;
  }

  @Test
  void everyHostileValueIsRefusedByNameOrIsSafeWhereverItIsRendered() {
    System.out.printf("HostileInputTest: %d examples over %d properties, seed %d (-Dtorture.seed=%d)%n",
        EXAMPLES, targets.size(), SEED, SEED);
    InMemoryContextRepository[] repository = {new InMemoryContextRepository()};
    Provision[] p = {provision(repository[0], null)};
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger accepted = new AtomicInteger();
    AtomicInteger huge = new AtomicInteger();
    AtomicInteger tried = new AtomicInteger();
    Map<Target, Set<String>> toRender = new LinkedHashMap<>();
    try {
      qt().withFixedSeed(SEED).withExamples(EXAMPLES).withShrinkCycles(0)
          .forAll(integers().between(0, targets.size() - 1), longs().all())
          .checkAssert((index, seed) -> {
            tried.incrementAndGet();
            Target t = targets.get(index);
            String value = HostileValues.value(Generators.random(seed), t.spec());
            if (value.length() >= HostileValues.HUGE) {
              huge.incrementAndGet();
            }
            long before = p[0].context(t.context()).version();
            try {
              p[0].save(t.context(), PropertyChanges.builder().set(t.spec().name(), value).build());
            } catch (ProvisionException e) {
              refused.incrementAndGet();
              checkRefusal(t, seed, value, e);
              assertThat(p[0].context(t.context()).version()).as("seed %d, %s: a refused value stores nothing", seed, t)
                  .isEqualTo(before);
              return;
            }
            accepted.incrementAndGet();
            Object stored = ContextProperties.toMap(p[0].context(t.context()).context()).get(t.spec().name());
            for (String part : parts(stored)) {
              checkAccepted(t, seed, value, part);
            }
            Set<String> values = toRender.computeIfAbsent(t, k -> new LinkedHashSet<>());
            if (values.size() < RENDERS_PER_PROPERTY) {
              values.add(value);
            }
            // back to the base contexts for the next example
            p[0].close();
            repository[0] = new InMemoryContextRepository();
            p[0] = provision(repository[0], null);
          });
    } finally {
      p[0].close();
    }
    System.out.printf("HostileInputTest: %d refused, %d accepted (made of safe characters), %d of 1 MB%n",
        refused.get(), accepted.get(), huge.get());
    // QuickTheories runs each distinct example once: a rare repeat of its corner cases is not run twice.
    assertThat(tried.get()).as("the examples were run").isGreaterThan(EXAMPLES * 99 / 100);
    assertThat(refused.get() + accepted.get()).as("every example was saved or refused").isEqualTo(tried.get());
    assertThat(refused.get()).as("nearly all hostile values are refused").isGreaterThan(EXAMPLES * 8 / 10);
    assertThat(huge.get()).as("some values of a megabyte were tried").isPositive();

    int rendered = 0;
    for (Map.Entry<Target, Set<String>> e : toRender.entrySet()) {
      for (String value : e.getValue()) {
        render(e.getKey(), value);
        rendered++;
      }
    }
    System.out.printf("HostileInputTest: %d accepted values rendered by tasks on a FakeHost%n", rendered);
  }

  private static void checkRefusal(Target t, long seed, String value, ProvisionException e) {
    assertThat(e.isBadInput()).as("seed %d, %s = %s: a refusal is bad input, not a failure: %s", seed, t,
        Text.quote(value), e).isTrue();
    assertThat(e).as("seed %d, %s = %s: refused as invalid", seed, t, Text.quote(value))
        .isInstanceOf(InvalidContextException.class);
    InvalidContextException ice = (InvalidContextException) e;
    assertThat(ice.context()).as("seed %d, %s = %s: the error names the context: %s", seed, t, Text.quote(value),
        e.getMessage()).hasValueSatisfying(c -> assertThat(c.replaceFirst("^@", "")).isEqualTo(t.context()));
    assertThat(ice.property()).as("seed %d, %s = %s: the error names the property: %s", seed, t, Text.quote(value),
        e.getMessage()).contains(t.spec().name());
    assertThat(e.getMessage()).as("seed %d, %s: the message starts with the context and the property", seed, t)
        .startsWith("@" + t.context() + ": property '" + t.spec().name() + "': ");
    assertThat(e.getMessage().length()).as("seed %d, %s: a short message, whatever the size of the value", seed, t)
        .isLessThan(1000);
    assertThat(e.getMessage().chars().allMatch(c -> c >= 0x20 && c <= 0x7e))
        .as("seed %d, %s: the message is one line of ASCII (no forged lines or look-alikes): %s", seed, t,
            e.getMessage()).isTrue();
  }

  /** The strings of a stored value: itself, a list's entries, a map's keys and values. */
  @Test
  void aUrlOfMoreThan2048CharactersIsRefused() {
    String url = "http://example.com/" + "a".repeat(2048 - 19);
    assertThat(Grammar.URL.accepts(url)).as("2048 characters are a URL").isTrue();
    assertThat(Grammar.URL.accepts(url + "a")).as("2049 are too many").isFalse();
    try (Provision p = provision(new InMemoryContextRepository(), null)) {
      assertThatThrownBy(() -> p.save("platform_x", PropertyChanges.builder()
          .set("makefile", "https://example.org/" + "x".repeat(HostileValues.HUGE)).build()))
          .as("a megabyte makefile URL is refused, naming the context and the property")
          .isInstanceOf(InvalidContextException.class)
          .hasMessageStartingWith("@platform_x: property 'makefile': ");
      assertThatThrownBy(() -> p.save("server_master", PropertyChanges.builder()
          .set("web_disable_url", url + "a").build()))
          .as("a disable URL one character too long is refused, saying how long a URL may be")
          .isInstanceOf(InvalidContextException.class)
          .hasMessageStartingWith("@server_master: property 'web_disable_url': ")
          .hasMessageContaining("at most 2048 characters");
    }
  }

  private static List<String> parts(Object stored) {
    List<String> out = new ArrayList<>();
    if (stored instanceof List<?> l) {
      l.forEach(x -> out.add(String.valueOf(x)));
    } else if (stored instanceof Map<?, ?> m) {
      m.forEach((k, v) -> {
        out.add(String.valueOf(k));
        out.add(String.valueOf(v));
      });
    } else if (stored != null) {
      out.add(String.valueOf(stored));
    }
    return out;
  }

  private static void checkAccepted(Target t, long seed, String given, String value) {
    if (t.spec().grammar().orElse(null) == Grammar.COMMAND) {
      assertThat(value.chars().allMatch(c -> c >= 0x20 && c <= 0x7e))
          .as("seed %d, %s = %s: an operator command is one line of printable ASCII: %s", seed, t, Text.quote(given),
              Text.quote(value))
          .isTrue();
      return;
    }
    // A db server URL's user and password are URL-encoded and may keep RFC 3986's "!*()"; they
    // reach only the JDBC driver's connection properties, never a file, a statement or a shell.
    String punctuation = t.spec().grammar().orElse(null) == Grammar.DB_URL ? SAFE_PUNCTUATION + "!()" : SAFE_PUNCTUATION;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || punctuation.indexOf(c) >= 0;
      assertThat(safe).as("seed %d, %s = %s: the stored value %s holds no unsafe character (%s at %d)", seed, t,
          Text.quote(given), Text.quote(value), Text.quote(String.valueOf(c)), i).isTrue();
    }
    assertThat(value.length()).as("seed %d, %s: a huge value is never accepted", seed, t).isLessThan(5000);
    if (value.startsWith("http://") || value.startsWith("https://")) {
      return; // a URL's path is the remote server's business: '..' there reaches no file here
    }
    for (String bad : List.of("/../", "/./")) {
      assertThat(value).as("seed %d, %s: no traversal in the accepted value %s", seed, t, Text.quote(value))
          .doesNotContain(bad);
    }
    assertThat(value).as("seed %d, %s: no trailing dot segment", seed, t).doesNotEndWith("/..").doesNotEndWith("/.");
  }

  // ----------------------------------------------------------------------------------- rendering

  /** Files and commands of the base contexts' tasks, to compare a rendering against. */
  private Rendering baseline;

  /** What the tasks wrote and ran. */
  record Rendering(SortedMap<String, String> files, List<Command> commands, Optional<String> failure) {}

  private Rendering run(Target t, String value) {
    FakeHost master = new FakeHost("server_master", true);
    master.mkdirs(home, FileMode.of(0755));
    for (String file : Fixtures.phpFiles()) {
      Path target = PLATFORM_ROOT.resolve(file);
      for (Path dir = target.getParent(); dir.getNameCount() > 0; dir = dir.getParent()) {
        if (!master.exists(dir)) {
          master.mkdirs(dir, FileMode.of(0755));
        }
      }
      try (InputStream in = Fixtures.class.getResourceAsStream("fixture-platform/" + file)) {
        master.write(PLATFORM_ROOT.resolve(file), in.readAllBytes(), FileMode.of(0644));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    master.clearRecorded();
    FakeHost.Provider hosts = FakeHost.provider(master);
    String failure = null;
    try (Provision p = provision(new InMemoryContextRepository(), hosts)) {
      if (t != null) {
        p.save(t.context(), PropertyChanges.builder().set(t.spec().name(), value).build());
      }
      p.server("server_master").verify();
      p.platform("platform_x").verify();
      p.site("example.com").verify();
    } catch (ProvisionException e) {
      failure = e.getMessage(); // a failed task is fine; what it wrote before failing is checked
    }
    return new Rendering(master.files(), master.commands(), Optional.ofNullable(failure));
  }

  private void render(Target t, String value) {
    if (baseline == null) {
      baseline = run(null, null);
      assertThat(baseline.failure()).as("the base contexts verify on the fake").isEmpty();
      assertThat(baseline.files()).as("the base tasks write files").isNotEmpty();
    }
    Rendering r = run(t, value);
    String what = t + " = " + Text.quote(value);
    Set<String> allowedRoots = new TreeSet<>(List.of(home.toString(), PLATFORM_ROOT.toString()));
    Grammar g = t.spec().grammar().orElse(null);
    if (g == Grammar.PATH || g == Grammar.PATH_OR_URL || g == Grammar.FASTCGI) {
      // an operator chooses where a path points ('//' is stored as given and means '/')
      String path = value.replaceFirst("^unix:", "");
      allowedRoots.add(path.startsWith("/") ? Path.of(path).normalize().toString() : path);
    }
    for (Map.Entry<String, String> f : r.files().entrySet()) {
      String path = f.getKey();
      assertThat(isSafeAscii(path, false)).as("%s: the written path %s is plain ASCII", what, Text.quote(path)).isTrue();
      assertThat(path).as("%s: no traversal in a written path", what).doesNotContain("/../").doesNotContain("/./")
          .doesNotEndWith("/..");
      assertThat(allowedRoots.stream().anyMatch(root -> path.equals(root) || path.startsWith(root + "/")
          || root.equals("/")))
          .as("%s: %s lies under the home, the platform root or the path the value names %s", what, path,
              allowedRoots).isTrue();
      assertThat(isSafeAscii(f.getValue(), true)).as("%s: %s holds only printable ASCII and line breaks", what, path)
          .isTrue();
      for (String marker : List.of("{{", "}}", "$(", "`", "'; DROP", "\\'")) {
        long base = baseline.files().values().stream().mapToLong(c -> count(c, marker)).max().orElse(0);
        assertThat(count(f.getValue(), marker)).as("%s: %s holds no %s that the templates do not", what, path, marker)
            .isLessThanOrEqualTo(base);
      }
    }
    Set<List<String>> baseScripts = new LinkedHashSet<>();
    baseline.commands().forEach(c -> baseScripts.add(c.argv()));
    for (Command c : r.commands()) {
      for (String arg : c.argv()) {
        assertThat(isSafeAscii(arg, false)).as("%s: every argument of %s is printable ASCII", what, c).isTrue();
      }
      if (isShell(c)) {
        String script = c.argv().get(2);
        boolean operators = g == Grammar.COMMAND && script.equals(value);
        boolean code = baseScripts.stream().anyMatch(b -> isShellList(b) && b.get(2).equals(script));
        assertThat(operators || code).as("%s: the shell runs only the code's own scripts and operator commands, not %s",
            what, Text.quote(script)).isTrue();
      }
    }
  }

  private static boolean isShell(Command c) {
    return c.shell() || isShellList(c.argv());
  }

  private static boolean isShellList(List<String> argv) {
    return argv.size() >= 3 && (argv.get(0).equals("sh") || argv.get(0).endsWith("/sh") || argv.get(0).equals("bash"))
        && argv.get(1).equals("-c");
  }

  private static long count(String s, String marker) {
    long n = 0;
    for (int i = s.indexOf(marker); i >= 0; i = s.indexOf(marker, i + 1)) {
      n++;
    }
    return n;
  }

  private static boolean isSafeAscii(String s, boolean multiline) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n' || c == '\t') {
        if (!multiline) {
          return false;
        }
      } else if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }
}
