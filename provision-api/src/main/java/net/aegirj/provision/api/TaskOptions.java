package net.aegirj.provision.api;

/**
 * The names of the options that tasks read, in one place, so that the command line, the handles
 * and the steps cannot disagree on them (a restore once passed its archive as {@code files} while
 * the step read {@code file}).
 */
public final class TaskOptions {
  /**
   * {@code backup}, {@code restore} and {@code deploy}: the one archive, an absolute path (for
   * backup: the file to write, which must not exist).
   */
  public static final String FILE = "file";
  /** {@code backup-delete}: the archives to remove, absolute paths separated by commas. */
  public static final String FILES = "files";
  /** {@code migrate} and {@code clone}: the platform of the result, {@code @name}. */
  public static final String PLATFORM = "platform";
  /** {@code migrate} and {@code clone}: the db server of the result, {@code @name}. */
  public static final String DB_SERVER = "db_server";
  /** {@code migrate}: the site's new name; {@code clone}: the copy's name (required). */
  public static final String NEW_URI = "new_uri";

  private TaskOptions() {}

  /**
   * @param task a task that takes archive names
   * @return the option that names its archive(s): {@link #FILES} for {@code backup-delete},
   *     {@link #FILE} for {@code backup}, {@code restore} and {@code deploy}
   * @throws IllegalArgumentException for a task that takes no archive
   */
  public static String archiveOption(Task task) {
    return switch (task) {
      case BACKUP, RESTORE, DEPLOY -> FILE;
      case BACKUP_DELETE -> FILES;
      default -> throw new IllegalArgumentException("the " + task.id() + " task takes no archive");
    };
  }
}
