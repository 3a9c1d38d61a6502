package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskFailedException;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.ServiceRegistry;
import net.aegirj.provision.spi.FailureInjector;
import net.aegirj.provision.spi.Intent;
import net.aegirj.provision.spi.LeftIntent;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.Step;
import net.aegirj.provision.spi.StepContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The intent journal through the whole engine, with a db service type whose server is a set of
 * names in memory: the intent is on disk (synced, private, without the password) before the step
 * creates anything; the task clears it when it succeeds or rolls back completely; what a killed
 * task left is settled by the next task on the context (any task), the service type keeping what
 * the saved context owns and removing the rest; and a verify of the db server settles what was
 * left for contexts that no longer exist.
 *
 * <p>A kill is modelled by what it leaves on disk: a copy of the task's record, made while the
 * task runs, has the same bytes as the record of a process killed at that point and no process
 * holds its lock (closing the copy's source also drops this process's lock on the original, which
 * then looks killed as well; the task clears it when it ends).
 */
class IntentJournalTest {
  @TempDir Path home;

  private final InMemoryContextRepository repository = new InMemoryContextRepository();
  private final FakeDb db = new FakeDb();

  /** How the fake's install step behaves. */
  enum Mode { NORMAL, KILLED_AFTER_CREATE, KILLED_AFTER_SAVE, ROLLBACK_FAILS }

  /** A db service type whose server is {@link #databases}. */
  final class FakeDb implements ServiceType {
    final Set<String> databases = ConcurrentHashMap.newKeySet();
    volatile Mode mode = Mode.NORMAL;
    final List<String> seenBeforeCreate = new ArrayList<>();
    String lastPassword;
    /** Records the database and its user with one {@code intents} call. */
    boolean withUser;

    @Override
    public String service() {
      return "db";
    }

    @Override
    public String id() {
      return "fakedb";
    }

    @Override
    public List<Step> steps(Task task, ResolvedContext target, ResolvedContext server) {
      if (target.context().type() != ContextType.SITE) {
        return List.of();
      }
      return switch (task) {
        case INSTALL -> List.of(Step.of("db: create", ctx -> create(ctx, target, server)),
            Step.of("db: after", ctx -> {}));
        case VERIFY -> List.of(Step.of("db: check", ctx -> {}));
        default -> List.of();
      };
    }

    private void create(StepContext ctx, ResolvedContext site, ResolvedContext server) throws IOException {
      String base = String.valueOf(site.get("uri").orElseThrow()).replace(".", "");
      String name = base;
      for (int i = 0; databases.contains(name); i++) {
        name = base + "_" + i;
      }
      String chosen = name;
      if (withUser) {
        ctx.intents(List.of(Intent.of("db", server.name(), "database", chosen),
            Intent.of("db", server.name(), "user", "u_" + chosen)));
      } else {
        ctx.intent(Intent.of("db", server.name(), "database", chosen));
      }
      seenBeforeCreate.add(records().stream().map(IntentJournalTest::read).reduce("", String::concat));
      if (ctx.planOnly()) {
        return;
      }
      databases.add(chosen);
      if (mode == Mode.KILLED_AFTER_CREATE) {
        leaveAsKilled();
        throw new IllegalStateException("killed (modelled)"); // no undo: a killed process undoes nothing
      }
      ctx.onRollback("drop " + chosen, () -> {
        if (mode == Mode.ROLLBACK_FAILS) {
          throw new IllegalStateException("the fake db server is gone");
        }
        databases.remove(chosen);
      });
      lastPassword = "Pw" + Long.toHexString(System.nanoTime()) + "Secret";
      ctx.save(site.name(), PropertyChanges.builder().set("db_name", chosen).set("db_passwd", lastPassword).build());
      if (mode == Mode.KILLED_AFTER_SAVE) {
        leaveAsKilled();
        throw new IllegalStateException("killed (modelled)");
      }
    }

    @Override
    public boolean settle(LeftIntent left, StepContext ctx) {
      String name = left.intent().name();
      boolean owned = left.saved().flatMap(s -> s.get("db_name")).map(String::valueOf).filter(name::equals)
          .isPresent();
      if (owned || left.claimedByAnother("db_name")) {
        return true;
      }
      if (databases.remove(name)) {
        ctx.warn("dropped " + name + " left by " + left.context());
      }
      return true;
    }
  }

  private Path intents() {
    return home.resolve("state/intents");
  }

