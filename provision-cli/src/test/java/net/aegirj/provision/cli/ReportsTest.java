package net.aegirj.provision.cli;

import static net.aegirj.provision.cli.TaskCommandTest.texts;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.api.TaskReport.StepReport;
import net.aegirj.provision.api.TaskReport.StepStatus;
import org.junit.jupiter.api.Test;

/** The rendering of reports and progress, on reports built by hand (every status, hostile text). */
class ReportsTest {
  private static final ContextName SITE = ContextName.of("example.com");

  private static TaskReport failed() {
    return new TaskReport(Task.VERIFY, SITE, TaskReport.Status.FAILED, List.of(
        new StepReport("http: write vhost", StepStatus.ROLLED_BACK, Duration.ofMillis(7),
            List.of("/etc/apache2/vhost.d/example.com"), List.of("apachectl configtest"), ""),
        new StepReport("db: create database", StepStatus.FAILED, Duration.ofMillis(3), List.of(),
            List.of("mysql -e ..."), "access denied\nfor user"),
        new StepReport("dns: zone", StepStatus.NOT_RUN, Duration.ZERO, List.of(), List.of(), "")),
        List.of(), List.of("disk\u202enearly full"), Duration.ofMillis(15),
        Optional.of("step 'db: create database' failed: access denied; rolled back 1 change(s)"));
  }

  @Test
  void textHasALinePerStepWithItsChangesCommandsAndMessage() {
    List<String> lines = Reports.text(failed()).lines().toList();
    assertThat(lines).as("the text report").containsExactly(
        "  rolled_back http: write vhost (7 ms)",
        "      /etc/apache2/vhost.d/example.com",
        "      $ apachectl configtest",
        "  failed      db: create database (3 ms)",
        "      $ mysql -e ...",
        "      (access denied\\nfor user)",
        "  not_run     dns: zone",
        "warning: disk\\u202enearly full",
        "verify @example.com: failed (3 steps, 0 changes, 0 reloads, 15 ms): step 'db: create database'"
            + " failed: access denied; rolled back 1 change(s)");
  }

  @Test
  void textListsReloadsAndMarksAPlan() {
    TaskReport plan = new TaskReport(Task.VERIFY, SITE, TaskReport.Status.PLANNED, List.of(
        new StepReport("http: write vhost", StepStatus.PLANNED, Duration.ofMillis(1),
            List.of("/etc/apache2/vhost.d/example.com"), List.of(), "")),
        List.of("@server_master: http"), List.of(), Duration.ofMillis(2), Optional.empty());
    assertThat(Reports.text(plan).lines().toList()).as("a plan's text").containsExactly(
        "  planned     http: write vhost",
        "      /etc/apache2/vhost.d/example.com",
        "would reload @server_master: http",
        "verify @example.com: planned (1 steps, 1 changes, 1 reloads, 2 ms)",
        "(plan only: nothing was changed)");
  }

  @Test
  void jsonHasEveryField() {
    JsonNode r = Reports.json(failed());
    assertThat(TaskCommandTest.fieldNames(r)).as("the report's fields").containsExactly("task", "context",
        "status", "steps", "reloads", "warnings", "results", "changed_paths", "duration_ms", "failure");
    assertThat(r.get("status").asText()).as("status").isEqualTo("failed");
    assertThat(texts(r.get("steps"), "status")).as("step statuses")
        .containsExactly("rolled_back", "failed", "not_run");
    assertThat(r.get("steps").get(1).get("message").asText()).as("the failure, unescaped in JSON")
        .isEqualTo("access denied\nfor user");
    assertThat(r.get("steps").get(0).get("message").isNull()).as("no message is null").isTrue();
    assertThat(texts(r.get("steps").get(0).get("commands"))).as("commands")
        .containsExactly("apachectl configtest");
    assertThat(r.get("changed_paths").size()).as("a rolled-back step's changes are not changed paths").isZero();
    assertThat(texts(r.get("warnings"))).as("warnings").containsExactly("disk\u202enearly full");
    assertThat(r.get("duration_ms").asLong()).as("duration_ms").isEqualTo(15);
    assertThat(r.get("failure").asText()).as("failure").startsWith("step 'db: create database' failed");
  }

  @Test
  void progressPrintsOnlyWhatWasAskedFor() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Progress quiet = new Progress(err, false);
    quiet.start();
    quiet.taskStarted(Task.VERIFY, SITE, 3);
    quiet.stepFinished(SITE, 1, failed().steps().get(0));
    quiet.taskFinished(failed());
    assertThat(bytes.toString(StandardCharsets.UTF_8)).as("no step lines, and no task lines outside a batch")
        .isEmpty();

    Progress idle = new Progress(err, true);
    idle.stepFinished(SITE, 1, failed().steps().get(0));
    assertThat(bytes.toString(StandardCharsets.UTF_8)).as("nothing before start()").isEmpty();

    Progress steps = new Progress(err, true);
    steps.start();
    steps.taskStarted(Task.VERIFY, SITE, 3);
    steps.stepFinished(SITE, 2, failed().steps().get(1));
    assertThat(bytes.toString(StandardCharsets.UTF_8)).as("a step line, sanitized")
        .isEqualTo("@example.com [step 2/3] failed: db: create database (3 ms): access denied\\nfor user"
            + System.lineSeparator());
  }

  @Test
  void batchProgressLinesAreNumberedInOrderAcrossThreads() throws InterruptedException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
    int total = 40;
    progress.expectTasks(total);
    TaskReport ok = new TaskReport(Task.VERIFY, SITE, TaskReport.Status.SUCCEEDED, List.of(), List.of(),
        List.of(), Duration.ZERO, Optional.empty());
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch go = new CountDownLatch(1);
    for (int i = 0; i < total; i++) {
      pool.execute(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        progress.taskFinished(ok);
      });
    }
    go.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).as("the threads finish").isTrue();
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).as("one line per task").hasSize(total);
    for (int i = 0; i < total; i++) {
      assertThat(lines.get(i)).as("line %d", i + 1)
          .isEqualTo("[" + (i + 1) + "/" + total + "] @example.com: verify succeeded (0 steps, 0 changes)");
    }
  }
}
