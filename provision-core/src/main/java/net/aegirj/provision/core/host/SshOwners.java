package net.aegirj.provision.core.host;

import static net.aegirj.provision.core.host.SshExec.INTERNAL_TIMEOUT;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;

/** The user and group names of an {@link SshHost}'s uids and gids, looked up with {@code getent} once each. */
final class SshOwners {
  private final SshExec exec;
  private final Map<Integer, String> userNames = new ConcurrentHashMap<>();
  private final Map<Integer, String> groupNames = new ConcurrentHashMap<>();

  SshOwners(SshExec exec) {
    this.exec = exec;
  }

  /** @return the user name of the uid, or the number when it has none */
  String userName(int uid) {
    return lookup(userNames, "passwd", uid);
  }

  /** @return the group name of the gid, or the number when it has none */
  String groupName(int gid) {
    return lookup(groupNames, "group", gid);
  }

  private String lookup(Map<Integer, String> cache, String db, int id) {
    String n = cache.get(id);
    if (n != null) {
      return n;
    }
    CommandResult r = exec.run(Command.of("getent", db, Integer.toString(id)).withTimeout(INTERNAL_TIMEOUT));
    String line = r.stdout().strip();
    n = r.succeeded() && line.indexOf(':') > 0 ? line.substring(0, line.indexOf(':')) : Integer.toString(id);
    cache.put(id, n);
    return n;
  }
}
