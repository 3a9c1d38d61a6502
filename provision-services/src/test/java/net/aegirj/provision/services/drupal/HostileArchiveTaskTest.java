package net.aegirj.provision.services.drupal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.testkit.FakeHost;
import net.aegirj.provision.testkit.Fixtures;
import net.aegirj.provision.testkit.Generators;
import net.aegirj.provision.testkit.HostileArchives;
import net.aegirj.provision.testkit.HostileArchives.Archive;
import net.aegirj.provision.testkit.HostileArchives.Flaw;
import net.aegirj.provision.testkit.InMemoryContextRepository;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-archive corpus through whole tasks: restore, deploy and migrate, each fed
 * generated archives ({@link HostileArchives}) on a {@link FakeHost} master (its files in
 * memory, so the archive goes through the {@code Host} API). Migrate's archive is the one its
 * own backup makes: the fake's {@code tar} writes the generated archive, as a site whose files a
 * user filled with devices, links and set-uid files would. A hostile archive fails the task with
 * the bad-input error naming the member, and nothing anywhere on the master changed (its whole
 * file system is compared); a valid one is unpacked, and when the task fails later (there is no
 * database server here) its rollback leaves the master as it was too.
 *
 * <p>CI runs {@value #DEFAULT_ARCHIVES} archives; {@code -Darchives.tasks=N -Darchives.seed=…}
 * runs more or others.
 */
class HostileArchiveTaskTest {
  static final int DEFAULT_ARCHIVES = 3000;
  private static final int ARCHIVES = Integer.getInteger("archives.tasks", DEFAULT_ARCHIVES);
  private static final long SEED = Long.getLong("archives.seed", 20261214L);
  private static final Path PLATFORMS = Path.of("/var/aegir/platforms");
  private static final Path UPLOAD = Path.of("/home/user/upload.tar.gz");

  @TempDir Path home;
  FakeHost master;
  byte[] nextBackup;

  @BeforeEach
  void master() throws IOException {
    master = new FakeHost("server_master", false);
    master.mkdirs(home, FileMode.of(0755));
    master.mkdirs(UPLOAD.getParent(), FileMode.of(0755));
    for (String platform : new String[] {"x", "y"}) {
      for (String file : Fixtures.phpFiles()) {
        Path target = PLATFORMS.resolve(platform).resolve(file);
        master.mkdirs(target.getParent(), FileMode.of(0755));
        try (InputStream in = Fixtures.class.getResourceAsStream("fixture-platform/" + file)) {
          master.write(target, in.readAllBytes(), FileMode.of(0644));
        }
      }
      master.mkdirs(PLATFORMS.resolve(platform).resolve("sites"), FileMode.of(0755));
    }
    // The fake runs no programs; these three do on it what they do on a real host.
    master.onCommand(c -> c.argv().get(0).equals("rm"), c -> {
      c.argv().stream().filter(a -> a.startsWith("/")).forEach(a -> master.remove(Path.of(a)));
      return master.result(c, 0, "", "");
    });
    master.onCommand("tar -czf", c -> {
      master.write(Path.of(c.argv().get(4)), nextBackup, FileMode.of(0600));
      return master.result(c, 0, "", "");
    });
    master.onCommand("mysqldump", c -> {
      master.write(Path.of(c.argv().get(4)), "-- dump\n".repeat(300).getBytes(StandardCharsets.UTF_8), FileMode.of(0600));
      return master.result(c, 0, "", "");
    });
  }

  private Provision provision() {
    Provision p = Provision.builder().home(home).repository(new InMemoryContextRepository())
        .hosts(FakeHost.provider(master)).build();
    p.save("server_master", PropertyChanges.builder().set("http_service_type", "nginx").set("http_port", "8080")
        .set("phpfpm_address", "unix:/run/php/php8.2-fpm.sock").set("http_test_cmd", "nginx -t")
        .set("http_restart_cmd", "nginx -s reload").set("web_group", "www-data").build());
    // A db server nobody answers on: a task that gets as far as the database fails there.
    p.save("server_db", PropertyChanges.builder().set("context_type", "server").set("remote_host", "db.example.com")
        .set("db_service_type", "mysql").set("master_db", "mysql://root:secret@127.0.0.1:1").build());
    for (String platform : new String[] {"x", "y"}) {
      p.save("platform_" + platform, PropertyChanges.builder().set("context_type", "platform")
          .set("root", PLATFORMS.resolve(platform).toString()).build());
    }
    p.save("example.com", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_x")
        .set("db_server", "@server_db").set("install_method", "manual").set("installed", "true")
        .set("db_name", "examplecom").set("db_user", "examplecom").set("db_passwd", "Secret123Secret123").build());
    p.server("server_master").verify();
    p.platform("platform_x").verify();
    p.platform("platform_y").verify();
    master.mkdirs(PLATFORMS.resolve("x/sites/example.com/files"), FileMode.of(02770));
    master.write(PLATFORMS.resolve("x/sites/example.com/settings.php"), "<?php\n".getBytes(StandardCharsets.UTF_8),
        FileMode.of(0440));
    return p;
  }

  enum Way { RESTORE, DEPLOY, MIGRATE }

  @Test
  void restoreDeployAndMigrateRefuseEveryHostileArchiveByMemberAndChangeNothing() {
    System.out.printf("HostileArchiveTaskTest: %d archives through restore, deploy and migrate, seed %d"
        + " (-Darchives.tasks=N -Darchives.seed=%d)%n", ARCHIVES, SEED, SEED);
    Map<Way, int[]> counts = new EnumMap<>(Way.class);
    Random seeds = new Random(SEED);
    try (Provision p = provision()) {
      for (int i = 0; i < ARCHIVES; i++) {
        long seed = seeds.nextLong();
        Archive a = HostileArchives.generateForDefaultLimits(Generators.random(seed));
        Way way = Way.values()[i % 3];
        int[] c = counts.computeIfAbsent(way, k -> new int[2]);
        master.write(UPLOAD, a.gzip(), FileMode.of(0644));
        nextBackup = a.gzip();
        if (way == Way.DEPLOY) {
          p.save("copy.example.com", PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_y")
              .set("db_server", "@server_db").set("install_method", "manual").build());
        }
        SortedMap<String, String> before = master.snapshot();
        Throwable t = catchThrowable(() -> {
          switch (way) {
            case RESTORE -> p.site("example.com").restore(UPLOAD.toString());
            case DEPLOY -> p.site("copy.example.com").run(Task.DEPLOY, Map.of("file", UPLOAD.toString()));
            case MIGRATE -> p.site("example.com").migrate("platform_y", null);
          }
        });
        String what = "seed " + seed + ": " + way + " of " + a;
        assertThat(t).as("%s fails (a refused archive, or no database server)", what)
            .isInstanceOf(TaskFailedException.class);
        if (a.flaw() == Flaw.NONE) {
          assertThat(t.getCause()).as("%s: the valid archive is not refused: %s", what, t.getMessage())
              .isNotInstanceOf(InvalidContextException.class);
        } else {
          c[0]++;
          assertThat(t.getCause()).as("%s: refused as bad input: %s", what, t.getMessage())
              .isInstanceOf(InvalidContextException.class);
          assertThat(t.getMessage()).as("%s: names the archive", what).contains(".tar.gz");
          if (a.member() != null) {
            assertThat(t.getMessage()).as("%s: names the member", what).contains(Text.quote(a.member()));
          }
        }
        c[1]++;
        assertThat(master.snapshot()).as("%s: nothing on the master changed", what).isEqualTo(before);
        assertThat(p.site("example.com").context().platform().map(Object::toString)).as("%s: the site stays", what)
            .contains("@platform_x");
        if (way == Way.DEPLOY) {
          p.delete("copy.example.com");
        }
      }
    }
    System.out.println("HostileArchiveTaskTest: refused/run by task " + counts.entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue()[0] + "/" + e.getValue()[1]).toList());
    assertThat(counts.values()).as("every task refused some").allMatch(c -> c[0] > 0 && c[0] < c[1]);
  }
}
