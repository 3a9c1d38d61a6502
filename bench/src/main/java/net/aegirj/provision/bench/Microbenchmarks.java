package net.aegirj.provision.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.InstallMethod;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.FileContextRepository;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.services.template.Template;
import net.aegirj.provision.spi.Versioned;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.InMemoryContextRepository;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH microbenchmarks of the hot paths: merge and validate a site change ({@link Provision#save}
 * on an in-memory repository), render an nginx vhost, load and save a context in the file
 * repository, and plan verify for every site of a 10,000-context file repository.
 *
 * <pre>{@code java -cp … org.openjdk.jmh.Main net.aegirj.provision.bench.Microbenchmarks}</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class Microbenchmarks {
  /** A Provision on an in-memory repository with a server, a platform and a site. */
  @State(Scope.Benchmark)
  public static class Model {
    Provision provision;
    int n;

    /** Saves the contexts. */
    @Setup
    public void setUp() {
      provision = Provision.builder().home(Path.of("/tmp/pbench-jmh-model"))
          .repository(new InMemoryContextRepository()).build();
      provision.save("server_master", PropertyChanges.builder().set("http_service_type", "nginx").build());
      provision.save("server_db", PropertyChanges.builder().set("context_type", "server")
          .set("remote_host", "db.example.net").set("db_service_type", "mysql")
          .set("master_db", "mysql://aegir_root:secret@db.example.net").build());
      provision.save("platform_d10", PropertyChanges.builder().set("context_type", "platform")
          .set("root", "/var/aegir/platforms/d10").build());
      provision.save("example.com", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_d10")
          .set("db_server", "@server_db").set("aliases", "www.example.com,example.org").build());
    }

    /** Closes it. */
    @TearDown
    public void tearDown() {
      provision.close();
    }
  }

  /**
   * Merges a change of two properties into a stored site and validates the result (names,
   * grammars, references), then stores it.
   *
   * @param m the model
   * @return the new version
   */
  @Benchmark
  public long mergeAndValidate(Model m) {
    m.n++;
    return m.provision.save("example.com", PropertyChanges.builder()
        .set("aliases", (m.n & 1) == 0 ? "www.example.com,example.org" : "www.example.com")
        .set("language", (m.n & 1) == 0 ? "de" : "en").build()).version();
  }

  /** The nginx vhost template and a site's values. */
  @State(Scope.Benchmark)
  public static class Vhost {
    Template template;
    Map<String, Object> model;

    /**
     * Parses the template.
     *
     * @throws IOException when the template cannot be read
     */
    @Setup
    public void setUp() throws IOException {
      try (InputStream in = Template.class.getResourceAsStream("/net/aegirj/provision/services/http/templates/nginx/vhost.conf")) {
        template = Template.parse("nginx/vhost", new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
      model = new LinkedHashMap<>();
      model.put("uri", "example.com");
      model.put("server", "@server_master");
      model.put("listen", "*");
      model.put("http_port", 80);
      model.put("redirects", List.of("example.org"));
      model.put("redirection", "example.com");
      model.put("server_names", List.of("example.com", "www.example.com"));
      model.put("root", "/var/aegir/platforms/d10");
      model.put("ssl_required", false);
      model.put("ssl", false);
      model.put("common_include", "/var/aegir/config/server_master/nginx_vhost_common.conf");
      model.put("fastcgi_params", "/etc/nginx/fastcgi_params");
      model.put("fastcgi_pass", "unix:/run/php/php8.2-fpm.sock");
      List<Map<String, Object>> env = new ArrayList<>();
      for (String[] kv : new String[][] {{"db_type", "mysql"}, {"db_name", "examplecom"}, {"db_user", "examplecom"},
          {"db_passwd", "kYkAF22r6BZzZaTQWEhVi3py"}, {"db_host", "db.example.net"}, {"db_port", "3306"}}) {
        env.add(Map.of("name", kv[0], "value", kv[1]));
      }
      model.put("env", env);
    }
  }

  /**
   * Renders an nginx vhost.
   *
   * @param v the template and values
   * @return the vhost
   */
  @Benchmark
  public String renderVhost(Vhost v) {
    return v.template.render(v.model);
  }

  /** A file repository with one site. */
  @State(Scope.Benchmark)
  public static class Repository {
    Path home;
    FileContextRepository repository;
    Site site;
    long version;

    /**
     * Creates it in a temporary directory.
     *
     * @throws IOException when it cannot be created
     */
    @Setup
    public void setUp() throws IOException {
      home = Files.createTempDirectory("pbench-jmh-repo");
      repository = new FileContextRepository(home);
      site = Site.named("example.com").platform("platform_d10").addAliases("www.example.com").build();
      version = repository.save(site, 0);
    }

    /**
     * Removes it.
     *
     * @throws IOException when it cannot be removed
     */
    @TearDown
    public void tearDown() throws IOException {
      WholeProcess.deleteTree(home);
    }
  }

  /**
   * Loads a site from the file repository (read, parse, validate).
   *
   * @param r the repository
   * @return the site
   */
  @Benchmark
  public Versioned repositoryLoad(Repository r) {
    return r.repository.load(ContextName.of("example.com")).orElseThrow();
  }

  /**
   * Saves a site to the file repository (lock, version check, write, fsync, rename, directory fsync).
   *
   * @param r the repository
   * @return the new version
   */
  @Benchmark
  public long repositorySave(Repository r) {
    r.version = r.repository.save(r.site, r.version);
    return r.version;
  }

  /** A file repository with 10,000 contexts: 2 servers, 10 platforms, 9,988 sites. */
  @State(Scope.Benchmark)
  public static class Large {
    static final int CONTEXTS = 10_000;
    Path home;
    Provision provision;
    List<String> sites = new ArrayList<>();

    /**
     * Creates it.
     *
     * @throws IOException when it cannot be written
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
      home = Files.createTempDirectory("pbench-jmh-large");
      Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
      FileContextRepository repository = new FileContextRepository(home);
      try (Provision p = Provision.builder().home(home).repository(repository).build()) {
        p.save("server_master", PropertyChanges.builder().set("http_service_type", "nginx").build());
        p.save("server_db", PropertyChanges.builder().set("context_type", "server").set("remote_host", "127.0.0.1")
            .set("db_service_type", "mysql").set("master_db", "mysql://aegir_root:secret@127.0.0.1").build());
      }
      for (int i = 0; i < 10; i++) {
        Path root = Fixtures.phpPlatform(home.resolve("platforms/p" + i));
        repository.save(Platform.named("platform_" + i).root(root.toString()).build(), 0);
      }
      for (int i = 0; sites.size() < CONTEXTS - 12; i++) {
        String name = String.format(Locale.ROOT, "site%05d.example.com", i);
        sites.add(name);
        repository.save(Site.named(name).platform("platform_" + (i % 10)).dbServer("server_db")
            .installMethod(InstallMethod.MANUAL).build(), 0);
      }
      provision = Provision.builder().home(home).build();
    }

    /**
     * Removes it.
     *
     * @throws IOException when it cannot be removed
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      provision.close();
      WholeProcess.deleteTree(home);
    }
  }

  /**
   * Plans verify for every site of a 10,000-context file repository (resolve, plan, and each
   * step's dry run, which reads the files it would change).
   *
   * @param l the repository
   * @return the number of planned steps
   */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 1)
  @Measurement(iterations = 3)
  public long planVerifyOver10000Contexts(Large l) {
    long steps = 0;
    for (String s : l.sites) {
      TaskReport r = l.provision.site(s).plan(Task.VERIFY);
      steps += r.steps().size();
    }
    return steps;
  }
}
