package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.api.TaskReport.StepStatus;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.core.host.LocalHost;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.FailureInjector;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.Step;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example a user of the testkit would write: the whole engine, with a remote server whose
 * host is a {@link FakeHost} instead of an SSH connection, an in-memory repository, injected
 * failures and a recording listener.
 */
class EngineWithFakeHostTest {
  @TempDir Path home;

  private final InMemoryContextRepository repository = new InMemoryContextRepository();
  private final RecordingListener listener = new RecordingListener();
  private final FakeHost web1 = new FakeHost("server_web1");
  private FakeHost.Provider hosts;
  private Path config;
  private Path includes;

  @BeforeEach
  void setUp() {
    home = home.toAbsolutePath().normalize();
    config = home.resolve("config");
    includes = config.resolve("includes");
    // A real web server has the aegir user's home already.
    web1.mkdirs(home, FileMode.of(0755));
    web1.clearRecorded();
    hosts = FakeHost.provider(web1);
    try (Provision p = provision(Failures.none())) {
      p.save(Server.named("server_web1").remoteHost("web1.example.com"));
    }
  }

  private Provision provision(FailureInjector injector) {
    return Provision.builder().home(home).repository(repository).hosts(hosts)
        .listener(listener).failureInjector(injector).build();
  }

  private String onWeb1(Path p) {
    return "server_web1:" + p;
  }

  @Test
  void verifyBuildsTheRemoteServersTreeOnItsFake() {
    TaskReport r;
    try (Provision p = provision(Failures.none())) {
      r = p.server("server_web1").verify();
    }
    assertThat(r.succeeded()).as("verify succeeds: %s", r.summary()).isTrue();
    assertThat(web1.modes()).as("Aegir's layout under the master's aegir_root (the home), with its modes")
        .containsEntry(config.toString(), "0711")
        .containsEntry(config.resolve("server_web1").toString(), "0711")
        .containsEntry(includes.toString(), "0711")
        .containsEntry(home.resolve("clients").toString(), "0711");
    assertThat(web1.exists(home.resolve("backups"))).as("backups belong to the master only").isFalse();
    assertThat(web1.files()).as("no global.inc on a remote server: it is pushed, not created").isEmpty();
    assertThat(web1.syncs()).extracting(FakeHost.SyncCall::dir, FakeHost.SyncCall::excludes)
        .as("the master's includes were pushed to web1, once")
        .containsExactly(org.assertj.core.groups.Tuple.tuple(includes, Set.of()));
    assertThat(r.changedPaths()).as("the report names the fake's paths with its name")
        .contains(onWeb1(config.resolve("server_web1")), onWeb1(home.resolve("clients")));
    assertThat(hosts.hosts()).as("only web1's host was opened: the master's is not needed")
        .containsOnlyKeys("server_web1");
    assertThat(web1.closes()).as("the engine closed the host at the end of the task").isEqualTo(1);
    assertThat(web1.commands()).as("server verify runs no command").isEmpty();
    assertThat(Files.isDirectory(home.resolve("config/includes")))
        .as("the push made sure the includes exist on the local machine, which stays real").isTrue();
  }

  @Test
  void thePushCopiesTheLocalIncludesWhenTheFakeSyncsFromTheDisk() throws IOException {
    Files.createDirectories(includes);
    Files.writeString(includes.resolve("global.inc"), "<?php $conf['x'] = 1;\n");
    web1.syncFrom(new LocalHost("local"));
    TaskReport r;
    try (Provision p = provision(Failures.none())) {
      r = p.server("server_web1").verify();
    }
    assertThat(web1.content(includes.resolve("global.inc"))).as("global.inc arrived on web1")
        .isEqualTo("<?php $conf['x'] = 1;\n");
    assertThat(r.steps().get(1).status()).as("the push step changed web1").isEqualTo(StepStatus.CHANGED);
    assertThat(r.steps().get(1).changes()).as("and says so").contains(onWeb1(includes) + "/ (sync)");
  }

  @Test
  void aSecondVerifyChangesNothing() {
    try (Provision p = provision(Failures.none())) {
      p.server("server_web1").verify();
      SortedMap<String, String> after = web1.snapshot();
      int writes = web1.writes();
      TaskReport second = p.server("server_web1").verify();
      assertThat(second.changedPaths()).as("nothing to change the second time").isEmpty();
      assertThat(web1.writes()).as("no write reached the fake").isEqualTo(writes);
      assertThat(web1.snapshot()).as("the fake's files are as they were").isEqualTo(after);
      assertThat(web1.closes()).as("one close per task; the state survived it").isEqualTo(2);
    }
  }

