package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The in-memory mode of {@link ProvisionExtension}, as a user's unit test uses it. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProvisionExtensionTest {
  @RegisterExtension static ProvisionExtension provision = ProvisionExtension.inMemory();

  private static final List<Path> HOMES = new ArrayList<>();

  @Test
  @Order(1)
  void aTestGetsAReadyProvisionOnFakeHosts(Provision p, FakeHost.Provider hosts,
      @ProvisionExtension.Home Path home) throws IOException {
    HOMES.add(home);
    p.save(Server.named("server_web1").remoteHost("web1.example.com"));
    TaskReport report = p.server("server_web1").verify();
    assertThat(report.succeeded()).as("a remote server verifies on its fake: %s", report.summary()).isTrue();
    assertThat(hosts.host("server_web1").modes()).as("the fake received the server's config tree")
        .containsKey(home.resolve("config/server_web1").toString());
    assertThat(p.home()).as("the Provision's home is the one injected").isEqualTo(home);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home)))
        .as("the temporary home is private").isEqualTo("rwx------");
  }

  @Test
  @Order(2)
  void everyTestStartsEmptyAndTheLastHomeIsGone(Provision p, @ProvisionExtension.Home Path home) {
    assertThat(p.list()).as("contexts of the test before are not seen: the repository is per test").isEmpty();
    assertThat(HOMES).as("the first test recorded its home").hasSize(1);
    assertThat(home).as("each test has its own home").isNotEqualTo(HOMES.get(0));
    assertThat(HOMES.get(0)).as("the home of the test before was removed after it").doesNotExist();
  }

  @Test
  @Order(3)
  void phpFpmIsFoundByVersionNotByAHardCodedName(@TempDir Path sbin) throws IOException {
    for (String name : List.of("php-fpm7.4", "php-fpm8.2", "php-fpm8.10", "php-fpm", "php-fpm8.3.bak")) {
      Path f = Files.createFile(sbin.resolve(name));
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    assertThat(PhpFpmServer.find(null, sbin)).as("the newest version, compared as numbers")
        .isEqualTo(sbin.resolve("php-fpm8.10"));
    assertThat(PhpFpmServer.find("/opt/php/sbin/php-fpm", sbin)).as("an explicit binary wins")
        .isEqualTo(Path.of("/opt/php/sbin/php-fpm"));
    assertThat(PhpFpmServer.find(null, sbin.resolve("missing"))).as("nothing installed: the default name")
        .isEqualTo(sbin.resolve("missing/php-fpm8.2"));
  }

  @Test
  @Order(4)
  void nothingOfOursIsWrittenOutsideTheHome(Provision p, @ProvisionExtension.Home Path home) throws IOException {
    Path userHome = Path.of(System.getProperty("user.home"), ".provision");
    long before = Files.exists(userHome) ? count(userHome) : -1;
    p.save(Server.named("server_web2").remoteHost("web2.example.com"));
    p.server("server_web2").verify();
    long after = Files.exists(userHome) ? count(userHome) : -1;
    assertThat(after).as("~/.provision is not touched by an in-memory Provision").isEqualTo(before);
    assertThat(names(home)).as("its locks live in its own home").anyMatch(n -> Pattern.matches(".*lock.*", n));
  }

  private static long count(Path dir) throws IOException {
    try (var s = Files.walk(dir)) {
      return s.count();
    }
  }

  private static List<String> names(Path dir) throws IOException {
    try (var s = Files.walk(dir)) {
      return s.map(p -> dir.relativize(p).toString()).collect(Collectors.toList());
    }
  }
}
