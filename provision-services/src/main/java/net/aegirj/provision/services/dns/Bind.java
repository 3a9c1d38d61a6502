package net.aegirj.provision.services.dns;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PropertyKey;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.SiteKeys;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.services.template.Templates;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.Step;
import net.aegirj.provision.spi.StepContext;

/**
 * The {@code bind} dns service type: a BIND 9 master for the zones of the sites (Aegir's legacy
 * DNS, reference §9), written cleanly.
 *
 * <p><b>Files</b> on the server: {@code <config_path>/bind} (0711) with {@code zone.d} (0755)
 * holding one {@code <zone>.zone} (0644, not Aegir's 0777) per zone; the server file
 * {@code <config_path>/bind.conf} (0644) declaring every zone in {@code zone.d} as
 * {@code type master; allow-query { any; };}; and the link {@code <aegir_root>/config/bind.conf}
 * to it, which the system's {@code named.conf} includes. The zones we manage are exactly the
 * {@code *.zone} files in {@code zone.d}; there is no separate store: each record line of a zone
 * file ends in {@code ; provision:<uri>}, naming the site that owns it, and is read back from
 * there (see {@link Zone}), so sites sharing a zone keep each other's records. Writers of one
 * server's zones are serialised within the JVM.
 *
 * <p><b>Server verify</b> makes the directories, the server file and the link, and reloads only
 * when one of them changed.
 *
 * <p><b>Site install and verify</b> (and deploy, should the engine plan dns for it) put the
 * site's records into its zone: {@code dns_zone} when set, else the longest suffix of the uri
 * that is a zone we already manage, else the uri's last two labels. The site's name in the zone
 * is {@code dns_zone_subdomain} when set, else the rest of the uri ({@code @} for the apex).
 * Records:
 * <ul>
 *   <li>an {@code A} record (an {@code AAAA} for an IPv6 address) for the site's name, pointing at
 *       the first of the web server's {@code ip_addresses}, or {@code 127.0.0.1} when it has none
 *       (upstream used a per-site {@code ip_address} option with the same fallback);
 *   <li>a {@code CNAME} for each alias inside the same zone, pointing at <em>the site's own
 *       name</em> — upstream pointed every alias at the zone apex, which is wrong for any site that
 *       is not the apex; an alias that is the apex itself gets an address record instead, since a
 *       CNAME may not sit beside the SOA. Aliases in other zones and sub-directory aliases get no
 *       record.
 * </ul>
 * A name another site already holds in the zone is left to it (with a warning). Records the site
 * owns in other zones (after a change of {@code dns_zone}) are removed.
 *
 * <p>Zone files are rendered from the template {@code templates/zone.db} beside this class, or
 * the operator's {@code <dns_template_dir>/zone.db} when the server names a directory holding one
 * ({@link #DNS_TEMPLATE_DIR}); a template that cannot be rendered fails the task before the zone
 * is written.
 *
 * <p>A zone file is rewritten only when its content would change; every rewrite increments the
 * SOA serial ({@code YYYYMMDDnn}, see {@link Zone#nextSerial}), so a second verify writes nothing.
 * <b>Site delete</b> removes the site's records from every zone; a zone left with no records is
 * removed, and dropped from the server file.
 *
 * <p>Every value written is held to its grammar first ({@code remote_host} must be a host name,
 * not an address, since it names the primary server); a refused value fails the task with an
 * {@link InvalidContextException} naming the context and the property.
 *
 * <p>Reload: the configuration test ({@code dns_test_cmd}, by default
 * {@code named-checkconf -z <config_path>/bind.conf}, which loads every zone file) runs before
 * {@code dns_restart_cmd} (default {@code rndc reload}); a failure of either fails the task.
 */
public class Bind implements ServiceType {
  static final int APP_DIR = 0711;
  static final int ZONE_DIR = 0755;
  static final int FILE = 0644;
  static final String FALLBACK_ADDRESS = "127.0.0.1";
  private static final ConcurrentMap<String, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

