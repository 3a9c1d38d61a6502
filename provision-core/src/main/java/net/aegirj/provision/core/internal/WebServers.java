package net.aegirj.provision.core.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextNotFoundException;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PlatformKeys;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.core.NullServiceType;
import net.aegirj.provision.core.ServiceRegistry;

/**
 * A platform's web servers as the engine plans them (Aegir's cluster): its {@code web_server},
 * then each of its {@code web_servers}. The list is checked before anything runs: at most {@value
 * PlatformKeys#MAX_WEB_SERVERS} entries, none twice (nor the {@code web_server} again), each an
 * existing server with an http service type.
 */
final class WebServers {
  private WebServers() {}

  /**
   * @param contexts the contexts
   * @param platform the platform's name
   * @return its web servers, the primary ({@code web_server}) first
   * @throws InvalidContextException naming the platform, {@code web_servers} and the reason
   */
  static List<ContextName> of(ContextService contexts, ContextName platform) {
    // The stored value, not its resolution: planning every site of a batch stays cheap.
    Platform p = (Platform) contexts.load(platform).context();
    List<String> listed = p.webServers();
    if (listed.size() > PlatformKeys.MAX_WEB_SERVERS) {
      throw refused(p, "names " + listed.size() + " servers; at most " + PlatformKeys.MAX_WEB_SERVERS);
    }
    ContextName primary = p.webServer().orElse(ContextName.MASTER);
    List<ContextName> out = new ArrayList<>(List.of(primary));
    Set<ContextName> seen = new HashSet<>(Set.of(primary));
    ServiceRegistry registry = contexts.registry();
    for (String raw : listed) {
      ContextName name = ContextName.of(raw);
      if (!seen.add(name)) {
        throw refused(p, name + (name.equals(primary) ? " is the platform's web_server already" : " is listed twice"));
      }
      Context c;
      try {
        c = contexts.load(name).context();
      } catch (ContextNotFoundException e) {
        throw refused(p, name + " does not exist; create it first with 'provision save " + name
            + " --context_type=server --http_service_type=nginx'");
      }
      if (!(c instanceof Server s)) {
        throw refused(p, name + " is a " + c.type().id() + ", not a server");
      }
      String http = registry.selectedId(s, "http");
      if (http == null || http.equals(NullServiceType.ID) || http.equals("NONE")) {
        throw refused(p, name + " has no http service; set its http_service_type (nginx, apache, ...)");
      }
      out.add(name);
    }
    return List.copyOf(out);
  }

  private static InvalidContextException refused(Platform platform, String reason) {
    return new InvalidContextException(platform.name().toString(), PlatformKeys.WEB_SERVERS.name(), reason);
  }
}
