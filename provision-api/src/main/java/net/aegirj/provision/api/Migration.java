package net.aegirj.provision.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a {@code migrate} or {@code clone} takes a site: another platform, another db server,
 * a new name, or several of them. Unnamed parts stay as the site has them (a clone always needs
 * its new name).
 *
 * <pre>{@code
 * provision.site("example.com").migrate(Migration.toPlatform("platform_d11").newName("example.org"));
 * provision.site("example.com").cloneTo(Migration.named("copy.example.com"));
 * }</pre>
 *
 * @param platform the platform of the result
 * @param dbServer the db server of the result
 * @param newName the result's name
 */
public record Migration(Optional<ContextName> platform, Optional<ContextName> dbServer, Optional<ContextName> newName) {
  /** Checks the invariants. */
  public Migration {
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(dbServer, "dbServer");
    Objects.requireNonNull(newName, "newName");
  }

  /**
   * @param platform a platform's name, with or without {@code @}
   * @return a move to that platform
   */
  public static Migration toPlatform(String platform) {
    return new Migration(Optional.of(ContextName.of(platform)), Optional.empty(), Optional.empty());
  }

  /**
   * @param server a db server's name
   * @return a move of the database to that server
   */
  public static Migration toDbServer(String server) {
    return new Migration(Optional.empty(), Optional.of(ContextName.of(server)), Optional.empty());
  }

  /**
   * @param name the new name (a host name)
   * @return a rename (for a clone: the copy's name)
   */
  public static Migration named(String name) {
    return new Migration(Optional.empty(), Optional.empty(), Optional.of(ContextName.of(name)));
  }

  /**
   * Reads the options of a {@code migrate} or {@code clone} task.
   *
   * @param options {@link TaskOptions#PLATFORM}, {@link TaskOptions#DB_SERVER},
   *     {@link TaskOptions#NEW_URI}, each optional
   * @return the migration
   * @throws InvalidContextException when a value is not a context name
   */
  public static Migration fromOptions(Map<String, String> options) {
    return new Migration(name(options, TaskOptions.PLATFORM), name(options, TaskOptions.DB_SERVER),
        name(options, TaskOptions.NEW_URI));
  }

  private static Optional<ContextName> name(Map<String, String> options, String key) {
    String v = options.get(key);
    if (v == null || v.isEmpty()) {
      return Optional.empty();
    }
    if (!ContextName.isValid(v)) {
      throw new InvalidContextException(null, key, Text.quote(v) + " is not a valid context name");
    }
    return Optional.of(ContextName.of(v));
  }

  /** @param name a platform @return this migration, to that platform */
  public Migration platform(String name) {
    return new Migration(Optional.of(ContextName.of(name)), dbServer, newName);
  }

  /** @param name a db server @return this migration, with the database on that server */
  public Migration dbServer(String name) {
    return new Migration(platform, Optional.of(ContextName.of(name)), newName);
  }

  /** @param name a host name @return this migration, under that name */
  public Migration newName(String name) {
    return new Migration(platform, dbServer, Optional.of(ContextName.of(name)));
  }

  /** @return the task options that say the same */
  public Map<String, String> options() {
    Map<String, String> out = new LinkedHashMap<>();
    platform.ifPresent(p -> out.put(TaskOptions.PLATFORM, p.toString()));
    dbServer.ifPresent(d -> out.put(TaskOptions.DB_SERVER, d.toString()));
    newName.ifPresent(n -> out.put(TaskOptions.NEW_URI, n.value()));
    return out;
  }
}
