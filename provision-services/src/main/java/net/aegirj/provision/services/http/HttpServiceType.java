package net.aegirj.provision.services.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.services.db.MySql;
import net.aegirj.provision.services.ssl.CertificateStore;
import net.aegirj.provision.services.ssl.SelfSignedCertificate;
import net.aegirj.provision.services.ssl.SiteCertificates;
import net.aegirj.provision.services.ssl.SiteSsl;
import net.aegirj.provision.services.ssl.SslKeys;
import net.aegirj.provision.services.template.Templates;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.Step;
import net.aegirj.provision.spi.StepContext;

/**
 * What the http service types share: the server properties they declare, the directory layout
 * under {@code <config_path>/<app>}, template loading with per-server overrides, the values every
 * template gets (each checked against its grammar once more before it is rendered), and the steps
 * for server, platform and site tasks.
 */
public abstract class HttpServiceType implements ServiceType {
  /** Groups tried, in order, for the default {@code web_group} (Aegir's list). */
  static final List<String> WEB_GROUPS = List.of("www-data", "apache", "nginx", "www", "_www", "webservd",
      "httpd", "nogroup", "nobody");
  static final int CONFIG_DIR = 0711;
  static final int INCLUDE_DIRS = 0700;
  static final int CONFIG_FILE = 0644;
  static final int KEY_FILE = 0600;
  static final String DEFAULT_KEY = CertificateStore.DEFAULT_NAME;
  /**
   * The extension point inside each of a site's {@code server} (nginx) or {@code VirtualHost}
   * (Apache) blocks that serve it, before its locations: {@link ServiceType#templateLines}.
   */
  public static final String VHOST_SERVER = "vhost.server";
  /** The web server property naming the operator's template directory. */
  public static final String TEMPLATE_DIR = "http_template_dir";
  private static final Templates TEMPLATES = new Templates(HttpServiceType.class, TEMPLATE_DIR, "");
  /** Seconds a reload may take to show on every port, by default. */
  static final int DEFAULT_RELOAD_CHECK = 15;
  static final int MAX_RELOAD_CHECK = 600;

  /** Port of plain HTTP virtual hosts. */
  public static final PropertyKey<Integer> HTTP_PORT = PropertyKey.integer(
      spec("http_port", PropertySpec.Kind.INTEGER).range(1, 65535).defaultValue(80)
          .description("port of plain HTTP virtual hosts").build());
  /** Group the web server runs as; by default the first of {@link #WEB_GROUPS} on this machine. */
  public static final PropertyKey<String> WEB_GROUP = PropertyKey.string(
      spec("web_group", PropertySpec.Kind.STRING).grammar(Grammar.USER)
          .defaultValue(detectWebGroup()).description("group the web server runs as").build());
  /** PHP-FPM's address; by default the newest socket under /run/php, else 127.0.0.1:9000. */
  public static final PropertyKey<String> PHPFPM_ADDRESS = PropertyKey.string(
      spec("phpfpm_address", PropertySpec.Kind.STRING).grammar(Grammar.FASTCGI)
          .defaultValue(detectPhpFpm()).description("PHP-FPM: host:port or unix:/path.sock").build());
  /** Address the virtual hosts bind ({@code *} for all). */
  public static final PropertyKey<String> HTTP_LISTEN_ADDRESS = PropertyKey.string(
      spec("http_listen_address", PropertySpec.Kind.STRING).grammar(Grammar.IP)
          .defaultValue("*").description("address the virtual hosts bind ('*' for all)").build());
  /** Where disabled sites redirect. */
  public static final PropertyKey<String> WEB_DISABLE_URL = PropertyKey.string(
      spec("web_disable_url", PropertySpec.Kind.STRING).grammar(Grammar.URL)
          .defaultsTo("<master_url>/hosting/disabled").description("where disabled sites redirect").build());
  /** The maintenance page. */
  public static final PropertyKey<String> WEB_MAINTENANCE_URL = PropertyKey.string(
      spec("web_maintenance_url", PropertySpec.Kind.STRING).grammar(Grammar.URL)
          .defaultsTo("<master_url>/hosting/maintenance").description("maintenance page").build());
  /** Port of HTTPS virtual hosts (the SSL types only). */
  public static final PropertyKey<Integer> HTTP_SSL_PORT = PropertyKey.integer(
      spec("http_ssl_port", PropertySpec.Kind.INTEGER).range(1, 65535).defaultValue(443)
          .description("port of HTTPS virtual hosts").build());
  /** Seconds a reload may take until every port serves the new configuration (0: no check). */
  public static final PropertyKey<Integer> HTTP_RELOAD_CHECK = PropertyKey.integer(
      spec("http_reload_check", PropertySpec.Kind.INTEGER).range(0, MAX_RELOAD_CHECK)
          .defaultValue(DEFAULT_RELOAD_CHECK).description("seconds a reload may take until every port serves the new "
              + "configuration's marker (0: do not check)").build());

