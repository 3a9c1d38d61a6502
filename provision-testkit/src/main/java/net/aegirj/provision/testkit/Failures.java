package net.aegirj.provision.testkit;

import java.util.Objects;
import net.aegirj.provision.spi.FailureInjector;

/**
 * {@link FailureInjector}s for tests that prove a task's rollback leaves nothing behind:
 *
 * <pre>{@code
 * Provision p = Provision.builder().home(home).failureInjector(Failures.atStep(2)).build();
 * assertThatThrownBy(() -> p.server("server_web1").verify())
 *     .isInstanceOf(TaskFailedException.class)
 *     .hasRootCauseInstanceOf(Failures.InjectedFailure.class);
 * }</pre>
 *
 * <p>The injectors fire on every task that reaches the chosen step; the engine calls them only
 * when a task really runs, never in a plan.
 */
public final class Failures {
  private Failures() {}

  /** @return an injector that never fails a step */
  public static FailureInjector none() {
    return FailureInjector.NONE;
  }

  /**
   * @param n a step's position, from 1
   * @return an injector that fails the step at that position
   */
  public static FailureInjector atStep(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("steps are numbered from 1, not " + n);
    }
    return (task, context, index, name) -> {
      if (index == n) {
        throw new InjectedFailure(index, name);
      }
    };
  }

  /**
   * @param substring part of a step's name, e.g. {@code push}
   * @return an injector that fails every step whose name contains it
   */
  public static FailureInjector atStepNamed(String substring) {
    Objects.requireNonNull(substring, "substring");
    return (task, context, index, name) -> {
      if (name.contains(substring)) {
        throw new InjectedFailure(index, name);
      }
    };
  }

  /**
   * The failure an injector throws, with the message {@code injected failure at step N (name)}.
   */
  public static final class InjectedFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int step;
    private final String stepName;

    /**
     * @param step the failed step's position, from 1
     * @param stepName its name
     */
    public InjectedFailure(int step, String stepName) {
      super("injected failure at step " + step + " (" + stepName + ")");
      this.step = step;
      this.stepName = stepName;
    }

    /** @return the failed step's position, from 1 */
    public int step() {
      return step;
    }

    /** @return the failed step's name */
    public String stepName() {
      return stepName;
    }
  }
}