  @Test
  void aFailureAtStepOneOrTwoLeavesTheFakeExactlyAsItWas() {
    for (int step : new int[] {1, 2}) {
      SortedMap<String, String> files = web1.files();
      SortedMap<String, String> modes = web1.modes();
      listener.clear();
      try (Provision p = provision(Failures.atStep(step))) {
        int n = step;
        assertThatThrownBy(() -> p.server("server_web1").verify())
            .as("an injected failure at step %d fails the task", n)
            .isInstanceOf(TaskFailedException.class)
            .hasMessageContaining("injected failure at step " + n + " (server: ")
            .hasMessageContaining("rolled back")
            .hasCauseInstanceOf(Failures.InjectedFailure.class);
      }
      assertThat(web1.files()).as("after a failure at step %d the fake's files are as before", step)
          .isEqualTo(files);
      assertThat(web1.modes()).as("and so are its directories and modes (step %d)", step).isEqualTo(modes);
      TaskReport r = listener.lastReport().orElseThrow();
      assertThat(r.status()).as("the listener saw the failed report").isEqualTo(TaskReport.Status.FAILED);
      assertThat(r.steps().get(step - 1).status()).as("step %d failed", step).isEqualTo(StepStatus.FAILED);
      if (step == 2) {
        assertThat(r.steps().get(0).status()).as("step 1 had changed web1 and was undone")
            .isEqualTo(StepStatus.ROLLED_BACK);
      }
    }
    assertThat(web1.writes()).as("step 1 wrote to the fake, and the rollback removed it again").isPositive();
  }

  @Test
  void aFailureAtAnyStepLeavesTheFakeAndTheDiskAsTheyWere() {
    int steps;
    try (Provision p = provision(Failures.none())) {
      steps = p.server("server_web1").plan(Task.VERIFY).steps().size();
    }
    assertThat(steps).as("2 core steps + 3 null services").isEqualTo(5);
    for (int step = 1; step <= steps; step++) {
      SortedMap<String, String> before = web1.snapshot();
      try (Provision p = provision(Failures.atStep(step))) {
        assertThatThrownBy(() -> p.server("server_web1").verify()).as("step %d fails", step)
            .isInstanceOf(TaskFailedException.class);
      }
      assertThat(web1.snapshot()).as("nothing remains on web1 after a failure at step %d", step)
          .isEqualTo(before);
      assertThat(Files.exists(config)).as("nor on the local disk (step %d)", step).isFalse();
    }
  }

  @Test
  void aFailureAfterARealPushLeavesTheFakeAsItWas() throws IOException {
    // The master was verified before: its includes exist locally, with an operator's global.inc.
    Files.createDirectories(includes);
    Files.writeString(includes.resolve("global.inc"), "<?php $conf['x'] = 1;\n");
    web1.syncFrom(new LocalHost("local"));
    SortedMap<String, String> before = web1.snapshot();
    try (Provision p = provision(Failures.atStep(3))) {
      assertThatThrownBy(() -> p.server("server_web1").verify()).as("step 3 fails after the push")
          .isInstanceOf(TaskFailedException.class);
    }
    assertThat(web1.snapshot()).as("the rollback leaves nothing of the failed verify on web1").isEqualTo(before);
  }

  @Test
  void aFailureNamedByItsStepIsInjectedThere() {
    try (Provision p = provision(Failures.atStepNamed("push"))) {
      TaskFailedException e = org.junit.jupiter.api.Assertions.assertThrows(TaskFailedException.class,
          () -> p.server("server_web1").verify());
      assertThat(e.getCause()).as("the injected failure names the step")
          .isInstanceOf(Failures.InjectedFailure.class)
          .hasMessage("injected failure at step 2 (server: push " + includes + " to @server_web1)");
      assertThat(((Failures.InjectedFailure) e.getCause()).step()).as("its position").isEqualTo(2);
    }
    assertThat(web1.directories()).as("only the home is left on web1").containsExactly(
        parents(home).toArray(new String[0]));
  }

  private static List<String> parents(Path p) {
    List<String> out = new java.util.ArrayList<>();
    for (Path q = p; q.getParent() != null; q = q.getParent()) {
      out.add(0, q.toString());
    }
    return out;
  }

