package net.aegirj.provision.core.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ServerKeys;
import net.aegirj.provision.core.host.Hosts;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.Step;

/** The steps Provision itself contributes to tasks, before those of the service types. */
final class CoreSteps {
  /** Modes of Aegir's server layout (reference section 7.1). */
  static final int CONFIG_DIR = 0711;
  static final int BACKUPS_DIR = 0700;
  static final int INCLUDE_FILE = 0644;

  private CoreSteps() {}

  private static Path path(ResolvedContext c, String property) {
    return Path.of((String) c.get(property).orElseThrow(() ->
        new IllegalStateException(c.name() + " has no " + property)));
  }

  /**
   * Server verify: the config tree under {@code aegir_root} with Aegir's modes; on the master the
   * backups directory and an empty {@code global.inc}; on a remote server, the master's includes
   * pushed.
   */
  static List<Step> serverVerify(ResolvedContext server) {
    List<Step> steps = new ArrayList<>();
    boolean master = server.name().isMaster();
    Path root = path(server, "aegir_root");
    Path config = root.resolve("config");
    Path configPath = path(server, "config_path");
    Path includes = path(server, "include_path");
    Path clients = path(server, "clients_path");
    Path backups = path(server, "backup_path");
    boolean remote = !Hosts.isLocal(server.get(ServerKeys.REMOTE_HOST));
    steps.add(Step.of("server: create config directories on " + server.name(), ctx -> {
      Host h = ctx.host(server.name());
      h.mkdirs(config, FileMode.of(CONFIG_DIR));
      h.mkdirs(configPath, FileMode.of(CONFIG_DIR));
      h.mkdirs(includes, FileMode.of(CONFIG_DIR));
      h.mkdirs(clients, FileMode.of(CONFIG_DIR));
      if (master) {
        h.mkdirs(backups, FileMode.of(BACKUPS_DIR));
        Path global = includes.resolve("global.inc");
        if (h.stat(global).isEmpty()) {
          // Operators put their own settings here: create it empty, never overwrite it.
          h.write(global, new byte[0], FileMode.of(INCLUDE_FILE));
        }
      }
    }));
    if (!master && remote) {
      steps.add(Step.of("server: push " + includes + " to " + server.name(), ctx -> {
        ctx.localHost().mkdirs(includes, FileMode.of(CONFIG_DIR));
        ctx.host(server.name()).sync(includes, Set.of());
      }));
    }
    return steps;
  }
}