  private final PropertyKey<String> restartCommandKey;
  private final PropertyKey<String> testCommandKey;
  private final PropertyKey<String> templateDirKey;
  private volatile List<PropertySpec> properties;

  /**
   * @param restartCommand the type's {@code http_restart_cmd} ({@link #restartCommand(String)})
   * @param testCommand the type's {@code http_test_cmd} ({@link #testCommand(String)})
   * @param templateDir the type's {@code http_template_dir} ({@link #templateDir(String)})
   */
  protected HttpServiceType(PropertyKey<String> restartCommand, PropertyKey<String> testCommand,
      PropertyKey<String> templateDir) {
    this.restartCommandKey = restartCommand;
    this.testCommandKey = testCommand;
    this.templateDirKey = templateDir;
  }

  /** @return the application directory and file name: {@code nginx} or {@code apache} */
  protected abstract String app();

  /** @return true for the SSL variants */
  protected abstract boolean ssl();


  @Override
  public final String service() {
    return "http";
  }

  @Override
  public List<PropertySpec> serverProperties() {
    List<PropertySpec> p = properties;
    if (p == null) {
      List<PropertySpec> out = new ArrayList<>();
      out.add(HTTP_PORT.spec());
      out.add(restartCommandKey.spec());
      out.add(testCommandKey.spec());
      out.add(WEB_GROUP.spec());
      out.add(PHPFPM_ADDRESS.spec());
      out.add(HTTP_LISTEN_ADDRESS.spec());
      out.add(templateDirKey.spec());
      out.add(WEB_DISABLE_URL.spec());
      out.add(WEB_MAINTENANCE_URL.spec());
      if (ssl()) {
        out.add(HTTP_SSL_PORT.spec());
        out.addAll(SslKeys.SERVER);
      }
      out.add(HTTP_RELOAD_CHECK.spec());
      p = List.copyOf(out);
      properties = p;
    }
    return p;
  }

  /** The SSL types declare {@code ssl_certificate_from} ({@link SslKeys#SITE}). */
  @Override
  public List<PropertySpec> siteProperties() {
    return ssl() ? SslKeys.SITE : List.of();
  }

  private static PropertySpec.Builder spec(String name, PropertySpec.Kind kind) {
    return PropertySpec.builder(ContextType.SERVER, name, kind);
  }

  /**
   * Declares a type's {@code http_restart_cmd}.
   *
   * @param command the type's reload command (an operator's shell string)
   * @return the key
   */
  protected static PropertyKey<String> restartCommand(String command) {
    return PropertyKey.string(spec("http_restart_cmd", PropertySpec.Kind.STRING).grammar(Grammar.COMMAND)
        .defaultValue(command).description("reloads the web server (run with /bin/sh -c)").build());
  }

  /**
   * Declares a type's {@code http_test_cmd}.
   *
   * @param command the type's configuration test command
   * @return the key
   */
  protected static PropertyKey<String> testCommand(String command) {
    return PropertyKey.string(spec("http_test_cmd", PropertySpec.Kind.STRING).grammar(Grammar.COMMAND)
        .defaultValue(command).description("tests the configuration before a reload").build());
  }

