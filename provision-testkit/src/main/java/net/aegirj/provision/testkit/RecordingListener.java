package net.aegirj.provision.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.spi.TaskListener;

/**
 * A {@link TaskListener} that records what it hears, for assertions. Events are kept as one line
 * each, in the order they arrived:
 *
 * <ul>
 *   <li>{@code taskStarted verify @server_web1 5} (task, context, number of steps);
 *   <li>{@code stepStarted @server_web1 1 server: create config directories on @server_web1};
 *   <li>{@code stepFinished @server_web1 1 CHANGED server: create config directories on ...};
 *   <li>{@code taskFinished verify @server_web1 SUCCEEDED}.
 * </ul>
 *
 * <p>Finished tasks' reports are kept too. Safe for concurrent use, e.g. with
 * {@code Provision.verifyAll}.
 */
public final class RecordingListener implements TaskListener {
  private final List<String> events = new ArrayList<>();
  private final List<TaskReport> reports = new ArrayList<>();

  /** Creates a listener that has heard nothing yet. */
  public RecordingListener() {}

  @Override
  public synchronized void taskStarted(Task task, ContextName context, int steps) {
    events.add("taskStarted " + task.id() + " " + context + " " + steps);
  }

  @Override
  public synchronized void stepStarted(ContextName context, int index, String name) {
    events.add("stepStarted " + context + " " + index + " " + name);
  }

  @Override
  public synchronized void stepFinished(ContextName context, int index, TaskReport.StepReport step) {
    events.add("stepFinished " + context + " " + index + " " + step.status() + " " + step.name());
  }

  @Override
  public synchronized void taskFinished(TaskReport report) {
    events.add("taskFinished " + report.task().id() + " " + report.context() + " " + report.status());
    reports.add(report);
  }

  /** @return every event so far, in order */
  public synchronized List<String> events() {
    return List.copyOf(events);
  }

  /**
   * @param prefix the start of an event, e.g. {@code stepFinished}
   * @return the events that start with it, in order
   */
  public synchronized List<String> events(String prefix) {
    return events.stream().filter(e -> e.startsWith(prefix)).toList();
  }

  /** @return the reports of every finished task (succeeded, failed or planned), in order */
  public synchronized List<TaskReport> reports() {
    return List.copyOf(reports);
  }

  /** @return the report of the last finished task, if any */
  public synchronized Optional<TaskReport> lastReport() {
    return reports.isEmpty() ? Optional.empty() : Optional.of(reports.get(reports.size() - 1));
  }

  /** Forgets everything heard so far. */
  public synchronized void clear() {
    events.clear();
    reports.clear();
  }

  @Override
  public synchronized String toString() {
    return "RecordingListener" + events;
  }
}
