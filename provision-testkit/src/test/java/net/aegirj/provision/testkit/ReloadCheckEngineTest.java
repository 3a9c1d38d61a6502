package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicInteger;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.Step;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine and {@link ServiceType#checkReload}: a reload whose check fails is a failed task,
 * rolled back, reloaded again and checked again; the report says what the check saw and what the
 * rollback achieved. A verify that changes nothing neither reloads nor checks. In a batch, a
 * failed check of the shared reload falls back to each task alone, so only the task whose
 * configuration is not served fails.
 */
class ReloadCheckEngineTest {
  private static final String CHECK = "fakeweb check";
  private static final String RELOAD = "fakeweb reload";

  @TempDir Path home;

  private final InMemoryContextRepository repository = new InMemoryContextRepository();
  private final FakeHost web1 = new FakeHost("server_web1");
  private final FakeHost web2 = new FakeHost("server_web2");
  private FakeHost.Provider hosts;

  @BeforeEach
  void setUp() {
    home = home.toAbsolutePath().normalize();
    for (FakeHost h : List.of(web1, web2)) {
      h.mkdirs(home, FileMode.of(0755));
      h.clearRecorded();
    }
    hosts = FakeHost.provider(web1, web2);
    try (Provision p = provision()) {
      p.save(Server.named("server_web1").remoteHost("web1.example.com").httpServiceType("fakeweb"));
      p.save(Server.named("server_web2").remoteHost("web2.example.com").httpServiceType("fakeweb"));
    }
  }

  private Provision provision() {
    return Provision.builder().home(home).repository(repository).hosts(hosts)
        .registry(ServiceRegistry.of(List.of(new CheckedWebType()))).build();
  }

  /** Answers the check with failure for the first {@code failures} calls, then with success. */
  private static void checkFails(FakeHost host, int failures) {
    AtomicInteger calls = new AtomicInteger();
    host.onCommand(CHECK, c -> calls.incrementAndGet() <= failures
        ? host.result(c, 1, "port 80 serves marker old\n", "")
        : host.result(c, 0, "", ""));
  }

  @Test
  void aFailedCheckRollsBackReloadsAgainAndSaysTheRestoredConfigurationServes() {
    checkFails(web1, 1);
    SortedMap<String, String> before = web1.snapshot();
    TaskFailedException failed;
    try (Provision p = provision()) {
      failed = catchThrowableOfType(TaskFailedException.class, () -> p.server("server_web1").verify());
    }
    assertThat(failed).as("a reload whose check fails fails the task").isNotNull();
    TaskReport report = failed.report();
    assertThat(report.status()).as("reported as failed").isEqualTo(TaskReport.Status.FAILED);
    assertThat(report.reloads()).as("no reload counts as done").isEmpty();
    assertThat(report.failure().orElse("")).as("the check's finding and the rollback's outcome")
        .contains("reload failed", "@server_web1: fakeweb does not serve the new configuration: port 80 serves marker old",
            "rolled back", "http on @server_web1 reloaded with the restored files and passed its reload check")
        .doesNotContain("rollback incomplete");
    assertThat(web1.snapshot()).as("the files the task wrote are restored").isEqualTo(before);
    assertThat(web1.commandLines()).as("reload, check; after the rollback: reload, check again")
        .containsExactly(RELOAD, CHECK, RELOAD, CHECK);
  }

  @Test
  void aCheckThatAlsoFailsAfterTheRollbackIsAnIncompleteRollback() {
    checkFails(web1, 2);
    TaskFailedException failed;
    try (Provision p = provision()) {
      failed = catchThrowableOfType(TaskFailedException.class, () -> p.server("server_web1").verify());
    }
    assertThat(failed).as("the task fails").isNotNull();
    assertThat(failed.report().failure().orElse("")).as("the rollback did not bring a served configuration back")
        .contains("rollback incomplete", "after the rollback and a reload, @server_web1: fakeweb does not serve");
    assertThat(web1.commandLines()).as("two reloads, each checked").containsExactly(RELOAD, CHECK, RELOAD, CHECK);
  }

  @Test
  void aVerifyThatChangesNothingNeitherReloadsNorChecks() {
    try (Provision p = provision()) {
      TaskReport first = p.server("server_web1").verify();
      assertThat(first.reloads()).as("the first verify reloads").containsExactly("@server_web1: http");
      assertThat(web1.commandLines()).as("and checks once").containsExactly(RELOAD, CHECK);
      web1.clearRecorded();
      TaskReport second = p.server("server_web1").verify();
      assertThat(second.reloads()).as("the second verify reloads nothing").isEmpty();
      assertThat(web1.commandLines()).as("and runs no check").isEmpty();
    }
  }

  @Test
  void aFailedCheckInABatchFailsOnlyTheTaskWhoseConfigurationIsNotServed() {
    web2.onCommand(CHECK, 1, "port 80 answered by another process\n", "");
    SortedMap<String, String> before2 = web2.snapshot();
    List<TaskReport> reports;
    try (Provision p = provision()) {
      reports = p.verifyAll(List.of("server_web1", "server_web2"));
    }
    assertThat(reports).extracting(TaskReport::status).as("web1 succeeds alone, web2 fails: %s",
        reports.stream().map(TaskReport::summary).toList())
        .containsExactly(TaskReport.Status.SUCCEEDED, TaskReport.Status.FAILED);
    assertThat(reports.get(1).failure().orElse("")).as("web2's report names its check's finding")
        .contains("@server_web2: fakeweb does not serve the new configuration: port 80 answered by another process");
    assertThat(web2.snapshot()).as("web2's files are restored").isEqualTo(before2);
    assertThat(web1.content(Path.of(home + "/config/server_web1/fakeweb.conf")))
        .as("web1's configuration stays").isEqualTo("listen 80;\n");
    assertThat(web1.commandLines()).as("web1: the shared reload and check, the reload of the restored files, "
        + "then its own").containsExactly(RELOAD, CHECK, RELOAD, CHECK, RELOAD, CHECK);
    assertThat(web1.commandLines().get(web1.commandLines().size() - 1)).as("web1 ends checked").isEqualTo(CHECK);
  }

  /** A web server type whose verify writes a file and whose reload is checked with a command. */
  private static final class CheckedWebType implements ServiceType {
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
        if (ctx.host(server.name()).write(conf, "listen 80;\n".getBytes(StandardCharsets.UTF_8), FileMode.of(0644))) {
          ctx.reload(server.name(), "http");
        }
      }));
    }

    @Override
    public Optional<Command> reloadCommand(ResolvedContext server) {
      return Optional.of(Command.of("fakeweb", "reload"));
    }

    @Override
    public Optional<String> checkReload(ResolvedContext server, Host host) {
      CommandResult r = host.run(Command.of("fakeweb", "check"));
      return r.succeeded() ? Optional.empty()
          : Optional.of(server.name() + ": fakeweb does not serve the new configuration: " + r.stdout().strip());
    }
  }
}