  /** Default TTL of the records ({@code $TTL}). */
  public static final PropertyKey<Integer> DNS_TTL = seconds("dns_ttl", 86400, "default TTL of the records ($TTL)");
  /** SOA refresh: how often secondaries check the serial. */
  public static final PropertyKey<Integer> DNS_REFRESH = seconds("dns_refresh", 21600,
      "SOA refresh: how often secondaries check the serial");
  /** SOA retry: how soon secondaries retry a failed refresh. */
  public static final PropertyKey<Integer> DNS_RETRY = seconds("dns_retry", 3600,
      "SOA retry: how soon secondaries retry a failed refresh");
  /** SOA expire: when secondaries stop answering without the primary. */
  public static final PropertyKey<Integer> DNS_EXPIRE = seconds("dns_expire", 604800,
      "SOA expire: when secondaries stop answering without the primary");
  /** SOA minimum: how long resolvers cache a missing name. */
  public static final PropertyKey<Integer> DNS_NEGATIVETTL = seconds("dns_negativettl", 86400,
      "SOA minimum: how long resolvers cache a missing name");
  /** Mail exchanger (MX 10) of every zone; none when unset. */
  public static final PropertyKey<String> DNS_DEFAULT_MX = PropertyKey.string(
      PropertySpec.builder(ContextType.SERVER, "dns_default_mx", PropertySpec.Kind.STRING).grammar(Grammar.HOST)
          .description("mail exchanger (MX 10) of every zone; none when unset").build());
  /** Reloads named (run with /bin/sh -c). */
  public static final PropertyKey<String> DNS_RESTART_CMD = PropertyKey.string(
      PropertySpec.builder(ContextType.SERVER, "dns_restart_cmd", PropertySpec.Kind.STRING).grammar(Grammar.COMMAND)
          .defaultValue("rndc reload").description("reloads named (run with /bin/sh -c)").build());
  /** Tests the zones and the server file before a reload; by default {@code named-checkconf -z}. */
  public static final PropertyKey<String> DNS_TEST_CMD = PropertyKey.string(
      PropertySpec.builder(ContextType.SERVER, "dns_test_cmd", PropertySpec.Kind.STRING).grammar(Grammar.COMMAND)
          .defaultsTo("named-checkconf -z <config_path>/bind.conf")
          .description("tests the zones and the server file before a reload (run with /bin/sh -c)").build());

  /**
   * Operator templates overriding ours: {@code <dir>/zone.db} for the zone files (the
   * default is {@code templates/zone.db} beside this class).
   */
  public static final PropertyKey<String> DNS_TEMPLATE_DIR = PropertyKey.string(
      PropertySpec.builder(ContextType.SERVER, "dns_template_dir", PropertySpec.Kind.STRING).grammar(Grammar.PATH)
          .description("directory of operator templates overriding ours: <dir>/zone.db for the zone files")
          .build());
  private static final Templates TEMPLATES = new Templates(Bind.class, DNS_TEMPLATE_DIR.name(), "");

  /** Creates it (for {@link ServiceLoader}). */
  public Bind() {}

  @Override
  public String service() {
    return "dns";
  }

  @Override
  public String id() {
    return "bind";
  }

  @Override
  public List<PropertySpec> serverProperties() {
    return List.of(DNS_TTL.spec(), DNS_REFRESH.spec(), DNS_RETRY.spec(), DNS_EXPIRE.spec(), DNS_NEGATIVETTL.spec(),
        DNS_DEFAULT_MX.spec(), DNS_RESTART_CMD.spec(), DNS_TEST_CMD.spec(), DNS_TEMPLATE_DIR.spec());
  }

  private static PropertyKey<Integer> seconds(String name, int value, String description) {
    return PropertyKey.integer(PropertySpec.builder(ContextType.SERVER, name, PropertySpec.Kind.INTEGER)
        .range(1, Integer.MAX_VALUE).defaultValue(value).description(description + ", in seconds").build());
  }

  @Override
  public Optional<Command> configTestCommand(ResolvedContext server) {
    Optional<String> cmd = server.find(DNS_TEST_CMD);
    if (cmd.isPresent()) {
      return Optional.of(Command.shell(cmd.get()));
    }
    return Optional.of(Command.of("named-checkconf", "-z", serverFile(server).toString()));
  }

