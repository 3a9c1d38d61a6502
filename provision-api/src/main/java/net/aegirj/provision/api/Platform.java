package net.aegirj.provision.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * A platform context: a Drupal code base at {@code root}, published by {@code web_server}.
 *
 * <pre>{@code
 * Platform d10 = Platform.named("platform_d10").root("/var/aegir/platforms/d10").build();
 * }</pre>
 *
 * <p>{@code root} is required when a platform is first saved; a value used to update an existing
 * platform may leave it out.
 */
@Value.Immutable
public abstract class Platform implements Context {
  Platform() {}

  @Override
  public abstract ContextName name();

  @Override
  public final ContextType type() {
    return ContextType.PLATFORM;
  }

  /** @return {@code root}: absolute path of the code base */
  public abstract Optional<Path> root();

  /** @return {@code web_server} (default {@code @server_master}) */
  public abstract Optional<ContextName> webServer();

  /** @return {@code web_servers}: further servers publishing the platform besides {@code web_server} */
  public abstract List<String> webServers();

  /** @return {@code makefile}: path or URL of what builds a missing root */
  public abstract Optional<String> makefile();

  /** @return {@code drush_path}: the Drush to use when the root has none in vendor/bin */
  public abstract Optional<String> drushPath();

  /** @return {@code make_working_copy} (default false) */
  public abstract Optional<Boolean> makeWorkingCopy();

  /** @return {@code repo_path}: directory that may hold {@code composer.json} */
  public abstract Optional<Path> repoPath();

  /** @return {@code locked}: a locked platform takes no new sites */
  public abstract Optional<Boolean> locked();

  @Override
  @Value.Redacted
  public abstract Map<String, String> extras();

  /**
   * Validates every property and normalises values to their canonical form (references and map
   * keys without {@code @} variants, lists without repeats), so that a value survives every
   * round trip through its properties unchanged.
   *
   * @return this value, or its normalised copy
   */
  @Value.Check
  final Platform normalise() {
    return (Platform) ContextProperties.checked(this); // validates every property once
  }

  /**
   * Starts a platform value.
   *
   * @param name the context name, with or without {@code @}
   * @return a builder with the name set
   */
  public static Builder named(String name) {
    return builder().name(ContextName.of(name));
  }

  /** @return an empty builder */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link Platform}; every method is named after the property it sets. */
  public static class Builder extends ImmutablePlatform.Builder {
    Builder() {}

    /** @param path {@code root} as text @return this */
    public Builder root(String path) {
      return root(Path.of(path));
    }

    /** @param server {@code web_server} as a name @return this */
    public Builder webServer(String server) {
      return webServer(ContextName.of(server));
    }
  }
}
