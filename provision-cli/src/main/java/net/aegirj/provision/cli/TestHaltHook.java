package net.aegirj.provision.cli;

import java.util.Locale;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.spi.TaskListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * <b>Test only.</b> {@code PROVISION_TEST_HALT_AT=<task>:<k>} in the environment makes the command
 * line end its JVM with {@link Runtime#halt(int) Runtime.halt(137)} (as {@code kill -9} would:
 * no rollback, no {@code finally}, no shutdown hook, exit status 137) at a step boundary of the
 * first {@code <task>} it runs: just before step {@code k} (from 1), or, with {@code k} one more
 * than the task has steps (or {@code end}), after its last step and before its reloads and its
 * end. The kill torture test ({@code TortureIT}) uses it to kill at every step boundary. Unset (as
 * always outside tests), it does nothing; a malformed value is ignored with a warning.
 */
final class TestHaltHook {
  /** The environment variable. */
  static final String ENV = "PROVISION_TEST_HALT_AT";
  /** The exit status of the halt: 128 + SIGKILL, as after {@code kill -9}. */
  static final int STATUS = 137;
  private static final Logger LOG = LoggerFactory.getLogger(TestHaltHook.class);

  private TestHaltHook() {}

  /**
   * Adds the hook to a builder when {@value #ENV} is set.
   *
   * @param b the builder of the command line's {@link Provision}
   */
  static void install(Provision.Builder b) {
    String value = System.getenv(ENV);
    if (value == null || value.isBlank()) {
      return;
    }
    int colon = value.indexOf(':');
    Task task = null;
    int at;
    try {
      String id = value.substring(0, Math.max(0, colon)).toLowerCase(Locale.ROOT);
      for (Task t : Task.values()) {
        if (t.id().equals(id)) {
          task = t;
        }
      }
      String k = value.substring(colon + 1);
      at = k.equals("end") ? Integer.MAX_VALUE : Integer.parseInt(k);
    } catch (RuntimeException e) {
      task = null;
      at = 0;
    }
    if (task == null || at < 1) {
      LOG.warn("{}={} is not <task>:<step> (e.g. install:3, install:end); ignored", ENV, value);
      return;
    }
    Task haltTask = task;
    int haltAt = at;
    b.failureInjector((t, context, index, name) -> {
      if (t == haltTask && index == haltAt) {
        Runtime.getRuntime().halt(STATUS);
      }
    });
    b.listener(new TaskListener() {
      private Task running;
      private int steps;

      @Override
      public synchronized void taskStarted(Task t, ContextName context, int planned) {
        running = t;
        steps = planned;
      }

      @Override
      public synchronized void stepFinished(ContextName context, int index, TaskReport.StepReport step) {
        if (running == haltTask && index == steps && (haltAt == steps + 1 || haltAt == Integer.MAX_VALUE)) {
          Runtime.getRuntime().halt(STATUS);
        }
      }
    });
  }
}
