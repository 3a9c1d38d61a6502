package net.aegirj.provision.spi;

import java.util.List;

/**
 * What a directory sync changed on the receiving host.
 *
 * @param added files created
 * @param changed files replaced
 * @param deleted files and directories removed
 * @param roundTrips requests sent to the host (0 for the local host, where nothing is sent)
 */
public record SyncResult(List<String> added, List<String> changed, List<String> deleted, int roundTrips) {
  /** Copies the lists. */
  public SyncResult {
    added = List.copyOf(added);
    changed = List.copyOf(changed);
    deleted = List.copyOf(deleted);
  }

  /** @return true when the host's tree was changed */
  public boolean changedAnything() {
    return !added.isEmpty() || !changed.isEmpty() || !deleted.isEmpty();
  }
}
