package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.api.TaskReport.StepStatus;
import net.aegirj.provision.api.UnknownServiceTypeException;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.TaskListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerVerifyTest {
  @TempDir Path home;

  private Provision provision() {
    return Provision.builder().home(home).build();
  }

  /** Every path under the home (except the repository and locks) with its mode and content. */
  private Map<String, String> tree() throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(home)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = home.relativize(p).toString();
        if (rel.startsWith("contexts") || rel.startsWith("locks")) {
          continue;
        }
        int mode = ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
        String content = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.readString(p) : "";
        out.put(rel, Integer.toOctalString(mode) + " " + content);
      }
    }
    return out;
  }

  private String mode(String rel) throws IOException {
    return Integer.toOctalString(((Integer) Files.getAttribute(home.resolve(rel), "unix:mode")) & 07777);
  }

  @Test
  void masterVerifyCreatesAegirsTreeWithItsModes() throws IOException {
    try (Provision p = provision()) {
      TaskReport r = p.server("server_master").verify();
      assertThat(r.succeeded()).as("verify succeeds: %s", r.summary()).isTrue();
      assertThat(mode("config")).as("config is 0711").isEqualTo("711");
      assertThat(mode("config/server_master")).as("config_path is 0711").isEqualTo("711");
      assertThat(mode("config/includes")).as("include_path is 0711").isEqualTo("711");
      assertThat(mode("clients")).as("clients_path is 0711").isEqualTo("711");
      assertThat(mode("backups")).as("backup_path is 0700").isEqualTo("700");
      assertThat(home.resolve("config/includes/global.inc")).as("an empty global.inc").isEmptyFile();
      assertThat(r.steps()).extracting(TaskReport.StepReport::status)
          .as("core step changed things; the three null services skipped")
          .containsExactly(StepStatus.CHANGED, StepStatus.SKIPPED, StepStatus.SKIPPED, StepStatus.SKIPPED);
      assertThat(r.changedPaths()).as("the report lists what changed")
          .contains(home.resolve("config/server_master").toString(), home.resolve("backups").toString());
    }
  }

  @Test
  void verifyTwiceChangesNothingTheSecondTime() throws IOException {
    try (Provision p = provision()) {
      p.save(Server.named("server_master").httpServiceType("thirdparty"));
      TaskReport first = p.server("server_master").verify();
      assertThat(first.reloads()).as("the changed http service is reloaded once")
          .containsExactly("@server_master: http");
      Map<String, String> before = tree();
      TaskReport second = p.server("server_master").verify();
      assertThat(second.changedPaths()).as("a second verify writes nothing").isEmpty();
      assertThat(second.reloads()).as("and reloads nothing").isEmpty();
      assertThat(tree()).as("the tree is byte for byte the same").isEqualTo(before);
    }
  }

  @Test
  void operatorEditsToGlobalIncSurviveVerify() throws IOException {
    try (Provision p = provision()) {
      p.server("server_master").verify();
      Path global = home.resolve("config/includes/global.inc");
      Files.writeString(global, "<?php $conf['x'] = 1;\n");
      p.server("server_master").verify();
      assertThat(Files.readString(global)).as("global.inc belongs to the operator")
          .isEqualTo("<?php $conf['x'] = 1;\n");
    }
  }

  @Test
  void planListsTheChangesAndChangesNothing() throws IOException {
    try (Provision p = provision()) {
      p.save(Server.named("server_master").httpServiceType("thirdparty"));
      Map<String, String> before = tree();
      TaskReport plan = p.server("server_master").plan(Task.VERIFY);
      assertThat(plan.status()).as("a plan").isEqualTo(TaskReport.Status.PLANNED);
      assertThat(plan.changedPaths()).as("the plan names the files verify would write")
          .contains(home.resolve("config/server_master/thirdparty/server.conf").toString(),
              home.resolve("backups").toString());
      assertThat(tree()).as("planning changes nothing").isEqualTo(before);
      TaskReport real = p.server("server_master").verify();
      assertThat(real.changedPaths()).as("verify changes exactly what the plan listed")
          .containsExactlyInAnyOrderElementsOf(plan.changedPaths());
    }
  }

  @Test
  void aFailureAtEveryStepLeavesTheTreeAsItWas() throws IOException {
    int steps;
    try (Provision p = provision()) {
      p.save(Server.named("server_master").httpServiceType("thirdparty"));
      steps = p.server("server_master").plan(Task.VERIFY).steps().size();
    }
    assertThat(steps).as("core + 2 thirdparty + 2 null services").isEqualTo(5);
    for (int failAt = 1; failAt <= steps; failAt++) {
      int target = failAt;
      Map<String, String> before = tree();
      try (Provision p = Provision.builder().home(home).failureInjector((task, ctx, index, name) -> {
        if (index == target) {
          throw new IllegalStateException("injected failure at step " + index);
        }
      }).build()) {
        assertThatThrownBy(() -> p.server("server_master").verify())
            .as("step %d fails the task", target)
            .isInstanceOf(TaskFailedException.class)
            .hasMessageContaining("injected failure at step " + target)
            .hasMessageContaining("rolled back");
      }
      assertThat(tree()).as("after a failure at step %d nothing remains", target).isEqualTo(before);
    }
  }

  @Test
  void aFailedReportSaysWhatWasRolledBack() {
    try (Provision p = Provision.builder().home(home).failureInjector((task, ctx, index, name) -> {
      if (name.contains("thirdparty config")) {
        throw new IllegalStateException("disk full");
      }
    }).build()) {
      p.save(Server.named("server_master").httpServiceType("thirdparty"));
      TaskFailedException e = org.junit.jupiter.api.Assertions.assertThrows(TaskFailedException.class,
          () -> p.server("server_master").verify());
      TaskReport r = e.report();
      assertThat(r.status()).as("failed").isEqualTo(TaskReport.Status.FAILED);
      assertThat(r.steps()).extracting(TaskReport.StepReport::status).as("statuses per step")
          .containsExactly(StepStatus.ROLLED_BACK, StepStatus.ROLLED_BACK, StepStatus.FAILED,
              StepStatus.NOT_RUN, StepStatus.NOT_RUN);
      assertThat(r.failure()).as("names the step and the cause")
          .hasValueSatisfying(f -> assertThat(f).contains("http: thirdparty config").contains("disk full"));
    }
  }

  @Test
  void aThirdPartyTypeOnTheClassPathIsPickedUpWithItsProperties() throws IOException {
    try (Provision p = provision()) {
      assertThat(p.registry().ids("http")).as("ServiceLoader found the test jar's type")
          .contains("null", "thirdparty");
      assertThatThrownBy(() -> p.save("server_master", PropertyChanges.builder().set("http_port", "8080").build()))
          .as("http_port exists only once an http type that declares it is selected")
          .isInstanceOf(InvalidContextException.class).hasMessageContaining("http_port")
          .hasMessageContaining("unknown property");
      p.save("server_master", PropertyChanges.builder().set("http_service_type", "thirdparty")
          .set("http_port", "8080").build());
      assertThat(p.resolve("server_master").get("http_port")).as("validated and typed by its declaration")
          .contains(8080);
      assertThatThrownBy(() -> p.save("server_master", PropertyChanges.builder().set("http_port", "http").build()))
          .as("the declaring type validates").isInstanceOf(InvalidContextException.class)
          .hasMessageContaining("http_port").hasMessageContaining("not an integer");
      p.server("server_master").verify();
      assertThat(Files.readString(home.resolve("config/server_master/thirdparty/server.conf")))
          .as("the third-party step ran with the saved property").isEqualTo("listen 8080;\n");
      p.save("server_master", PropertyChanges.builder().set("http_service_type", "NONE").build());
      assertThat(p.server("server_master").context().extras())
          .as("properties of a type that is no longer selected are dropped, as in Aegir").isEmpty();
    }
  }

  @Test
  void unknownAndDuplicateServiceTypesAreClearErrors() {
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.save(Server.named("server_x").httpServiceType("apache9")))
          .as("an unknown id lists the ids available for that service")
          .isInstanceOf(UnknownServiceTypeException.class)
          .hasMessageContaining("@server_x").hasMessageContaining("http_service_type")
          .hasMessageContaining("apache9").hasMessageContaining("null, thirdparty");
    }
    ServiceType clash = new ServiceType() {
      @Override
      public String service() {
        return "http";
      }

      @Override
      public String id() {
        return "thirdparty";
      }
    };
    assertThatThrownBy(() -> ServiceRegistry.of(List.of(new ThirdPartyHttpType(), clash)))
        .as("two providers with one id name both classes")
        .isInstanceOf(ProvisionException.class)
        .hasMessageContaining(ThirdPartyHttpType.class.getName())
        .hasMessageContaining(clash.getClass().getName());
  }

  @Test
  void listenersSeeEveryStepInOrder() {
    List<String> events = new ArrayList<>();
    TaskListener l = new TaskListener() {
      @Override
      public void taskStarted(Task task, ContextName context, int steps) {
        events.add("start " + task.id() + " " + context + " " + steps);
      }

      @Override
      public void stepStarted(ContextName context, int index, String name) {
        events.add("step " + index);
      }

      @Override
      public void stepFinished(ContextName context, int index, TaskReport.StepReport step) {
        events.add("done " + index + " " + step.status());
      }

      @Override
      public void taskFinished(TaskReport report) {
        events.add("end " + report.status());
      }
    };
    try (Provision p = Provision.builder().home(home).listener(l).build()) {
      p.server("server_master").verify();
    }
    assertThat(events).as("events in order").containsExactly("start verify @server_master 4",
        "step 1", "done 1 CHANGED", "step 2", "done 2 SKIPPED", "step 3", "done 3 SKIPPED",
        "step 4", "done 4 SKIPPED", "end SUCCEEDED");
  }

  @Test
  void verifyAllRunsABatch() {
    try (Provision p = provision()) {
      p.save(Server.named("server_a").remoteHost("localhost"));
      p.save(Server.named("server_b").remoteHost("127.0.0.1"));
      List<TaskReport> reports = p.verifyAll(List.of("server_master", "server_a", "server_b"));
      assertThat(reports).extracting(TaskReport::status).as("all three verified")
          .containsOnly(TaskReport.Status.SUCCEEDED);
      assertThat(home.resolve("config/server_a")).as("each server's config_path").isDirectory();
      assertThat(home.resolve("config/server_b")).as("each server's config_path").isDirectory();
    }
  }

  @Test
  void parallelVerifiesOfFreshServersNeverTakeSharedDirectoriesFromEachOther() throws IOException {
    for (int round = 0; round < 40; round++) {
      Path h = Files.createTempDirectory(home, "round");
      try (Provision p = Provision.builder().home(h).parallelism(4).build()) {
        for (String s : List.of("server_a", "server_b", "server_c")) {
          p.save(Server.named(s).remoteHost("localhost"));
        }
        List<TaskReport> reports = p.verifyAll(List.of("server_master", "server_a", "server_b", "server_c"));
        assertThat(reports).extracting(TaskReport::status).as("round %d: every verify succeeds: %s", round,
            reports.stream().map(TaskReport::summary).toList())
            .containsOnly(TaskReport.Status.SUCCEEDED);
        for (String s : List.of("server_master", "server_a", "server_b", "server_c")) {
          assertThat(h.resolve("config").resolve(s)).as("round %d: %s's config_path exists", round, s).isDirectory();
        }
      }
    }
  }

  @Test
  void aBatchReportsEveryContextEvenWhenOneCannotRun() {
    try (Provision p = provision()) {
      List<TaskReport> reports = p.verifyAll(List.of("server_master", "server_missing"));
      assertThat(reports).extracting(TaskReport::status).as("the missing one fails, the other still succeeds")
          .containsExactly(TaskReport.Status.SUCCEEDED, TaskReport.Status.FAILED);
      assertThat(reports.get(1).failure()).as("and says why")
          .hasValueSatisfying(f -> assertThat(f).contains("@server_missing").contains("no such context"));
    }
  }

  @Test
  void tasksThatDoNotApplyAreRefused() {
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.server("server_master").run(Task.INSTALL))
          .as("install is a site task").isInstanceOf(InvalidContextException.class)
          .hasMessageContaining("install").hasMessageContaining("server");
    }
  }
}
