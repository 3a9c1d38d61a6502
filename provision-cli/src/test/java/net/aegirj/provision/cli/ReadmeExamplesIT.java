package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import net.aegirj.provision.testkit.Http;
import net.aegirj.provision.testkit.DrupalFixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's examples are run as they are written: the {@code sh} blocks of the section
 * "A site in three commands" (save the platform and the site, install, then "the rest of a site's
 * life": backup, restore, clone, migrate, disable and enable, delete with a backup) are read from
 * README.md and each line runs through {@code sh -c} from the checkout's root, against real nginx,
 * PHP-FPM and MariaDB, judged from outside after each line.
 *
 * <p>Only what the README cannot know is substituted ({@link #substitutions}): the Aegir home
 * {@code /var/aegir} is the test's, and the stamped backup file name of the restore line is the
 * file the backup line before it printed. The README's preconditions are set up by the test: a
 * {@code @server_master} with a web server and a database server, the Drupal code base at
 * {@code <home>/platforms/d10} (the testkit's fixture with a stand-in Drush), and the
 * {@code @platform_d11} and {@code @server_db2} its migrate line names (a second MariaDB). When
 * an example stops working as written, this test fails on its line; the fix goes into the code or
 * into the README, never into this test's substitution table.
 */
class ReadmeExamplesIT {
  private static final Path README = BinProvisionProcess.ROOT.resolve("README.md");
  private static final String SECTION = "## A site in three commands";
  /** The README's stamped example archive; the restore line names it. */
  private static final Pattern EXAMPLE_BACKUP = Pattern.compile("/var/aegir/backups/example\\.com-[0-9]{8}\\.[0-9]{6}\\.tar\\.gz");
  /** What the lines run, in order: the first word after {@code bin/provision} of each. */
  private static final List<String> EXPECTED_COMMANDS = List.of("save", "save", "install", "backup", "restore", "clone",
      "migrate", "disable", "delete");

  @TempDir Path tmp;
  CliWorld w;
  /** The last backup file a line printed. */
  String lastBackup;

  @AfterEach
  void stop() {
    if (w != null) {
      w.close();
    }
  }

  /** @return the lines of the {@code sh} blocks of the section, in order, without blank lines */
  static List<String> examples() throws IOException {
    return examples(SECTION);
  }

  /**
   * @param heading a section's heading line, e.g. {@code ## Command line}
   * @return the lines of the {@code sh} blocks of that section, in order, without blank lines
   */
  static List<String> examples(String heading) throws IOException {
    String readme = Files.readString(README);
    int start = readme.indexOf("\n" + heading + "\n");
    assertThat(start).as("README.md has the section %s", heading).isNotNegative();
    int end = readme.indexOf("\n## ", start + heading.length() + 1);
    String section = readme.substring(start, end < 0 ? readme.length() : end);
    List<String> lines = new ArrayList<>();
    Matcher blocks = Pattern.compile("(?s)```sh\\n(.*?)```").matcher(section);
    while (blocks.find()) {
      for (String line : blocks.group(1).split("\n")) {
        if (!line.isBlank()) {
          lines.add(line.strip());
        }
      }
    }
    return lines;
  }

  /**
   * Everything substituted in a README line, in order: the README's example backup file becomes
   * the file the preceding backup printed, then {@code /var/aegir} becomes the test's home.
   */
  private Map<Pattern, Function<String, String>> substitutions() {
    Map<Pattern, Function<String, String>> table = new LinkedHashMap<>();
    table.put(EXAMPLE_BACKUP, m -> {
      assertThat(lastBackup).as("a backup line printed its file before the restore line").isNotNull();
      return lastBackup;
    });
    table.put(Pattern.compile("/var/aegir"), m -> w.home.toString());
    return table;
  }

  private String substitute(String line) {
    String out = line;
    for (Map.Entry<Pattern, Function<String, String>> e : substitutions().entrySet()) {
      out = e.getKey().matcher(out).replaceAll(r -> Matcher.quoteReplacement(e.getValue().apply(r.group())));
    }
    return out;
  }

  private static String command(String line) {
    Matcher m = Pattern.compile("^bin/provision (\\S+)").matcher(line);
    assertThat(m.find()).as("a README example line runs bin/provision: %s", line).isTrue();
    return m.group(1);
  }

  @Test
  void theExamplesOfASiteInThreeCommandsWorkAsWritten() throws IOException {
    List<String> lines = examples();
    assertThat(lines.stream().map(ReadmeExamplesIT::command).toList())
        .as("the README's examples are the ones this test judges (a new or removed line needs its judgement here)")
        .isEqualTo(EXPECTED_COMMANDS);

    w = new CliWorld(tmp);
    // The README's preconditions: a server with a web server and a database server, the code base
    // at /var/aegir/platforms/d10, and the platform and db server its migrate line names.
    w.ok("save", "@server_master", "--properties-from=" + w.masterProperties());
    w.ok("verify", "@server_master");
    CliWorld.platform(w.home.resolve("platforms/d10"));
    Path d11 = CliWorld.platform(w.home.resolve("platforms/d11"), DrupalFixtures.Release.NEWER);
    w.ok("save", "@platform_d11", "--context_type=platform", "--root=" + d11);
    w.ok("save", "@server_db2", "--properties-from=" + w.db2Properties());
    w.ok("verify", "@server_db2");

    for (String line : lines) {
      String command = command(line);
      if (command.equals("restore")) {
        changeTheSiteAfterItsBackup();
      }
      String run = substitute(line);
      Exit e = w.shell(run);
      assertThat(e.status()).as("the README line `%s` (run as `%s`) exits 0; stdout: %s; stderr: %s", line, run,
          e.out(), e.err()).isZero();
      judge(command, e.out());
    }
  }

  private String db() {
    return w.databaseServed("example.com");
  }

  /** What a user relies on after each example line, judged from outside. */
  private void judge(String command, String out) throws IOException {
    switch (command) {
      case "save" -> {
        // judged by the install that uses both contexts
      }
      case "install" -> {
        String db = db();
        assertThat(CliWorld.databases(w.db)).as("install made the site's database on the master").contains(db);
        assertThat(w.databaseServed("www.example.com")).as("the alias serves the same site").isEqualTo(db);
        w.db.sql("CREATE TABLE `" + db + "`.marker (v VARCHAR(20)); INSERT INTO `" + db + "`.marker VALUES ('before')");
        Path marker = w.home.resolve("platforms/d10/sites/example.com/files/marker.txt");
        Files.writeString(marker, "before\n");
        Files.setPosixFilePermissions(marker, PosixFilePermissions.fromString("rw-r--r--"));
      }
      case "backup" -> {
        lastBackup = CliWorld.result(out, "backup_file").orElseThrow(() ->
            new AssertionError("backup prints backup_file = <path>: " + out));
        assertThat(Path.of(lastBackup)).as("where the README's comment says: <home>/backups/example.com-<stamp>.tar.gz")
            .hasParent(w.home.resolve("backups")).isRegularFile();
        assertThat(Path.of(lastBackup).getFileName().toString()).as("named <uri>-<stamp>.tar.gz")
            .matches("example\\.com-[0-9]{8}\\.[0-9]{6}\\.tar\\.gz");
      }
      case "restore" -> {
        String db = db();
        assertThat(w.db.sql("SELECT v FROM `" + db + "`.marker")).as("restore brought back the backup's data")
            .isEqualTo("before");
        assertThat(w.file("example.com", "/sites/example.com/files/marker.txt")).as("and the backup's files")
            .isEqualTo("before\n");
      }
      case "clone" -> {
        String copy = w.databaseServed("copy.example.com");
        assertThat(copy).as("the clone has a database of its own").isNotEqualTo(db());
        assertThat(w.db.sql("SELECT v FROM `" + copy + "`.marker")).as("with the original's data").isEqualTo("before");
      }
      case "migrate" -> {
        assertThat(w.home.resolve("platforms/d11/sites/example.com/settings.php")).as("the site moved to platform_d11")
            .isRegularFile();
        assertThat(w.home.resolve("platforms/d10/sites/example.com")).as("and left platform_d10").doesNotExist();
        String db = db();
        assertThat(CliWorld.databases(w.db2)).as("its database moved to server_db2").contains(db);
        assertThat(w.db2.sql("SELECT v FROM `" + db + "`.marker")).as("with its data").isEqualTo("before");
      }
      case "disable" -> assertThat(w.db2.sql("SELECT v FROM `" + db() + "`.marker"))
          .as("after disable && enable the site is served again, with its data").isEqualTo("before");
      case "delete" -> {
        assertThat(Http.getUntil(w.nginx.port(), "example.com", "/", r -> !r.body().contains("site=example.com"),
            java.time.Duration.ofSeconds(15)).body()).as("the deleted site is no longer served")
            .doesNotContain("site=example.com");
        assertThat(w.provision("show", "@example.com").status()).as("its context is gone").isEqualTo(2);
        assertThat(w.home.resolve("platforms/d11/sites/example.com")).as("its directory is gone").doesNotExist();
        try (Stream<Path> s = Files.list(w.home.resolve("backups"))) {
          assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("example.com-")).count())
              .as("--backup left an archive besides the one restored from").isGreaterThanOrEqualTo(2);
        }
      }
      default -> throw new AssertionError("no judgement for the README's " + command + " line");
    }
  }

  /** Between the backup line and the restore line: the data changes, so that restore has something to undo. */
  private void changeTheSiteAfterItsBackup() throws IOException {
    w.db.sql("UPDATE `" + db() + "`.marker SET v = 'after'");
    Files.writeString(w.home.resolve("platforms/d10/sites/example.com/files/marker.txt"), "after\n");
    assertThat(w.file("example.com", "/sites/example.com/files/marker.txt")).as("the change is served").isEqualTo("after\n");
  }
}
