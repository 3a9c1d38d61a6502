package net.aegirj.provision.cli;

import java.util.List;
import java.util.Locale;

/**
 * The command line's log levels (slf4j-simple, set through system properties before the first
 * logger exists): quiet by default, since the command line reports outcomes and warnings itself;
 * with {@code --debug}, debug logs on stderr, but never the MariaDB driver's statement log.
 */
final class CliLogging {
  private static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

  /**
   * The task engine logs each task's outcome (a warning when it failed) and its warnings; the
   * command line reports both itself, so the engine's logger is quieted unless {@code --debug}.
   */
  private static final String ENGINE_LOG_LEVEL_PROPERTY =
      "org.slf4j.simpleLogger.log.net.aegirj.provision.core.internal.TaskEngine";

  /**
   * The MariaDB driver logs a warning for every error the server returns (a refused password, for
   * one); the command line reports the error itself, so the driver is quieted unless
   * {@code --debug}. With {@code --debug} it logs warnings, never more: at debug level it logs the
   * text of every statement it sends, and {@code CREATE USER … IDENTIFIED BY '…'} holds a site's
   * database password.
   */
  private static final String MARIADB_LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.log.org.mariadb.jdbc";

  /** The most the MariaDB driver logs with {@code --debug}: its debug and info logs hold SQL text. */
  static final String MARIADB_DEBUG_LEVEL = "warn";

  private CliLogging() {}

  /**
   * Sets the log levels for a run of the command line, unless already set as system properties.
   *
   * @param args the command line
   */
  static void configure(String[] args) {
    if (wantsDebug(args)) {
      if (System.getProperty(LOG_LEVEL_PROPERTY) == null) {
        System.setProperty(LOG_LEVEL_PROPERTY, "debug");
      }
      // Whatever the default level: the driver's statement log would show passwords.
      System.setProperty(MARIADB_LOG_LEVEL_PROPERTY, quietest(System.getProperty(MARIADB_LOG_LEVEL_PROPERTY)));
    } else {
      for (String quieted : List.of(ENGINE_LOG_LEVEL_PROPERTY, MARIADB_LOG_LEVEL_PROPERTY)) {
        if (System.getProperty(quieted) == null) {
          System.setProperty(quieted, "error");
        }
      }
    }
  }

  /**
   * @param level a level set for the MariaDB driver's logger (a system property), or null
   * @return that level when it logs no more than {@link #MARIADB_DEBUG_LEVEL}, else that level
   */
  static String quietest(String level) {
    List<String> order = List.of("trace", "debug", "info", "warn", "error", "off");
    int given = level == null ? -1 : order.indexOf(level.strip().toLowerCase(Locale.ROOT));
    return given >= order.indexOf(MARIADB_DEBUG_LEVEL) ? level.strip() : MARIADB_DEBUG_LEVEL;
  }

  private static boolean wantsDebug(String[] args) {
    for (String a : args) {
      if (a.equals("--")) {
        return false;
      }
      if (a.equals(Invocation.DEBUG)) {
        return true;
      }
    }
    return false;
  }
}
