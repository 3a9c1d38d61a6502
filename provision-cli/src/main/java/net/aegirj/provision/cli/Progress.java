package net.aegirj.provision.cli;

import java.io.PrintStream;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.api.TaskReport.StepReport;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.spi.TaskListener;

/**
 * The progress display of task commands, on stderr only (stdout holds just the command's output).
 * Registered on the {@link Provision.Builder} of every run; it prints
 * nothing until a command asks for it:
 *
 * <ul>
 *   <li>step lines, {@code @server_master [step 1/4] changed: server: create config directories
 *       on @server_master (3 ms)}, when {@link #Progress(PrintStream, boolean) steps} is true
 *       (stderr is a terminal, or {@code --verbose} was given);
 *   <li>task lines, {@code [2/3] @server_b: verify succeeded (4 steps, 0 changes)}, numbered in
 *       the order the tasks finish, once {@link #expectTasks(int)} announced a batch.
 * </ul>
 *
 * <p>Events come from the threads that run the tasks, several at once for a batch: every method
 * is thread-safe, and each line is printed whole.
 */
final class Progress implements TaskListener {
  private final PrintStream err;
  private final boolean steps;
  private final Map<ContextName, Integer> stepCounts = new ConcurrentHashMap<>();
  private final AtomicInteger finished = new AtomicInteger();
  private volatile boolean active;
  private volatile int tasks;

  /**
   * @param err where the lines go (stderr)
   * @param steps whether to print a line as each step finishes
   */
  Progress(PrintStream err, boolean steps) {
    this.err = Objects.requireNonNull(err, "err");
    this.steps = steps;
  }

  /** Starts printing: step lines if they were asked for. Commands that run tasks call this first. */
  void start() {
    active = true;
  }

  /**
   * Starts printing for a batch: a line as each task finishes, numbered {@code [n/total]}.
   *
   * @param total how many tasks the batch runs
   */
  void expectTasks(int total) {
    tasks = total;
    active = true;
  }

  @Override
  public void taskStarted(Task task, ContextName context, int stepCount) {
    stepCounts.put(context, stepCount);
  }

  @Override
  public void stepFinished(ContextName context, int index, StepReport step) {
    if (!active || !steps) {
      return;
    }
    Integer total = stepCounts.get(context);
    StringBuilder b = new StringBuilder();
    b.append(context).append(" [step ").append(index);
    if (total != null) {
      b.append('/').append(total);
    }
    b.append("] ").append(Reports.status(step.status())).append(": ").append(Values.sanitize(step.name()));
    if (step.status() != TaskReport.StepStatus.PLANNED) {
      b.append(" (").append(step.duration().toMillis()).append(" ms)");
    }
    if (!step.message().isEmpty()) {
      b.append(": ").append(Values.sanitize(step.message()));
    }
    print(b.toString());
  }

  @Override
  public void taskFinished(TaskReport report) {
    int total = tasks;
    if (!active || total == 0) {
      return;
    }
    StringBuilder b = new StringBuilder();
    b.append(report.context()).append(": ").append(report.task().id()).append(' ')
        .append(Reports.status(report.status()))
        .append(" (").append(report.steps().size()).append(" steps, ")
        .append(report.changedPaths().size()).append(" changes)");
    report.failure().ifPresent(f -> b.append(": ").append(Values.sanitize(f)));
    // Number and print under one lock, so that the lines come out in their numbers' order.
    synchronized (err) {
      print("[" + finished.incrementAndGet() + "/" + total + "] " + b);
    }
  }

  /**
   * A line for one item of a batch that runs no task ({@code save --from}), numbered {@code
   * [n/total]}, when step lines were asked for (stderr is a terminal, or {@code --verbose}).
   *
   * @param done how many items are done, this one included
   * @param total how many there are
   * @param line what became of this one
   */
  void item(int done, int total, String line) {
    if (steps) {
      print("[" + done + "/" + total + "] " + Values.sanitize(line));
    }
  }

  /**
   * Prints a line that is told whether or not progress lines were asked for: something the run
   * did differently from what the user would expect.
   *
   * @param line the line, printed sanitised
   */
  void note(String line) {
    print(Values.sanitize(line));
  }

  private void print(String line) {
    synchronized (err) {
      err.println(line);
      err.flush();
    }
  }
}