  /**
   * Declares a type's {@code http_template_dir}.
   *
   * @param app the type's application directory, as {@link #app()}
   * @return the key
   */
  protected static PropertyKey<String> templateDir(String app) {
    return PropertyKey.string(spec(TEMPLATE_DIR, PropertySpec.Kind.STRING).grammar(Grammar.PATH)
        .description("directory of operator templates overriding ours: <dir>/" + app + "/<name>.conf for the "
            + "server's files, <dir>/drupal/settings.php, sites.php and drushrc.php for its sites' Drupal files")
        .build());
  }

  /**
   * Aegir's default {@code web_group}: the first of its usual web server groups that exists on
   * this machine.
   *
   * @return the group name
   */
  public static String detectWebGroup() {
    try {
      List<String> groups = Files.readAllLines(Path.of("/etc/group"), StandardCharsets.UTF_8).stream()
          .map(l -> l.split(":", 2)[0]).toList();
      for (String g : WEB_GROUPS) {
        if (groups.contains(g)) {
          return g;
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return "nogroup";
  }

  /** The newest PHP-FPM socket under /run/php, else 127.0.0.1:9000. */
  static String detectPhpFpm() {
    Path dir = Path.of("/run/php");
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        Optional<Path> newest = s.filter(p -> p.getFileName().toString().matches("php[0-9.]*-fpm\\.sock"))
            .max(Comparator.comparing(p -> p.getFileName().toString()));
        if (newest.isPresent() && Grammar.PATH.accepts(newest.get().toString())) {
          return "unix:" + newest.get();
        }
      } catch (IOException e) {
        // fall through
      }
    }
    return "127.0.0.1:9000";
  }

  @Override
  public Optional<Command> configTestCommand(ResolvedContext server) {
    return Optional.of(Command.shell(server.get(testCommandKey)));
  }

  @Override
  public Optional<Command> reloadCommand(ResolvedContext server) {
    return Optional.of(Command.shell(server.get(restartCommandKey)));
  }

  /**
   * Asks every port the server should listen on ({@code http_port}, and {@code http_ssl_port} for
   * the SSL types) for {@value ReloadCheck#PATH} until each answers with the marker of the server
   * configuration on disk, for up to {@code http_reload_check} seconds. The question is asked on
   * the web server's own machine (a bash loop run through {@code host}, with curl when the machine
   * has it), so it works for remote web servers too.
   */
  @Override
  public Optional<String> checkReload(ResolvedContext server, Host host) {
    int seconds = server.get(HTTP_RELOAD_CHECK);
    if (seconds <= 0) {
      return Optional.empty();
    }
    // What the configuration on disk listens on: after a rollback that is the restored file,
    // whatever the server's context says now.
    String conf = host.read(serverConfPath(server)).map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
    Optional<ReloadCheck.Targets> targets = ReloadCheck.targetsIn(conf);
    String address;
    List<ReloadCheck.Port> ports = new ArrayList<>();
    if (targets.isPresent()) {
      address = targets.get().address();
      ports.addAll(targets.get().ports());
    } else {
      // An operator's template without the line: the ports the server's properties name.
      address = ReloadCheck.connectAddress(Grammar.IP.check(server.name(), "http_listen_address",
          server.get(HTTP_LISTEN_ADDRESS)));
      ports.add(new ReloadCheck.Port("http", server.get(HTTP_PORT)));
      if (ssl()) {
        ports.add(new ReloadCheck.Port("https", server.get(HTTP_SSL_PORT)));
      }
    }
    // A configuration that serves the generation (ours does) is asked for the one written just
    // before this reload, so that a reload for a site's file alone is seen as well.
    Optional<String> marker = ReloadCheck.markerIn(conf);
    if (marker.isPresent() && conf.contains(generationReference())) {
      Optional<String> generation = host.read(generationPath(server))
          .flatMap(b -> ReloadCheck.generationIn(new String(b, StandardCharsets.UTF_8)));
      if (generation.isPresent()) {
        marker = Optional.of(marker.get() + "." + generation.get());
      }
    }
    ReloadCheck check = new ReloadCheck(server.name().toString(), displayName(), address, ports, marker, seconds);
    return check.run(host).map(problem -> problem + "; " + reloadAdvice(ports));
  }

  /** Writes a fresh generation for {@link #checkReload} to look for, when the server has a generation file. */
  @Override
  public void beforeReload(ResolvedContext server, Host host) {
    Path generation = generationPath(server);
    if (host.stat(generation).isPresent()) {
      host.write(generation, generationFile(ReloadCheck.newGeneration()), FileMode.of(CONFIG_FILE));
    }
  }

  /** @return {@code <config_path>/<app>/generation.conf}: the token the reload check asks for */
  Path generationPath(ResolvedContext server) {
    return appPath(server).resolve("generation.conf");
  }

  /**
   * @param generation a fresh token of 16 hex digits
   * @return the generation file, in the web server's syntax
   */
  protected abstract byte[] generationFile(String generation);

  /** @return how the server configuration refers to the generation */
  protected abstract String generationReference();

  /** @return how messages name the web server: {@code nginx} or {@code Apache} */
  String displayName() {
    return app();
  }

  /**
   * What an operator does when a reload did not show: where the web server says why, and the
   * usual fixes.
   *
   * @param ports the ports that were checked
   * @return the advice, one sentence
   */
  String reloadAdvice(List<ReloadCheck.Port> ports) {
    return displayName() + "'s error log says why it did not apply the configuration";
  }

  // ---------------------------------------------------------------- paths

  /** @return {@code <config_path>/<app>} */
  Path appPath(ResolvedContext server) {
    return Path.of(server.get(ServerKeys.CONFIG_PATH)).resolve(app());
  }

  Path vhostPath(ResolvedContext server, String uri) {
    return appPath(server).resolve("vhost.d").resolve(uri);
  }

  Path platformPath(ResolvedContext server, ContextName platform) {
    return appPath(server).resolve("platform.d").resolve(platform.value() + ".conf");
  }

  // ---------------------------------------------------------------- steps

  /** A site's install or verify checks its vhost. */
  @Override
  public List<Path> checkedPaths(Task task, ResolvedContext target, ResolvedContext server) {
    if (target.context().type() != ContextType.SITE || (task != Task.VERIFY && task != Task.INSTALL)) {
      return List.of();
    }
    return List.of(vhostPath(server, Grammar.HOST.check(target.name(), "uri", target.get(SiteKeys.URI))));
  }

  @Override
  public List<Step> steps(Task task, ResolvedContext target, ResolvedContext server) {
    ContextType type = target.context().type();
    String on = " on " + server.name();
    if (type == ContextType.SERVER && task == Task.VERIFY) {
      List<Step> steps = new ArrayList<>();
      steps.add(Step.of("http: " + app() + " directories" + on, ctx -> serverDirectories(ctx, server)));
      if (ssl()) {
        steps.add(Step.of("http: default SSL certificate" + on,
            ctx -> certificate(ctx, server, DEFAULT_KEY, "default.invalid", List.of())));
      }
      steps.add(Step.of("http: " + app() + " server configuration" + on, ctx -> serverFiles(ctx, server)));
      return List.copyOf(steps);
    }
    if (type == ContextType.PLATFORM) {
      if (task == Task.VERIFY) {
        return List.of(Step.of("http: " + app() + " platform configuration" + on,
            ctx -> platformFiles(ctx, target, server)));
      }
      if (task == Task.DELETE) {
        return List.of(Step.of("http: remove " + app() + " platform configuration" + on, ctx -> {
          if (ctx.host(server.name()).remove(platformPath(server, target.name()))) {
            ctx.reload(server.name(), "http");
          }
        }));
      }
    }
    if (type == ContextType.SITE) {
      String uri = target.get(SiteKeys.URI);
      if (task == Task.DELETE) {
        return List.of(Step.of("http: remove vhost " + uri + on, ctx -> {
          boolean changed = ctx.host(server.name()).remove(vhostPath(server, uri));
          if (ssl()) {
            changed |= SiteSsl.remove(ctx, target, server, webServer(ctx, target, server));
          }
          if (changed) {
            ctx.reload(server.name(), "http");
          }
        }));
      }
      if (ssl()) {
        // Refused before anything runs: names no CA would certify.
        SiteSsl.check(target, server);
      }
      return List.of(Step.of("http: " + app() + " vhost " + uri + on, ctx -> siteFiles(ctx, target, server)));
    }
    return List.of();
  }

  private void serverDirectories(StepContext ctx, ResolvedContext server) {
    Host h = ctx.host(server.name());
    Path app = appPath(server);
    h.mkdirs(app, FileMode.of(CONFIG_DIR));
    for (String d : List.of("pre.d", "post.d", "platform.d", "vhost.d", "subdir.d")) {
      h.mkdirs(app.resolve(d), FileMode.of(INCLUDE_DIRS));
    }
  }

  /** @return {@code <config_path>/<app>.conf}, the server-level configuration */
  Path serverConfPath(ResolvedContext server) {
    return Path.of(server.get(ServerKeys.CONFIG_PATH)).resolve(app() + ".conf");
  }

  private void serverFiles(StepContext ctx, ResolvedContext server) {
    Host h = ctx.host(server.name());
    Map<String, Object> model = serverModel(server);
    Path conf = serverConfPath(server);
    // The marker the reload check looks for: a hash of the file without it, so it changes with the
    // configuration and never on a verify that changes nothing.
    Path generation = generationPath(server);
    if (h.stat(generation).isEmpty()) {
      // Before the configuration that includes it; each reload writes a fresh one.
      h.write(generation, generationFile(ReloadCheck.newGeneration()), FileMode.of(CONFIG_FILE));
    }
    serverValues(ctx, server, model);
    model.put("marker", "");
    model.put("marker", ReloadCheck.marker(render(ctx, server, "server", model)));
    boolean changed = h.write(conf, render(ctx, server, "server", model), FileMode.of(CONFIG_FILE));
    changed |= extraServerFiles(ctx, server, model);
    Path link = Path.of(server.get(ServerKeys.AEGIR_ROOT)).resolve("config").resolve(app() + ".conf");
    changed |= h.symlink(link, conf.toString());
    if (changed) {
      ctx.reload(server.name(), "http");
    }
  }

  /**
   * Adds values of other contexts to the server configuration's template values (the pack front's
   * members); nothing by default.
   *
   * @param ctx the step's context
   * @param server the server
   * @param model the server's template values
   */
  protected void serverValues(StepContext ctx, ResolvedContext server, Map<String, Object> model) {}

  /**
   * Writes further server-wide files (nginx's shared rules).
   *
   * @param ctx the step's context
   * @param server the server
   * @param model the server's template values
   * @return true when anything changed
   */
  protected boolean extraServerFiles(StepContext ctx, ResolvedContext server, Map<String, Object> model) {
    return false;
  }

  /**
   * Writes the platform's configuration, if this type has one.
   *
   * @param ctx the step's context
   * @param platform the platform
   * @param server its web server
   */
  protected void platformFiles(StepContext ctx, ResolvedContext platform, ResolvedContext server) {
    ctx.skip(app() + " needs no platform configuration");
  }

  private void siteFiles(StepContext ctx, ResolvedContext planned, ResolvedContext server) {
    // Earlier steps of the task may have changed the site (install records its credentials).
    ResolvedContext site = ctx.resolve(planned.name());
    if (ssl()) {
      SiteSsl.beforeVhost(ctx, site, server, webServer(ctx, site, server));
    }
    if (writeVhost(ctx, site, server)) {
      ctx.reload(server.name(), "http");
    }
  }

  /** The web server's side of a site's certificate, for {@link SiteSsl}. */
  private SiteSsl.WebServer webServer(StepContext ctx, ResolvedContext site, ResolvedContext server) {
    return new SiteSsl.WebServer() {
      @Override
      public Path vhosts() {
        return appPath(server).resolve("vhost.d");
      }

      @Override
      public boolean writeVhost() {
        return HttpServiceType.this.writeVhost(ctx, site, server);
      }

      @Override
      public void applyNow() {
        HttpServiceType.this.applyNow(ctx, server);
      }
    };
  }

  /** Tests, reloads and checks the web server now, in the middle of a task (the ACME server is about to ask it). */
  private void applyNow(StepContext ctx, ResolvedContext server) {
    Host h = ctx.host(server.name());
    Optional<Command> test = configTestCommand(server);
    if (test.isPresent()) {
      h.run(test.get()).orThrow();
    }
    beforeReload(server, h);
    reloadCommand(server).ifPresent(c -> h.run(c).orThrow());
    checkReload(server, h).ifPresent(problem -> {
      throw new ProvisionException(problem);
    });
  }

  /** Renders and writes the site's vhost; @return true when it changed. */
  private boolean writeVhost(StepContext ctx, ResolvedContext site, ResolvedContext server) {
    Map<String, Object> model = siteModel(ctx, site, server);
    boolean enabled = site.get(SiteKeys.SITE_ENABLED);
    byte[] bytes = render(ctx, server, enabled ? "vhost" : "vhost_disabled", model);
    return ctx.host(server.name()).write(vhostPath(server, (String) model.get("uri")), bytes,
        FileMode.of(CONFIG_FILE));
  }

  // ---------------------------------------------------------------- models

  /** Values every template of a server gets, each checked against its grammar. */
  Map<String, Object> serverModel(ResolvedContext server) {
    Map<String, Object> m = new LinkedHashMap<>();
    Object ctx = server.name();
    m.put("server", server.name().toString());
    m.put("http_port", server.get(HTTP_PORT));
    String listen = Grammar.IP.check(ctx, "http_listen_address", server.get(HTTP_LISTEN_ADDRESS));
    // nginx's listen and Apache's <VirtualHost> take an IPv6 address in brackets before ':port'
    m.put("listen", listen.contains(":") ? "[" + listen + "]" : listen);
    m.put("check_address", ReloadCheck.connectAddress(listen));
    Path app = appPath(server);
    Grammar.PATH.check(ctx, "config_path", app.toString());
    m.put("pred_path", app.resolve("pre.d").toString());
    m.put("postd_path", app.resolve("post.d").toString());
    m.put("platformd_path", app.resolve("platform.d").toString());
    m.put("vhostd_path", app.resolve("vhost.d").toString());
    m.put("subdird_path", app.resolve("subdir.d").toString());
    m.put("generation_path", app.resolve("generation.conf").toString());
    m.put("common_include", Path.of(server.get(ServerKeys.CONFIG_PATH)).resolve(app() + "_vhost_common.conf").toString());
    String fpm = Grammar.FASTCGI.check(ctx, "phpfpm_address", server.get(PHPFPM_ADDRESS));
    m.put("fastcgi_pass", fpm);
    m.put("fastcgi_handler", fpm.startsWith("unix:") ? "proxy:" + fpm + "|fcgi://localhost" : "proxy:fcgi://" + fpm);
    m.put("fastcgi_params", "/etc/nginx/fastcgi_params");
    m.put("ssl", ssl());
    m.put("pack", false);
    m.put("pack_members", List.of());
    if (ssl()) {
      m.put("http_ssl_port", server.get(HTTP_SSL_PORT));
      Path dir = serverSslPath(server).resolve(DEFAULT_KEY);
      m.put("default_cert", dir.resolve("openssl.crt").toString());
      m.put("default_key", dir.resolve("openssl.key").toString());
    }
    return m;
  }

  /** Values of a site's vhost, each checked against its grammar. */
  Map<String, Object> siteModel(StepContext ctx, ResolvedContext site, ResolvedContext server) {
    Map<String, Object> m = serverModel(server);
    ContextName n = site.name();
    String uri = Grammar.HOST.check(n, "uri", site.get(SiteKeys.URI));
    m.put("uri", uri);
    m.put("root", Grammar.PATH.check(n, "root", site.get(SiteKeys.ROOT)));
    List<String> aliases = new ArrayList<>();
    for (String a : site.find(SiteKeys.ALIASES).orElse(List.of())) {
      String alias = Grammar.ALIAS.check(n, "aliases", a);
      if (alias.contains("/")) {
        ctx.warn(n + ": sub-directory alias " + alias + " is not served yet");
      } else if (!alias.equals(uri)) {
        aliases.add(alias);
      }
    }
    Optional<String> redirection = site.find(SiteKeys.REDIRECTION).map(r -> Grammar.HOST.check(n, "redirection", r));
    List<String> names = new ArrayList<>();
    List<String> redirects = new ArrayList<>();
    if (redirection.isPresent()) {
      String target = redirection.get();
      names.add(target);
      for (String h : concat(uri, aliases)) {
        if (!h.equals(target)) {
          redirects.add(h);
        }
      }
      m.put("redirection", target);
      m.put("redirection_pattern", target.replace(".", "\\."));
      m.put("redirect_scheme", "http");
    } else {
      names.addAll(concat(uri, aliases));
      m.put("redirection", false);
    }
    m.put("aliases", aliases);
    m.put("server_names", names);
    m.put("redirects", redirects);
    int sslMode = site.get(SiteKeys.SSL_ENABLED);
    boolean siteSsl = ssl() && sslMode >= 1;
    m.put("ssl", siteSsl);
    m.put("ssl_required", siteSsl && sslMode == 2);
    if (siteSsl) {
      Optional<Path> cert = SiteSsl.certificate(ctx, site, server,
          () -> certificate(ctx, server, SiteSsl.name(site), uri, aliases).resolve("openssl.crt"));
      if (cert.isEmpty()) {
        // letsencrypt before the first certificate: plain HTTP, as before
        siteSsl = false;
        m.put("ssl", false);
        m.put("ssl_required", false);
      } else {
        m.put("ssl_cert", cert.get().toString());
        m.put("ssl_key", cert.get().resolveSibling("openssl.key").toString());
        if (redirection.isPresent()) {
          m.put("redirect_scheme", "https");
        }
      }
    }
    if (ssl()) {
      Path challenges = SiteCertificates.challengeDir(server);
      m.put("acme_challenge", Grammar.PATH.check(server.name(), "config_path", challenges.toString()));
    }
    m.put("env", environment(site));
    m.put("disable_url", disableUrl(server));
    m.put("vhost_server_lines", Templates.extensionLines(ctx, VHOST_SERVER, site, server));
    return m;
  }

  /**
   * The site's database credentials, passed to PHP as request environment ({@code SetEnv} /
   * {@code fastcgi_param}) so that settings.php need not hold them (Aegir's cloaking). Empty
   * until the site has a database.
   */
  static List<Map<String, String>> environment(ResolvedContext site) {
    if (site.find(SiteKeys.DB_NAME).isEmpty()) {
      return List.of();
    }
    ContextName n = site.name();
    List<Map<String, String>> env = new ArrayList<>();
    env.add(Map.of("name", "db_type", "value", Grammar.ID.check(n, "db_type", site.get(SiteKeys.DB_TYPE))));
    env.add(Map.of("name", "db_name", "value", Grammar.DB_NAME.check(n, "db_name", site.get(SiteKeys.DB_NAME))));
    env.add(Map.of("name", "db_user", "value", Grammar.DB_NAME.check(n, "db_user", site.get(SiteKeys.DB_USER))));
    env.add(Map.of("name", "db_passwd", "value", Grammar.TOKEN.check(n, "db_passwd", site.get(SiteKeys.DB_PASSWD))));
    env.add(Map.of("name", "db_host", "value", Grammar.HOST_OR_IP.check(n, "db_host", site.get(SiteKeys.DB_HOST))));
    env.add(Map.of("name", "db_port", "value", String.valueOf(MySql.sitePort(site))));
    return env;
  }

  private static List<String> concat(String first, List<String> rest) {
    List<String> out = new ArrayList<>();
    out.add(first);
    out.addAll(rest);
    return out;
  }

  static String disableUrl(ResolvedContext server) {
    Optional<String> set = server.find(WEB_DISABLE_URL);
    if (set.isPresent()) {
      return Grammar.URL.check(server.name(), "web_disable_url", set.get());
    }
    String base = server.find(ServerKeys.MASTER_URL).orElse("http://" + server.get(ServerKeys.REMOTE_HOST));
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return Grammar.URL.check(server.name(), "master_url", base + "/hosting/disabled");
  }

  // ---------------------------------------------------------------- certificates

  /** @return {@code <config_path>/ssl.d}, the server's copies of certificates */
  Path serverSslPath(ResolvedContext server) {
    return Path.of(server.get(ServerKeys.CONFIG_PATH)).resolve("ssl.d");
  }

  /**
   * Makes sure the central store on the master holds the named certificate (a self-signed one is
   * made when it does not), and copies it to the web server's {@code ssl.d}.
   *
   * @return the server's directory holding {@code openssl.crt} and {@code openssl.key}
   */
  Path certificate(StepContext ctx, ResolvedContext server, String keyName, String domain, List<String> altNames) {
    Grammar.NAME.check(server.name(), "ssl_key", keyName);
    ResolvedContext master = ctx.resolve(ContextName.MASTER);
    Host central = ctx.host(ContextName.MASTER);
    Path store = Path.of(master.get(ServerKeys.AEGIR_ROOT)).resolve("config").resolve("ssl.d");
    Path keyDir = store.resolve(keyName);
    central.mkdirs(store, FileMode.of(INCLUDE_DIRS));
    central.mkdirs(keyDir, FileMode.of(INCLUDE_DIRS));
    Path crt = keyDir.resolve("openssl.crt");
    Path key = keyDir.resolve("openssl.key");
    Optional<byte[]> crtBytes = central.read(crt);
    Optional<byte[]> keyBytes = central.read(key);
    if (crtBytes.isEmpty() || keyBytes.isEmpty()) {
      if (ctx.planOnly()) {
        crtBytes = Optional.of(new byte[0]);
        keyBytes = Optional.of(new byte[0]);
      } else {
        var made = SelfSignedCertificate.generate(domain, altNames,
            Duration.ofDays(365));
        crtBytes = Optional.of(made.certificatePem().getBytes(StandardCharsets.US_ASCII));
        keyBytes = Optional.of(made.privateKeyPem().getBytes(StandardCharsets.US_ASCII));
      }
      central.write(key, keyBytes.get(), FileMode.of(KEY_FILE));
      central.write(crt, crtBytes.get(), FileMode.of(CONFIG_FILE));
    }
    Host web = ctx.host(server.name());
    Path copy = serverSslPath(server).resolve(keyName);
    web.mkdirs(serverSslPath(server), FileMode.of(INCLUDE_DIRS));
    web.mkdirs(copy, FileMode.of(INCLUDE_DIRS));
    boolean changed = web.write(copy.resolve("openssl.key"), keyBytes.get(), FileMode.of(KEY_FILE));
    changed |= web.write(copy.resolve("openssl.crt"), crtBytes.get(), FileMode.of(CONFIG_FILE));
    if (changed) {
      ctx.reload(server.name(), "http");
    }
    return copy;
  }

  // ---------------------------------------------------------------- templates

  /**
   * Renders a template: the operator's {@code <http_template_dir>/<app>/<name>.conf} when the
   * server names a template directory and the file exists there, else ours.
   */
  byte[] render(StepContext ctx, ResolvedContext server, String name, Map<String, Object> model) {
    return TEMPLATES.render(ctx.localHost(), server, server.find(templateDirKey), app() + "/" + name + ".conf", model)
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * @param server a web server, resolved
   * @return its {@code http_template_dir}, whichever http type declares it; empty when unset or
   *     when the server has no http type
   */
  public static Optional<String> operatorTemplateDir(ResolvedContext server) {
    return server.get(TEMPLATE_DIR).map(String.class::cast);
  }

  @Override
  public String toString() {
    return "http/" + id();
  }
}
