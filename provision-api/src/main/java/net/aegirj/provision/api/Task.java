package net.aegirj.provision.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The tasks that run on contexts, with Aegir's command names ({@code provision-<id>}). */
public enum Task {
  /** Make the real state match the context; idempotent. */
  VERIFY,
  /** Install a site. */
  INSTALL,
  /** Remove what a context made. */
  DELETE,
  /** Serve a disabled site again. */
  ENABLE,
  /** Serve the disabled page for a site. */
  DISABLE,
  /** Archive a site's files and database. */
  BACKUP,
  /** Remove named backup archives of a site. */
  BACKUP_DELETE,
  /** Put a site back from its archive. */
  RESTORE,
  /** Install a site from an archive. */
  DEPLOY,
  /** Move a site to another platform, name or db server. */
  MIGRATE,
  /** Copy a site under a new name. */
  CLONE,
  /** A one-time login link from the platform's Drush. */
  LOGIN_RESET,
  /** Take an existing site directory under management (its credentials read from its files). */
  IMPORT_SITE,
  /** Run Drupal's cron on a site through the platform's Drush. */
  CRON;

  /** @return Aegir's id, e.g. {@code verify} */
  public String id() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * @param id a task id, with or without Aegir's {@code provision-} prefix
   * @return the task
   * @throws InvalidContextException for an unknown id, listing the known ones
   */
  public static Task fromId(String id) {
    String t = id.startsWith("provision-") ? id.substring("provision-".length()) : id;
    for (Task task : values()) {
      if (task.id().equals(t)) {
        return task;
      }
    }
    throw new InvalidContextException(null, null, Text.quote(id) + " is not a task; known tasks: "
        + Arrays.stream(values()).map(Task::id).collect(Collectors.joining(", ")));
  }
}