  @Override
  public Optional<Command> reloadCommand(ResolvedContext server) {
    return Optional.of(Command.shell(server.get(DNS_RESTART_CMD)));
  }

  // ------------------------------------------------------------------ paths

  static Path configPath(ResolvedContext server) {
    return Path.of(Grammar.PATH.check(server.name(), "config_path", server.get(ServerKeys.CONFIG_PATH)));
  }

  /** @return {@code <config_path>/bind} */
  static Path appPath(ResolvedContext server) {
    return configPath(server).resolve("bind");
  }

  /** @return {@code <config_path>/bind/zone.d} */
  static Path zoneDir(ResolvedContext server) {
    return appPath(server).resolve("zone.d");
  }

  /** @return {@code <config_path>/bind.conf} */
  static Path serverFile(ResolvedContext server) {
    return configPath(server).resolve("bind.conf");
  }

  static Path zoneFile(ResolvedContext server, String zone) {
    return zoneDir(server).resolve(zone + ".zone");
  }

  // ------------------------------------------------------------------ steps

  @Override
  public List<Step> steps(Task task, ResolvedContext target, ResolvedContext server) {
    String on = " on " + server.name();
    ContextType type = target.context().type();
    if (type == ContextType.SERVER && task == Task.VERIFY) {
      return List.of(Step.of("dns: bind zones and server file" + on, ctx -> locked(server, () -> {
        if (layout(ctx, server)) {
          ctx.reload(server.name(), "dns");
        }
      })));
    }
    if (type != ContextType.SITE) {
      return List.of();
    }
    return switch (task) {
      case INSTALL, VERIFY, DEPLOY -> List.of(Step.of("dns: records of " + target.name() + on,
          ctx -> locked(server, () -> update(ctx, ctx.resolve(target.name()), server, false))));
      case DELETE -> List.of(Step.of("dns: remove records of " + target.name() + on,
          ctx -> locked(server, () -> update(ctx, target, server, true))));
      default -> List.of();
    };
  }

  private static void locked(ResolvedContext server, Runnable body) {
    ReentrantLock lock = LOCKS.computeIfAbsent(server.name() + "|" + server.get(ServerKeys.CONFIG_PATH),
        k -> new ReentrantLock());
    lock.lock();
    try {
      body.run();
    } finally {
      lock.unlock();
    }
  }

  /** The directories, the server file and the link; true when anything changed. */
  private static boolean layout(StepContext ctx, ResolvedContext server) {
    Host h = ctx.host(server.name());
    boolean changed = h.mkdirs(appPath(server), FileMode.of(APP_DIR));
    changed |= h.mkdirs(zoneDir(server), FileMode.of(ZONE_DIR));
    changed |= h.write(serverFile(server), serverConf(server, managedZones(h, server)), FileMode.of(FILE));
    Path link = Path.of(Grammar.PATH.check(server.name(), "aegir_root", server.get(ServerKeys.AEGIR_ROOT)))
        .resolve("config").resolve("bind.conf");
    changed |= h.symlink(link, serverFile(server).toString());
    return changed;
  }

