package net.aegirj.provision.services.http;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.spi.Step;
import net.aegirj.provision.spi.StepContext;

/**
 * The {@code pack} http service type, after Aegir's {@code hosting_web_pack}: an nginx in front of
 * several web servers. It is the {@code nginx} type (it serves the sites of its own platforms
 * itself), except that the server's default {@code server {}} block, which answers every host
 * name without a vhost here, passes the request with its {@code Host} header to an upstream of
 * the servers named in {@code pack_web_servers}, in turn. A site on a platform whose {@code
 * web_server} and {@code web_servers} are those servers is so served by each of them through the
 * front. The upstream list is written by the front's verify, from each member's
 * {@code http_listen_address} (its {@code remote_host} when that is {@code *}) and {@code
 * http_port}; the members are checked before anything is written. Shared {@code files/} storage
 * between the members is the operator's part, as in Aegir.
 */
public class Pack extends Nginx {
  /** The servers the front balances to (Aegir's {@code master_web_servers} and {@code slave_web_servers}). */
  public static final PropertyKey<List<String>> PACK_WEB_SERVERS = PropertyKey.list(
      PropertySpec.builder(ContextType.SERVER, "pack_web_servers", PropertySpec.Kind.LIST).grammar(Grammar.CONTEXT_NAME)
          .description("the web servers this nginx front balances to (at most " + PlatformKeys.MAX_WEB_SERVERS
              + "), each a server with an http service; written into its upstream by verify").build());

  private volatile List<PropertySpec> properties;

  /** Creates it (for {@link ServiceLoader}). */
  public Pack() {}

  @Override
  public String id() {
    return "pack";
  }

  @Override
  public List<PropertySpec> serverProperties() {
    List<PropertySpec> p = properties;
    if (p == null) {
      List<PropertySpec> out = new ArrayList<>(super.serverProperties());
      out.add(PACK_WEB_SERVERS.spec());
      p = List.copyOf(out);
      properties = p;
    }
    return p;
  }

  /** Server verify checks the members first, before the nginx steps write anything. */
  @Override
  public List<Step> steps(Task task, ResolvedContext target, ResolvedContext server) {
    List<Step> steps = super.steps(task, target, server);
    if (target.context().type() != ContextType.SERVER || task != Task.VERIFY) {
      return steps;
    }
    List<Step> out = new ArrayList<>();
    out.add(Step.of("http: check the pack's web servers on " + server.name(), ctx -> {
      List<String> members = members(ctx, server);
      ctx.skip("balances to " + String.join(", ", members));
    }));
    out.addAll(steps);
    return List.copyOf(out);
  }

  @Override
  protected void serverValues(StepContext ctx, ResolvedContext server, Map<String, Object> model) {
    model.put("pack", true);
    model.put("pack_members", members(ctx, server));
  }

  /**
   * The upstream's members, checked: at least one and at most {@value PlatformKeys#MAX_WEB_SERVERS},
   * none twice, not the front itself, each an existing server with an http type other than
   * {@code pack}, with an address and port of their grammars.
   *
   * @return {@code address:port} of each member, in the order of {@code pack_web_servers}
   */
  static List<String> members(StepContext ctx, ResolvedContext front) {
    List<String> names = front.find(PACK_WEB_SERVERS).orElse(List.of());
    if (names.isEmpty()) {
      throw refused(front, "is empty; name the web servers this front balances to");
    }
    if (names.size() > PlatformKeys.MAX_WEB_SERVERS) {
      throw refused(front, "names " + names.size() + " servers; at most " + PlatformKeys.MAX_WEB_SERVERS);
    }
    Set<ContextName> seen = new HashSet<>();
    List<String> out = new ArrayList<>();
    for (String raw : names) {
      ContextName name = ContextName.of(raw);
      if (!seen.add(name)) {
        throw refused(front, name + " is listed twice");
      }
      if (name.equals(front.name())) {
        throw refused(front, name + " is this front itself");
      }
      ResolvedContext member;
      try {
        member = ctx.resolve(name);
      } catch (ProvisionException e) {
        throw refused(front, name + " does not exist; create it first with 'provision save " + name
            + " --context_type=server --http_service_type=nginx'");
      }
      if (member.context().type() != ContextType.SERVER) {
        throw refused(front, name + " is a " + member.context().type().id() + ", not a server");
      }
      String type = member.find(ServerKeys.HTTP_SERVICE_TYPE).orElse("null");
      if (type.equals("pack") || type.equals("null") || type.equals("NONE")) {
        throw refused(front, name + (type.equals("pack") ? " is a pack front itself" : " has no http service")
            + "; a member is a web server (nginx, apache, ...)");
      }
      out.add(address(member) + ":" + member.get(HTTP_PORT));
    }
    return out;
  }

  /** A member's address: its {@code http_listen_address}, or its {@code remote_host} when that is a wildcard. */
  private static String address(ResolvedContext member) {
    String listen = member.find(HTTP_LISTEN_ADDRESS).orElse("*");
    String address = Set.of("*", "0.0.0.0", "::").contains(listen)
        ? Grammar.HOST_OR_IP.check(member.name(), "remote_host", member.get(ServerKeys.REMOTE_HOST))
        : Grammar.IP.check(member.name(), "http_listen_address", listen);
    return address.contains(":") ? "[" + address + "]" : address;
  }

  private static InvalidContextException refused(ResolvedContext front, String reason) {
    return new InvalidContextException(front.name().toString(), PACK_WEB_SERVERS.name(), reason);
  }
}
