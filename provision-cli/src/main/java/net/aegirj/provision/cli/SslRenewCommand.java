package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code provision ssl-renew @server}: verifies, as one batch, every site with
 * {@code ssl_enabled} 1 or 2 whose platform's web server is {@code @server}. A site's verify renews
 * its certificate when it is due ({@code ssl_provider=letsencrypt}: expiring within
 * {@code acme_renew_days}, or its names changed) and talks to no ACME server otherwise, so the
 * command is meant for cron. A progress line per site goes to stderr as each finishes.
 */
@Command(name = "ssl-renew", sortOptions = false,
    description = {"Renews the certificates that are due on a web server: verifies, as one batch, every site with"
        + " ssl_enabled 1 or 2 on the server's platforms (a site whose certificate is not due contacts no ACME"
        + " server). A progress line per site goes to stderr; run it daily from cron."},
    footer = {"", "Example:", "  provision ssl-renew @server_master"})
final class SslRenewCommand implements CliCommand {
  @Parameters(index = "0", paramLabel = "@server", description = "The web server.")
  String server;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
  boolean help;

  @Override
  public Result execute(Provision provision, Progress progress) {
    ContextName web = provision.context(server).name();
    if (provision.context(server).type() != ContextType.SERVER) {
      throw new UsageException(web + " is not a server: provision ssl-renew @server");
    }
    List<String> sites = new ArrayList<>();
    for (Context c : provision.list(ContextType.SITE)) {
      ResolvedContext site = provision.resolve(c.name().toString());
      if (site.get(SiteKeys.SSL_ENABLED) < 1) {
        continue;
      }
      ResolvedContext platform = provision.resolve(site.get(SiteKeys.PLATFORM));
      if (ContextName.of(platform.get(PlatformKeys.WEB_SERVER)).equals(web)) {
        sites.add(c.name().toString());
      }
    }
    ObjectNode json = Values.object();
    json.put("server", web.toString());
    ArrayNode array = json.putArray("reports");
    if (sites.isEmpty()) {
      return new Result(json, "ssl-renew " + web + ": no site with ssl_enabled 1 or 2\n");
    }
    progress.expectTasks(sites.size());
    List<TaskReport> reports = provision.runAll(Task.VERIFY, sites);
    List<String> failed = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (TaskReport r : reports) {
      array.add(Reports.json(r));
      text.append(Reports.text(r)).append('\n');
      if (!r.succeeded()) {
        failed.add(r.context().toString());
      }
    }
    text.append("ssl-renew ").append(web).append(": ").append(reports.size()).append(" sites, ")
        .append(reports.size() - failed.size()).append(" succeeded, ").append(failed.size()).append(" failed\n");
    return failed.isEmpty() ? new Result(json, text.toString())
        : new Result(json, text.toString(), Optional.of(failed.size() + " of " + reports.size()
            + " ssl-renew verifies failed: " + String.join(", ", failed)));
  }
}
