package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A third-party plugin through {@code bin/provision}, as its users install it: the example
 * plugin's jar dropped into the home's {@code plugins} directory (or {@code $PROVISION_PLUGINS})
 * adds a service, a server property and a site property that {@code save}, {@code show} and
 * {@code verify} know; an unsafe plugin directory is refused before any of its code loads.
 */
class PluginCliIT {
  @TempDir Path cwd;
  @TempDir Path home;
  private Path jar;

  @BeforeEach
  void findThePluginJar() throws Exception {
    Path target = BinProvisionProcess.ROOT.resolve("provision-example-plugin/target");
    try (Stream<Path> s = Files.list(target)) {
      List<Path> jars = s.filter(p -> p.getFileName().toString().matches("provision-example-plugin-[0-9.]+(-SNAPSHOT)?\\.jar"))
          .toList();
      assertThat(jars).as("the example plugin is built before the command line (module order)").hasSize(1);
      jar = jars.get(0);
    }
  }

  private Exit provision(Map<String, String> env, String... args) throws Exception {
    String[] all = Stream.concat(Stream.of("--home", home.toString()), Stream.of(args)).toArray(String[]::new);
    return BinProvisionProcess.run(cwd, env, all);
  }

  private Path install(Path dir, String mode) throws Exception {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
    Path copy = dir.resolve(jar.getFileName());
    Files.copy(jar, copy);
    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
    return copy;
  }

  @Test
  void aPluginInTheHomeAddsItsServiceAndProperties() throws Exception {
    Exit before = provision(Map.of(), "save", "@server_master", "--php_service_type=versions");
    assertThat(before.status()).as("without the plugin, its service is unknown (stderr: %s)", before.err())
        .isEqualTo(2);
    install(home.resolve("plugins"), "rwxr-xr-x");

    Exit selected = provision(Map.of(), "save", "@server_master", "--php_service_type=versions",
        "--php_default_version=8.3");
    assertThat(selected.status()).as("the server selects the plugin's type (stderr: %s)", selected.err()).isZero();
    Exit platform = provision(Map.of(), "save", "@platform_p", "--context_type=platform", "--root=/srv/p");
    assertThat(platform.status()).as("a platform (stderr: %s)", platform.err()).isZero();
    Exit site = provision(Map.of(), "save", "@a.example.com", "--context_type=site", "--platform=@platform_p",
        "--php_version=8.1");
    assertThat(site.status()).as("the site takes the plugin's property (stderr: %s)", site.err()).isZero();

    Exit shown = provision(Map.of(), "--json", "show", "@a.example.com");
    assertThat(shown.status()).as("show (stderr: %s)", shown.err()).isZero();
    assertThat(shown.out()).as("show lists the plugin's property").contains("\"php_version\"").contains("\"8.1\"");

    Exit refused = provision(Map.of(), "save", "@a.example.com", "--php_version=5.6");
    assertThat(refused.status()).as("a value outside the declaration is bad input").isEqualTo(2);
    assertThat(refused.err()).as("the error names the property").contains("php_version");
    assertThat(provision(Map.of(), "--json", "show", "@a.example.com").out()).as("nothing changed")
        .contains("\"8.1\"");

    Exit verify = provision(Map.of(), "verify", "@server_master");
    assertThat(verify.status()).as("the server verify runs the plugin's step (stderr: %s)", verify.err()).isZero();
    assertThat(home.resolve("config/server_master/php")).as("the plugin's step made its directory").isDirectory();
  }

  @Test
  void anUnsafePluginDirectoryIsRefusedBeforeItsCodeLoads() throws Exception {
    Path dir = home.resolve("elsewhere");
    install(dir, "rwxrwxrwx");
    Exit refused = provision(Map.of("PROVISION_PLUGINS", dir.toString()), "list");
    assertThat(refused.status()).as("a world-writable plugin directory is refused").isNotZero();
    assertThat(refused.err()).as("the error says why").contains("refusing plugin directory").contains("nobody else");

    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Exit listed = provision(Map.of("PROVISION_PLUGINS", dir.toString()), "list");
    assertThat(listed.status()).as("the same directory, private, is used (stderr: %s)", listed.err()).isZero();
  }
}