  @Test
  void theListenerSawEveryStep() {
    try (Provision p = provision(Failures.none())) {
      p.server("server_web1").verify();
    }
    List<String> events = listener.events();
    assertThat(events).as("task start, 5 steps started and finished, task end").hasSize(12);
    assertThat(events.get(0)).as("the task starts with its step count").isEqualTo("taskStarted verify @server_web1 5");
    assertThat(events).as("the core steps in order")
        .contains("stepStarted @server_web1 1 server: create config directories on @server_web1",
            "stepFinished @server_web1 1 CHANGED server: create config directories on @server_web1",
            "stepStarted @server_web1 2 server: push " + includes + " to @server_web1");
    assertThat(listener.events("stepFinished")).as("the null services skip")
        .endsWith("stepFinished @server_web1 3 SKIPPED http: null service on @server_web1",
            "stepFinished @server_web1 4 SKIPPED db: null service on @server_web1",
            "stepFinished @server_web1 5 SKIPPED dns: null service on @server_web1");
    assertThat(events.get(11)).as("the task ends").isEqualTo("taskFinished verify @server_web1 SUCCEEDED");
    assertThat(listener.reports()).as("one report").hasSize(1);
  }

  @Test
  void planLeavesTheFakeUntouched() {
    SortedMap<String, String> before = web1.snapshot();
    TaskReport plan;
    try (Provision p = provision(Failures.atStep(1))) {
      plan = p.server("server_web1").plan(Task.VERIFY);
    }
    assertThat(plan.status()).as("a plan, even with an injector armed").isEqualTo(TaskReport.Status.PLANNED);
    assertThat(plan.changedPaths()).as("it lists what verify would change on web1")
        .contains(onWeb1(config.resolve("server_web1")), onWeb1(includes) + "/ (sync)");
    assertThat(web1.snapshot()).as("the fake's files are untouched").isEqualTo(before);
    assertThat(web1.writes()).as("nothing was written").isZero();
    assertThat(web1.syncs()).as("nothing was pushed").isEmpty();
    assertThat(web1.commands()).as("nothing was run").isEmpty();
    assertThat(Files.exists(config)).as("and nothing on the local disk").isFalse();
  }

  @Test
  void theMastersFakeIsCreatedOnDemand() {
    try (Provision p = provision(Failures.none())) {
      p.server("server_master").verify();
    }
    FakeHost master = hosts.host("server_master");
    assertThat(master.isLocal()).as("the master's fake stands in for this machine").isTrue();
    assertThat(master.modes()).as("the master has its backups, 0700")
        .containsEntry(home.resolve("backups").toString(), "0700");
    assertThat(master.files()).as("and an empty global.inc, 0644")
        .containsEntry(includes.resolve("global.inc").toString(), "");
    assertThat(master.modes()).as("0644").containsEntry(includes.resolve("global.inc").toString(), "0644");
    assertThat(Files.exists(home.resolve("backups"))).as("the real disk was not touched").isFalse();
    assertThat(web1.writes()).as("web1 was not involved").isZero();
  }

  @Test
  void verifyAllHandsEachServerItsFake() {
    try (Provision p = provision(Failures.none())) {
      List<TaskReport> reports = p.verifyAll(List.of("server_master", "server_web1"));
      assertThat(reports).extracting(TaskReport::status).as("both servers verified in parallel: %s",
          reports.stream().map(TaskReport::summary).toList()).containsOnly(TaskReport.Status.SUCCEEDED);
    }
    assertThat(hosts.hosts()).as("one fake per server").containsOnlyKeys("server_master", "server_web1");
    assertThat(hosts.host("server_master").modes()).as("the master's backups on its own fake")
        .containsEntry(home.resolve("backups").toString(), "0700");
    assertThat(web1.exists(home.resolve("backups"))).as("not on web1").isFalse();
    assertThat(web1.modes()).as("web1's own").containsEntry(config.resolve("server_web1").toString(), "0711");
  }

  @Test
  void verifyAllOfTwoRemoteServersSucceeds() throws Exception {
    try (Provision p = provision(Failures.none())) {
      p.save(Server.named("server_web2").remoteHost("web2.example.com"));
    }
    for (int round = 1; round <= 20; round++) {
      java.util.concurrent.CyclicBarrier bothAtThePush = new java.util.concurrent.CyclicBarrier(2);
      FailureInjector meet = (task, context, index, name) -> {
        if (name.contains("push")) {
          try {
            bothAtThePush.await(5, java.util.concurrent.TimeUnit.SECONDS);
          } catch (Exception e) {
            // the other task did not come: go on alone
          }
        }
      };
      List<TaskReport> reports;
      try (Provision p = provision(meet)) {
        reports = p.verifyAll(List.of("server_web1", "server_web2"));
      }
      assertThat(reports).extracting(TaskReport::status).as("round %d: both remote servers verified: %s", round,
          reports.stream().map(TaskReport::summary).toList()).containsOnly(TaskReport.Status.SUCCEEDED);
      new LocalHost("local").remove(config);
    }
  }

