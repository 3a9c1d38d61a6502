package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code sh} block of the README's section "Command line", run line by line through
 * {@code sh -c} from the checkout's root as it is written, against a real MariaDB, each line
 * required to exit 0, and the state judged from outside at the end.
 *
 * <p>Only what the README cannot know is substituted: its home {@code /tmp/aegir} becomes the
 * test's, and the MariaDB it names ({@code aegir_root}, {@code "$pw"}, {@code @localhost}) the
 * test's server (its admin account, password and port).
 */
class ReadmeCommandLineIT {
  private static final String SECTION = "## Command line";

  @TempDir Path tmp;
  CliWorld w;

  @AfterEach
  void stop() {
    if (w != null) {
      w.close();
    }
  }

  private String substitute(String line) {
    String out = line.replace("/tmp/aegir", w.home.toString());
    out = out.replace("mysql://aegir_root:%s@localhost", "mysql://" + w.db.adminUser() + ":%s@127.0.0.1:"
        + w.db.port());
    return out.replace("\"$pw\"", "'" + w.db.adminPassword().replace("'", "'\\''") + "'");
  }

  @Test
  void theCommandLineExamplesWorkAsWritten() throws IOException {
    List<String> lines = ReadmeExamplesIT.examples(SECTION);
    assertThat(lines).as("the section has examples, each running bin/provision")
        .isNotEmpty().allMatch(l -> l.contains("bin/provision "));
    w = new CliWorld(tmp);
    for (String line : lines) {
      String run = substitute(line);
      Exit e = w.shell(run);
      assertThat(e.status()).as("the README line `%s` exits 0; stdout: %s; stderr: %s", line, e.out(), e.err())
          .isZero();
      Matcher json = Pattern.compile("--json").matcher(line);
      if (json.find()) {
        assertThat(e.out().strip()).as("`%s` prints one JSON object", line).startsWith("{").endsWith("}");
      }
    }
    JsonNode master = w.show("@server_master").orElseThrow();
    assertThat(master.path("context").path("properties").path("db_service_type").path("value").asText())
        .as("the master was saved with its database service from standard input").isEqualTo("mysql");
    assertThat(w.show("@example.com")).as("the site saved, then deleted, is gone").isEmpty();
    assertThat(w.show("@server_b")).as("the server saved from JSON lines exists").isPresent();
    assertThat(w.home.resolve("config/server_a")).as("the batch verified @server_a").isDirectory();
  }
}
