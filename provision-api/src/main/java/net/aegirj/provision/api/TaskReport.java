package net.aegirj.provision.api;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a task did (or, for a plan, would do): every step with its status and duration, the paths
 * it changed, the commands it ran, the services it reloaded, and its warnings.
 *
 * @param task the task
 * @param context the context it ran on
 * @param status the outcome
 * @param steps every planned step, in order
 * @param reloads the services reloaded, as {@code server: service}
 * @param warnings warnings that did not fail the task
 * @param duration how long the task took
 * @param failure for a failed task: the failed step, the cause and the rollback outcome
 * @param results what the task produced, by Aegir's name (e.g. {@code backup_file},
 *     {@code backup_file_size})
 */
public record TaskReport(Task task, ContextName context, Status status, List<StepReport> steps,
    List<String> reloads, List<String> warnings, Duration duration, Optional<String> failure,
    Map<String, String> results) {
  /** Outcomes of a task. */
  public enum Status {
    /** Every step ran (or was skipped) without error. */
    SUCCEEDED,
    /** A step failed; completed steps were rolled back. */
    FAILED,
    /** Nothing ran: the report lists what would be done. */
    PLANNED
  }

  /** Outcomes of a step. */
  public enum StepStatus {
    /** Ran and changed something. */
    CHANGED,
    /** Ran and found everything as it should be. */
    UNCHANGED,
    /** Had nothing to do (e.g. a null service). */
    SKIPPED,
    /** Failed. */
    FAILED,
    /** Ran, then was undone because a later step failed. */
    ROLLED_BACK,
    /** Not run because an earlier step failed. */
    NOT_RUN,
    /** Planned only: the changes listed are what it would do. */
    PLANNED
  }

  /**
   * One step of a task.
   *
   * @param name the step's name, e.g. {@code server: create config directories}
   * @param status its outcome
   * @param duration how long it ran
   * @param changes the paths it changed (or would change)
   * @param commands the commands it ran (or would run)
   * @param message a skip reason or failure
   */
  public record StepReport(String name, StepStatus status, Duration duration, List<String> changes,
      List<String> commands, String message) {
    /** Copies the lists. */
    public StepReport {
      Objects.requireNonNull(name, "name");
      changes = List.copyOf(changes);
      commands = List.copyOf(commands);
      message = message == null ? "" : message;
    }
  }

  /** Copies the lists. */
  public TaskReport {
    steps = List.copyOf(steps);
    reloads = List.copyOf(reloads);
    warnings = List.copyOf(warnings);
    results = Collections.unmodifiableMap(new LinkedHashMap<>(results));
  }

  /**
   * A report without results.
   *
   * @param task the task
   * @param context the context it ran on
   * @param status the outcome
   * @param steps every planned step, in order
   * @param reloads the services reloaded
   * @param warnings warnings that did not fail the task
   * @param duration how long the task took
   * @param failure for a failed task: the failed step, the cause and the rollback outcome
   */
  public TaskReport(Task task, ContextName context, Status status, List<StepReport> steps,
      List<String> reloads, List<String> warnings, Duration duration, Optional<String> failure) {
    this(task, context, status, steps, reloads, warnings, duration, failure, Map.of());
  }

  /** @return every path changed (or to be changed), in order, without repeats */
  public List<String> changedPaths() {
    return steps.stream().filter(s -> s.status() != StepStatus.ROLLED_BACK)
        .flatMap(s -> s.changes().stream()).distinct().toList();
  }

  /** @return every command run (or to be run), in order */
  public List<String> commandsRun() {
    return steps.stream().flatMap(s -> s.commands().stream()).toList();
  }

  /** @return true when the task succeeded */
  public boolean succeeded() {
    return status == Status.SUCCEEDED;
  }

  /** @return one line: task, context, outcome, and the failure if any */
  public String summary() {
    String s = task.id() + " " + context + ": " + status.name().toLowerCase(Locale.ROOT)
        + " (" + steps.size() + " steps, " + changedPaths().size() + " changes, "
        + reloads.size() + " reloads, " + duration.toMillis() + " ms)";
    return failure.map(f -> s + ": " + f).orElse(s);
  }
}