  /** A web server type whose verify writes a vhost, tests it with a command and asks for a reload. */
  private static final class FakeWebType implements ServiceType {
    @Override
    public String service() {
      return "http";
    }

    @Override
    public String id() {
      return "fakeweb";
    }

    @Override
    public List<Step> steps(Task task, ResolvedContext target, ResolvedContext server) {
      Path conf = Path.of((String) server.get("config_path").orElseThrow()).resolve("fakeweb.conf");
      return List.of(Step.of("http: fakeweb config", ctx -> {
        ctx.host(server.name()).write(conf, "listen 80;\n".getBytes(StandardCharsets.UTF_8), FileMode.of(0644));
        ctx.host(server.name()).run(Command.of("fakeweb", "-t", conf.toString())).orThrow();
        ctx.reload(server.name(), "http");
      }));
    }

    @Override
    public Optional<Command> reloadCommand(ResolvedContext server) {
      return Optional.of(Command.of("fakeweb", "reload"));
    }
  }

  private Provision withFakeWeb() {
    return Provision.builder().home(home).repository(repository).hosts(hosts).listener(listener)
        .registry(ServiceRegistry.of(List.of(new FakeWebType()))).build();
  }

  @Test
  void commandsOfAServiceTypeRunOnTheFakeAndFollowItsStubs() {
    Path conf = config.resolve("server_web1/fakeweb.conf");
    try (Provision p = withFakeWeb()) {
      p.save(Server.named("server_web1").httpServiceType("fakeweb"));
      TaskReport ok = p.server("server_web1").verify();
      assertThat(web1.commandLines()).as("the config test, then one reload at the end")
          .containsExactly("fakeweb -t " + conf, "fakeweb reload");
      assertThat(ok.reloads()).as("reported").containsExactly("@server_web1: http");
      assertThat(web1.content(conf)).as("the vhost is on web1").isEqualTo("listen 80;\n");

      web1.reset();
      web1.mkdirs(home, FileMode.of(0755));
      web1.onCommand("fakeweb -t", 1, "", "fakeweb: unknown directive 'listen'");
      SortedMap<String, String> before = web1.snapshot();
      assertThatThrownBy(() -> p.server("server_web1").verify()).as("a failing config test fails the task")
          .isInstanceOf(TaskFailedException.class).hasMessageContaining("unknown directive");
      assertThat(web1.snapshot()).as("and the vhost written before it is rolled back").isEqualTo(before);
      assertThat(web1.commandLines()).as("no reload after a failed test")
          .containsExactly("fakeweb -t " + conf);
    }
  }

  @Test
  void aFailedReloadRollsBackAndReloadsTheRestoredConfig() {
    Path conf = config.resolve("server_web1/fakeweb.conf");
    try (Provision p = withFakeWeb()) {
      p.save(Server.named("server_web1").httpServiceType("fakeweb"));
      web1.onCommand("fakeweb reload", 1, "", "fakeweb: cannot bind port 80");
      SortedMap<String, String> before = web1.snapshot();
      assertThatThrownBy(() -> p.server("server_web1").verify()).as("a failed reload fails the task")
          .isInstanceOf(TaskFailedException.class).hasMessageContaining("reload failed")
          .hasMessageContaining("cannot bind port 80");
      assertThat(web1.snapshot()).as("what the task wrote is rolled back").isEqualTo(before);
      assertThat(web1.commandLines()).as("the service is reloaded again to see the restored files")
          .containsExactly("fakeweb -t " + conf, "fakeweb reload", "fakeweb reload");
      assertThat(listener.lastReport().orElseThrow().steps()).extracting(TaskReport.StepReport::status)
          .as("every step that changed something (the push created the local includes) is rolled back")
          .containsExactly(StepStatus.ROLLED_BACK, StepStatus.ROLLED_BACK, StepStatus.ROLLED_BACK,
              StepStatus.SKIPPED, StepStatus.SKIPPED);
      assertThat(Files.exists(config)).as("the local includes are gone again").isFalse();
    }
  }
}