  /** @return the server file declaring the zones */
  static byte[] serverConf(ResolvedContext server, List<String> zones) {
    StringBuilder b = new StringBuilder("// zones of ").append(server.name())
        .append(", written by Provision: edits are overwritten\n");
    for (String z : zones) {
      Grammar.HOST.check(server.name(), "zone", z);
      b.append("zone \"").append(z).append("\" { type master; file \"").append(zoneFile(server, z))
          .append("\"; allow-query { any; }; };\n");
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** @return the zones we manage: the {@code *.zone} files in {@code zone.d}, sorted */
  static List<String> managedZones(Host h, ResolvedContext server) {
    List<String> zones = new ArrayList<>();
    for (String f : h.list(zoneDir(server))) {
      if (f.endsWith(".zone")) {
        String z = f.substring(0, f.length() - 5);
        if (Grammar.HOST.accepts(z)) {
          zones.add(z);
        }
      }
    }
    return zones;
  }

  /**
   * The zone of a uri when {@code dns_zone} is unset: the longest managed zone the uri lies in,
   * else its last two labels.
   *
   * @param uri the site's uri
   * @param managed the zones we manage
   * @return the zone
   */
  static String guessZone(String uri, List<String> managed) {
    String best = null;
    for (String z : managed) {
      if (within(uri, z) && (best == null || z.length() > best.length())) {
        best = z;
      }
    }
    if (best != null) {
      return best;
    }
    String[] labels = uri.split("\\.");
    return labels.length <= 2 ? uri : labels[labels.length - 2] + "." + labels[labels.length - 1];
  }

  static boolean within(String name, String zone) {
    return name.equals(zone) || name.endsWith("." + zone);
  }

  /** @return the name of {@code fqdn} relative to {@code zone}, {@code @} for the apex */
  static String relative(String fqdn, String zone) {
    return fqdn.equals(zone) ? "@" : fqdn.substring(0, fqdn.length() - zone.length() - 1);
  }

  /** The SOA/NS/MX values of the server's zones, each held to its grammar. */
  static Zone.Header header(ResolvedContext server) {
    ContextName n = server.name();
    String primary = server.get(ServerKeys.REMOTE_HOST);
    if (!Grammar.HOST.accepts(primary) || Grammar.IP.accepts(primary)) {
      throw new InvalidContextException(n.toString(), "remote_host", "the bind dns service names the primary "
          + "name server with it, so it must be " + Grammar.HOST.description() + ", not " + quote(primary));
    }
    String email = Grammar.EMAIL.check(n, "admin_email",
        server.find(ServerKeys.ADMIN_EMAIL).orElse("admin@" + primary));
    int at = email.lastIndexOf('@');
    String local = email.substring(0, at).replace(".", "\\.");
    Optional<String> mx = server.find(DNS_DEFAULT_MX).map(v -> Grammar.HOST.check(n, "dns_default_mx", v));
    return new Zone.Header(primary, local + "." + email.substring(at + 1), seconds(server, DNS_TTL),
        seconds(server, DNS_REFRESH), seconds(server, DNS_RETRY), seconds(server, DNS_EXPIRE),
        seconds(server, DNS_NEGATIVETTL), mx);
  }

  private static int seconds(ResolvedContext server, PropertyKey<Integer> key) {
    int v = server.get(key);
    if (v < 1) {
      throw new InvalidContextException(server.name().toString(), key.name(), "must be a positive number of seconds");
    }
    return v;
  }

  private static String quote(String v) {
    return Text.quote(v);
  }

  /** The site's address: the web server's first {@code ip_addresses} entry, else 127.0.0.1. */
  static String address(StepContext ctx, ResolvedContext site) {
    ContextName web = ContextName.MASTER;
    if (site.context() instanceof Site s && s.platform().isPresent()) {
      ResolvedContext platform = ctx.resolve(s.platform().get());
      if (platform.context() instanceof Platform p) {
        web = p.webServer().orElse(ContextName.MASTER);
      }
    }
    ResolvedContext server = ctx.resolve(web);
    List<String> ips = server.find(ServerKeys.IP_ADDRESSES).orElse(List.of());
    if (ips.isEmpty()) {
      return FALLBACK_ADDRESS;
    }
    String ip = ips.get(0);
    if (!Grammar.IP.accepts(ip) || ip.equals("*")) {
      throw new InvalidContextException(web.toString(), "ip_addresses", "the first entry is the address of its "
          + "sites' DNS records and must be an IPv4 or IPv6 address, not " + quote(ip));
    }
    return ip;
  }

  /** The records a site wants in its zone. */
  static List<ZoneRecord> wanted(String uri, String zone, String name, String address, List<String> aliases) {
    String type = address.contains(":") ? "AAAA" : "A";
    List<ZoneRecord> out = new ArrayList<>();
    out.add(new ZoneRecord(name, type, address, uri));
    String target = (name.equals("@") ? zone : name + "." + zone) + ".";
    for (String alias : aliases) {
      if (alias.contains("/") || !within(alias, zone)) {
        continue;
      }
      String a = relative(alias, zone);
      if (a.equals(name)) {
        continue;
      }
      out.add(a.equals("@") ? new ZoneRecord(a, type, address, uri) : new ZoneRecord(a, "CNAME", target, uri));
    }
    return out;
  }

  private static void update(StepContext ctx, ResolvedContext site, ResolvedContext server, boolean delete) {
    ContextName n = site.name();
    String uri = Grammar.HOST.check(n, "uri", site.get(SiteKeys.URI));
    Zone.Header header = header(server);
    Host h = ctx.host(server.name());
    boolean changed = layout(ctx, server);
    List<String> managed = managedZones(h, server);
    TreeSet<String> zones = new TreeSet<>(managed);
    String zone = null;
    List<ZoneRecord> wanted = List.of();
    if (!delete) {
      zone = site.find(SiteKeys.DNS_ZONE).map(z -> Grammar.HOST.check(n, "dns_zone", z))
          .orElseGet(() -> guessZone(uri, managed));
      String name;
      Optional<String> sub = site.find(SiteKeys.DNS_ZONE_SUBDOMAIN);
      if (sub.isPresent()) {
        name = Grammar.ZONE_NAME.check(n, "dns_zone_subdomain", sub.get());
      } else if (within(uri, zone)) {
        name = relative(uri, zone);
      } else {
        throw new InvalidContextException(n.toString(), "dns_zone", "the uri " + uri + " is not inside the zone "
            + zone + "; set dns_zone_subdomain to name the site in that zone");
      }
      List<String> aliases = new ArrayList<>();
      for (String a : site.find(SiteKeys.ALIASES).orElse(List.of())) {
        aliases.add(Grammar.ALIAS.check(n, "aliases", a));
      }
      wanted = wanted(uri, zone, name, address(ctx, site), aliases);
      zones.add(zone);
    }
    LocalDate today = LocalDate.now();
    for (String z : zones) {
      Path file = zoneFile(server, z);
      Optional<String> text = h.read(file).map(b -> new String(b, StandardCharsets.UTF_8));
      List<ZoneRecord> records = new ArrayList<>();
      for (ZoneRecord r : text.map(Zone::recordsOf).orElse(List.of())) {
        if (!r.owner().equals(uri)) {
          records.add(r);
        }
      }
      if (z.equals(zone)) {
        for (ZoneRecord w : wanted) {
          Optional<ZoneRecord> other = records.stream().filter(r -> r.name().equals(w.name())).findFirst();
          if (other.isPresent()) {
            ctx.warn(n + ": " + w.name() + " in zone " + z + " belongs to @" + other.get().owner()
                + "; no " + w.type() + " record written for it");
          } else {
            records.add(w);
          }
        }
      }
      changed |= writeZone(h, server, z, header, text, records, today, zoneRenderer(ctx.localHost(), server));
    }
    if (changed) {
      changed |= layout(ctx, server);
      ctx.reload(server.name(), "dns");
    }
  }

  /** Renders zone files from the server's template: its {@code dns_template_dir}'s, else ours. */
  static Function<Zone, String> zoneRenderer(Host local, ResolvedContext server) {
    return z -> TEMPLATES.render(local, server, server.find(DNS_TEMPLATE_DIR), "zone.db", z.model());
  }

  /** Writes or removes one zone file; true when it changed. */
  static boolean writeZone(Host h, ResolvedContext server, String zone, Zone.Header header, Optional<String> text,
      List<ZoneRecord> records, LocalDate today, Function<Zone, String> render) {
    Path file = zoneFile(server, zone);
    if (records.isEmpty()) {
      return text.isPresent() && h.remove(file);
    }
    Optional<Long> serial = text.flatMap(Zone::serialOf);
    if (serial.isPresent() && render.apply(new Zone(zone, serial.get(), header, records)).equals(text.get())) {
      return false;
    }
    Zone next = new Zone(zone, Zone.nextSerial(serial, today), header, records);
    return h.write(file, render.apply(next).getBytes(StandardCharsets.UTF_8), FileMode.of(FILE));
  }

  @Override
  public String toString() {
    return "dns/bind";
  }
}