  private List<Path> records() {
    if (!Files.isDirectory(intents())) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(intents())) {
      return s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Copies the running task's record to a second name of the same context: what a kill leaves. */
  private void leaveAsKilled() throws IOException {
    Path record = records().get(0);
    String name = record.getFileName().toString();
    Path copy = record.resolveSibling(name.substring(0, name.indexOf('~') + 1) + "00000000killed00");
    Files.copy(record, copy);
    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-------"));
  }

  private Provision provision() {
    return provision(FailureInjector.NONE);
  }

  private Provision provision(FailureInjector injector) {
    return Provision.builder().home(home).repository(repository).registry(ServiceRegistry.of(List.of(db)))
        .hosts(FakeHost.provider()).failureInjector(injector).build();
  }

  @BeforeEach
  void setUp() {
    home = home.toAbsolutePath().normalize();
    try (Provision p = provision()) {
      p.save("server_db", PropertyChanges.builder().set("context_type", "server").set("db_service_type", "fakedb")
          .build());
      p.save(Platform.named("platform_a").root(home.resolve("platforms/a").toString()));
      for (String s : List.of("a.example.com", "b.example.com")) {
        p.save(s, PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_a")
            .set("db_server", "@server_db").build());
      }
    }
  }

  @Test
  void theIntentIsSyncedBeforeTheCreateAndClearedWhenTheTaskSucceeds() throws IOException {
    TaskReport r;
    try (Provision p = provision()) {
      r = p.site("a.example.com").run(Task.INSTALL);
    }
    assertThat(r.succeeded()).as("install succeeds: %s", r.summary()).isTrue();
    assertThat(db.seenBeforeCreate).as("before the create, the record names the context, the task, the server and"
        + " what will be created").singleElement().asString()
        .contains("\"context\":\"@a.example.com\"", "\"task\":\"install\"", "\"server\":\"@server_db\"",
            "\"kind\":\"database\"", "\"name\":\"aexamplecom\"", "\"type\":\"fakedb\"");
    assertThat(db.seenBeforeCreate.get(0)).as("and no secret").doesNotContain(db.lastPassword);
    assertThat(records()).as("the successful task cleared its record").isEmpty();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(intents())))
        .as("the intents directory is private").isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("state"))))
        .as("the state directory is private").isEqualTo("rwx------");
    assertThat(db.databases).as("the database exists").containsExactly("aexamplecom");
  }

  @Test
  void intentsRecordedTogetherAreAllOnDiskBeforeTheCreateAndAllSettledAfterAKill() {
    db.withUser = true;
    db.mode = Mode.KILLED_AFTER_CREATE;
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.INSTALL)).isInstanceOf(TaskFailedException.class);
    }
    assertThat(db.seenBeforeCreate).as("before the create, one record holds the header and both intents")
        .singleElement().asString()
        .contains("\"kind\":\"database\",\"name\":\"aexamplecom\"", "\"kind\":\"user\",\"name\":\"u_aexamplecom\"");
    assertThat(db.seenBeforeCreate.get(0).lines().count()).as("the running record: a header and two intent lines")
        .isEqualTo(3);
    db.mode = Mode.NORMAL;
    db.withUser = false;
    try (Provision p = provision()) {
      p.site("a.example.com").run(Task.VERIFY);
    }
    assertThat(db.databases).as("the next task dropped the database the kill left").isEmpty();
    assertThat(records()).as("and settled both intents of the record").isEmpty();
  }

  @Test
  void theRecordIsPrivate() throws IOException {
    db.mode = Mode.KILLED_AFTER_CREATE;
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.INSTALL)).isInstanceOf(TaskFailedException.class);
    }
    assertThat(records()).as("the killed task's record").hasSize(1);
    // the copy was given 0600 by the test; the engine's own record is checked while it exists
    db.mode = Mode.NORMAL;
    List<String> modes = new ArrayList<>();
    FailureInjector look = (task, context, index, name) -> {
      if (index == 2) {
        for (Path f : records()) {
          try {
            modes.add(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }
      }
    };
    try (Provision p = provision(look)) {
      p.site("b.example.com").run(Task.INSTALL);
    }
    assertThat(modes).as("the running task's record is 0600").containsExactly("rw-------", "rw-------");
  }

  @Test
  void aTaskThatRollsBackClearsItsRecordAndDropsWhatItMade() {
    try (Provision p = provision(Failures.atStep(2))) {
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.INSTALL)).as("the injected failure")
          .isInstanceOf(TaskFailedException.class);
    }
    assertThat(db.databases).as("rolled back").isEmpty();
    assertThat(records()).as("a complete rollback clears the record").isEmpty();
  }

  @Test
  void whatAKilledInstallMadeIsRemovedByTheNextTaskAndTheSiteGetsItsOwnName() {
    db.mode = Mode.KILLED_AFTER_CREATE;
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.INSTALL)).isInstanceOf(TaskFailedException.class);
    }
    assertThat(db.databases).as("the orphan a kill leaves").containsExactly("aexamplecom");
    assertThat(records()).as("and the record no process holds").hasSize(1);
    db.mode = Mode.NORMAL;
    TaskReport verify;
    try (Provision p = provision()) {
      verify = p.site("a.example.com").run(Task.VERIFY);
    }
    assertThat(db.databases).as("the next task (a verify) dropped the database the site does not record").isEmpty();
    assertThat(verify.warnings()).as("and said so").anySatisfy(w -> assertThat(w).contains("dropped aexamplecom"));
    assertThat(records()).as("the settled record is gone").isEmpty();
    try (Provision p = provision()) {
      p.site("a.example.com").run(Task.INSTALL);
      assertThat(p.site("a.example.com").context().dbName()).as("the site gets its normal name, not _0")
          .contains("aexamplecom");
    }
    assertThat(db.databases).as("one database").containsExactly("aexamplecom");
  }

  @Test
  void anInstallKilledBeforeItsNextStepIsSettledByInstallItself() {
    db.mode = Mode.KILLED_AFTER_CREATE;
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.INSTALL)).isInstanceOf(TaskFailedException.class);
    }
    db.mode = Mode.NORMAL;
    try (Provision p = provision()) {
      TaskReport r = p.site("a.example.com").run(Task.INSTALL);
      assertThat(r.succeeded()).as("install again: %s", r.summary()).isTrue();
      assertThat(p.site("a.example.com").context().dbName()).as("the normal name").contains("aexamplecom");
    }
    assertThat(db.databases).as("no second database").containsExactly("aexamplecom");
    assertThat(records()).as("nothing left").isEmpty();
  }

  @Test
  void whatTheSavedContextOwnsIsKept() {
    db.mode = Mode.KILLED_AFTER_SAVE;
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.INSTALL)).isInstanceOf(TaskFailedException.class);
      // the modelled kill let the engine roll back the saved credentials; a real kill would not
      p.save("a.example.com", PropertyChanges.builder().set("db_name", "aexamplecom").build());
    }
    db.databases.add("aexamplecom"); // the engine's rollback dropped it; a kill would have left it
    db.mode = Mode.NORMAL;
    try (Provision p = provision()) {
      p.site("a.example.com").run(Task.VERIFY);
    }
    assertThat(db.databases).as("the database the site records is kept").containsExactly("aexamplecom");
    assertThat(records()).as("and the record is settled").isEmpty();
  }

  @Test
  void aNameAnotherContextRecordsIsKept() {
    db.mode = Mode.KILLED_AFTER_CREATE;
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.INSTALL)).isInstanceOf(TaskFailedException.class);
      p.save("b.example.com", PropertyChanges.builder().set("db_name", "aexamplecom").build());
    }
    db.mode = Mode.NORMAL;
    try (Provision p = provision()) {
      p.site("a.example.com").run(Task.VERIFY);
    }
    assertThat(db.databases).as("@b.example.com records the name: kept").containsExactly("aexamplecom");
  }

  @Test
  void anIncompleteRollbackKeepsTheRecordForTheNextTask() {
    db.mode = Mode.ROLLBACK_FAILS;
    try (Provision p = provision(Failures.atStep(2))) {
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.INSTALL)).isInstanceOf(TaskFailedException.class)
          .hasMessageContaining("rollback incomplete");
    }
    assertThat(db.databases).as("the rollback could not drop it").containsExactly("aexamplecom");
    assertThat(records()).as("so the record stays").hasSize(1);
    db.mode = Mode.NORMAL;
    try (Provision p = provision()) {
      p.site("a.example.com").run(Task.VERIFY);
    }
    assertThat(db.databases).as("the next task dropped it").isEmpty();
    assertThat(records()).as("and cleared the record").isEmpty();
  }

  @Test
  void aVerifyOfTheDbServerSettlesWhatWasLeftForAContextThatIsGone() {
    db.mode = Mode.KILLED_AFTER_CREATE;
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.INSTALL)).isInstanceOf(TaskFailedException.class);
      p.delete("a.example.com");
    }
    db.mode = Mode.NORMAL;
    TaskReport other;
    try (Provision p = provision()) {
      other = p.site("b.example.com").run(Task.VERIFY);
    }
    assertThat(db.databases).as("another site's task leaves it alone").containsExactly("aexamplecom");
    assertThat(other.warnings()).as("silently").isEmpty();
    TaskReport r;
    try (Provision p = provision()) {
      r = p.server("server_db").verify();
    }
    assertThat(r.warnings()).as("server verify reports the record of a context that no longer exists")
        .anySatisfy(w -> assertThat(w).contains("@a.example.com", "no longer exists", "database aexamplecom"));
    assertThat(db.databases).as("and drops what it left").isEmpty();
    assertThat(records()).as("the record is gone").isEmpty();
  }

  @Test
  void aPlanRecordsNothing() {
    try (Provision p = provision()) {
      p.site("a.example.com").plan(Task.INSTALL);
    }
    assertThat(db.seenBeforeCreate).as("the step ran as a plan, and its intent wrote no record").containsExactly("");
    assertThat(records()).as("nor is one left").isEmpty();
  }

  @Test
  void recordsOfOtherContextsAreLeftToTheirOwnTasks() {
    db.mode = Mode.KILLED_AFTER_CREATE;
    try (Provision p = provision()) {
      assertThatThrownBy(() -> p.site("a.example.com").run(Task.INSTALL)).isInstanceOf(TaskFailedException.class);
    }
    db.mode = Mode.NORMAL;
    try (Provision p = provision()) {
      p.site("b.example.com").run(Task.INSTALL);
    }
    assertThat(db.databases).as("b's install does not settle a's record").containsExactlyInAnyOrder(
        "aexamplecom", "bexamplecom");
    assertThat(records()).as("a's record waits for a's next task").hasSize(1);
  }
}
