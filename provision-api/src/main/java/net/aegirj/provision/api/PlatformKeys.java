package net.aegirj.provision.api;

import static net.aegirj.provision.api.ContextType.PLATFORM;

import java.util.LinkedHashSet;
import java.util.List;

/** The properties of a platform (a Drupal code base on disk), with Aegir's names. */
public final class PlatformKeys {
  /** Absolute path of the Drupal code base. */
  public static final PropertyKey<String> ROOT = PropertyKey.string(
      PropertySpec.builder(PLATFORM, "root", PropertySpec.Kind.STRING).grammar(Grammar.PATH).required()
          .description("absolute path of the Drupal code base").build());
  /** The server publishing the platform. */
  public static final PropertyKey<String> WEB_SERVER = PropertyKey.string(
      PropertySpec.builder(PLATFORM, "web_server", PropertySpec.Kind.REFERENCE).references(ContextType.SERVER)
          .defaultsTo("@server_master").defaultValue(ContextName.MASTER.toString())
          .description("server publishing the platform").build());
  /** At most this many servers in a platform's {@code web_servers}. */
  public static final int MAX_WEB_SERVERS = 16;
  /**
   * Further servers publishing the platform besides {@code web_server} (Aegir's cluster): the code
   * base, every site's files and vhosts go to each.
   */
  public static final PropertyKey<List<String>> WEB_SERVERS = PropertyKey.list(
      PropertySpec.builder(PLATFORM, "web_servers", PropertySpec.Kind.LIST).grammar(Grammar.CONTEXT_NAME)
          .description("further servers publishing the platform besides web_server (at most " + MAX_WEB_SERVERS
              + "); the code base, every site's files and vhosts go to each").build());
  /** Make file or project that builds a missing root. */
  public static final PropertyKey<String> MAKEFILE = PropertyKey.string(
      PropertySpec.builder(PLATFORM, "makefile", PropertySpec.Kind.STRING).grammar(Grammar.PATH_OR_URL)
          .description("make file or project that builds a missing root").build());
  /** Build with {@code --working-copy}. */
  public static final PropertyKey<Boolean> MAKE_WORKING_COPY = PropertyKey.bool(
      PropertySpec.builder(PLATFORM, "make_working_copy", PropertySpec.Kind.BOOLEAN).defaultsTo("false")
          .defaultValue(Boolean.FALSE).description("build with --working-copy").build());
  /** Directory that may hold composer.json. */
  public static final PropertyKey<String> REPO_PATH = PropertyKey.string(
      PropertySpec.builder(PLATFORM, "repo_path", PropertySpec.Kind.STRING).grammar(Grammar.PATH)
          .description("directory that may hold composer.json").build());
  /** A locked platform takes no new sites. */
  public static final PropertyKey<Boolean> LOCKED = PropertyKey.bool(
      PropertySpec.builder(PLATFORM, "locked", PropertySpec.Kind.BOOLEAN).defaultsTo("false")
          .defaultValue(Boolean.FALSE).description("a locked platform takes no new sites (Aegir's lock/unlock)")
          .build());

  /** The platform's Drush when it has none in vendor/bin (Drupal 7 platforms use a Drush 8). */
  public static final PropertyKey<String> DRUSH_PATH = PropertyKey.string(
      PropertySpec.builder(PLATFORM, "drush_path", PropertySpec.Kind.STRING).grammar(Grammar.PATH)
          .defaultsTo("<root>/vendor/bin/drush, else the web server's drush_path")
          .description("the Drush that runs the platform's sites when <root>/vendor/bin/drush does not exist")
          .build());

  /** Every key above, in display order. */
  public static final List<PropertyKey<?>> ALL = List.of(ROOT, WEB_SERVER, WEB_SERVERS, MAKEFILE, MAKE_WORKING_COPY, REPO_PATH,
      LOCKED, DRUSH_PATH);

  /**
   * Every server publishing a platform: its {@code web_server} first, then its {@code web_servers}
   * in their order, each once. Whether each exists and serves http is checked before a task runs.
   *
   * @param platform a platform, resolved
   * @return the names, the primary web server first
   */
  public static List<ContextName> webServers(ResolvedContext platform) {
    LinkedHashSet<ContextName> out = new LinkedHashSet<>();
    out.add(ContextName.of(platform.get(WEB_SERVER)));
    for (String s : platform.find(WEB_SERVERS).orElse(List.of())) {
      out.add(ContextName.of(s));
    }
    return List.copyOf(out);
  }

  private PlatformKeys() {}
}
