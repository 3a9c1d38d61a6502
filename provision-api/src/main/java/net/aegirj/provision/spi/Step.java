package net.aegirj.provision.spi;

/**
 * One named unit of work in a task. A step makes its changes through the hosts of its
 * {@link StepContext}, which journal every file change so that the engine can undo it; changes
 * of other kinds (a database, a grant) register their own undo with
 * {@link StepContext#onRollback(String, Runnable)}.
 */
public interface Step {
  /** @return the step's name, shown in reports and events, e.g. {@code http: write nginx.conf} */
  String name();

  /**
   * Does the work. In a plan ({@link StepContext#planOnly()}) the hosts record instead of
   * changing; the step runs the same code.
   *
   * @param context what the step works on and with
   * @throws Exception on failure; the task then rolls back
   */
  void run(StepContext context) throws Exception;

  /**
   * @param name the step's name
   * @param body what it does
   * @return a step
   */
  static Step of(String name, Body body) {
    return new Step() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public void run(StepContext context) throws Exception {
        body.run(context);
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }

  /** The work of a step built with {@link #of(String, Body)}. */
  @FunctionalInterface
  interface Body {
    /**
     * @param context what the step works on
     * @throws Exception on failure
     */
    void run(StepContext context) throws Exception;
  }
}
