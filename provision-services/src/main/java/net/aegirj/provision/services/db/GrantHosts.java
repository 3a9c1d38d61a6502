package net.aegirj.provision.services.db;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.StepContext;

/**
 * The hosts a site's database user is granted from, for each of its platform's web servers:
 * {@code localhost} when the web and db servers are one machine, the web server's {@code remote_host} when it is this machine, else the host the
 * db server sees when the web server connects (Aegir's probe), and always {@code 127.0.0.1};
 * {@code %} when the db server grants all hosts.
 */
final class GrantHosts {
  private GrantHosts() {}

  /** The hosts a site's user is granted from, as the db server sees the web server. */
  static Set<String> of(StepContext ctx, ResolvedContext site, ResolvedContext dbServer) {
    if (dbServer.get(MySql.DB_GRANT_ALL_HOSTS)) {
      return Set.of("%");
    }
    Set<String> hosts = new LinkedHashSet<>();
    ResolvedContext platform = ctx.resolve(ContextName.of(site.get(SiteKeys.PLATFORM)));
    for (ContextName web : PlatformKeys.webServers(platform)) {
      hosts.add(seenAs(ctx, ctx.resolve(web), dbServer));
    }
    hosts.add("127.0.0.1");
    return hosts;
  }

  /** The host one web server connects to the db server as. */
  private static String seenAs(StepContext ctx, ResolvedContext web, ResolvedContext dbServer) {
    String webHost = web.get(ServerKeys.REMOTE_HOST).toLowerCase(Locale.ROOT);
    String dbHost = dbServer.get(ServerKeys.REMOTE_HOST).toLowerCase(Locale.ROOT);
    boolean webIsHere = web.name().isMaster() || ctx.host(web.name()).isLocal();
    boolean sameMachine = webHost.equals(dbHost) || (webIsHere && isLoopback(webHost) && isLoopback(dbHost));
    if (sameMachine) {
      return "localhost";
    } else if (webIsHere) {
      return webHost;
    }
    // Probed once for a batch (one remote command, not one a site), else once for the task.
    String key = "mysql-grant-host:" + web.name() + ">" + dbServer.name();
    return ctx.batch(key, () -> new SeenAs(probeGrantHost(ctx, web, dbServer, dbHost)))
        .orElseGet(() -> ctx.resource(key, () -> new SeenAs(probeGrantHost(ctx, web, dbServer, dbHost)))).host();
  }

  /** A probed grant host, kept for the rest of the task or batch. */
  private record SeenAs(String host) implements AutoCloseable {
    @Override
    public void close() {}
  }

  private static final Pattern DENIED =
      Pattern.compile("Access denied for user 'intntnllyInvalid'@'([^']*)'");
  private static final Pattern NOT_ALLOWED =
      Pattern.compile("Host '([^']*)' is not allowed to connect");

  /**
   * Aegir's grant-host probe: on the web server, connect to the db server as a user that does not
   * exist; the refusal names the host the db server sees. Falls back to the web server's
   * {@code remote_host}, with a warning, when the web server has no MySQL client.
   */
  static String probeGrantHost(StepContext ctx, ResolvedContext web, ResolvedContext dbServer, String dbHost) {
    String fallback = Grammar.HOST_OR_IP.check(web.name(), "remote_host",
        web.get(ServerKeys.REMOTE_HOST).toLowerCase(Locale.ROOT));
    int port = dbServer.get(MySql.DB_PORT);
    Grammar.HOST_OR_IP.check(dbServer.name(), "remote_host", dbHost);
    CommandResult r = ctx.host(web.name()).run(Command.of(
        "mysql", "--no-defaults", "--connect-timeout=10", "-u", "intntnllyInvalid", "-h", dbHost,
        "-P", Integer.toString(port), "-e", "SELECT VERSION()").withDisplay("probe the grant host of "
        + web.name() + " on " + dbServer.name()).touchingNoFiles());
    if (ctx.planOnly()) {
      return fallback;
    }
    String said = r.stdout() + r.stderrTail();
    for (Pattern p : List.of(DENIED, NOT_ALLOWED)) {
      Matcher m = p.matcher(said);
      if (m.find() && Grammar.HOST_OR_IP.accepts(m.group(1))) {
        return m.group(1).toLowerCase(Locale.ROOT);
      }
    }
    if (r.exitCode() == 0) {
      throw new ProvisionException(dbServer.name() + ": a user that does not exist logged in from " + web.name()
          + "; the server's permissions are too lax to find the grant host");
    }
    if (r.exitCode() == 127) {
      ctx.warn(web.name() + " has no mysql client to probe how " + dbServer.name() + " sees it; granting to its"
          + " remote_host " + fallback);
      return fallback;
    }
    throw new ProvisionException(web.name() + " cannot reach " + dbServer.name() + " at " + dbHost + ":" + port
        + ": " + Text.quote(said.strip()));
  }

  private static boolean isLoopback(String h) {
    return h.equals("localhost") || h.startsWith("127.") || h.equals("::1");
  }
}
