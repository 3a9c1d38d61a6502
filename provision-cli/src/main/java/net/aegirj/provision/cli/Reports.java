package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import net.aegirj.provision.api.TaskReport;
import net.aegirj.provision.api.TaskReport.StepReport;
import net.aegirj.provision.api.TaskReport.StepStatus;

/** Renders a {@link TaskReport} as text and as JSON. */
final class Reports {
  /** The width of the status column of step lines: the longest status, {@code rolled_back}. */
  private static final int STATUS_WIDTH = 11;

  private Reports() {}

  /**
   * @param status a step's outcome
   * @return its name in the output: {@code changed}, {@code rolled_back}, ...
   */
  static String status(StepStatus status) {
    return status.name().toLowerCase(Locale.ROOT);
  }

  /**
   * @param status a task's outcome
   * @return its name in the output: {@code succeeded}, {@code failed} or {@code planned}
   */
  static String status(TaskReport.Status status) {
    return status.name().toLowerCase(Locale.ROOT);
  }

  /**
   * The report as text: one line per step (status, name, duration), the paths it changed and the
   * commands it ran indented under it, its skip reason or failure in parentheses, then the
   * reloads, the warnings and the summary line. Everything is sanitized.
   *
   * <pre>
   *   changed     server: create config directories on @server_master (3 ms)
   *       /var/aegir/config/server_master
   *       $ apachectl configtest
   *   skipped     http: null service on @server_master (0 ms)
   *       (no http service type selected on @server_master)
   * reloaded @server_master: http
   * warning: ...
   * verify @server_master: succeeded (4 steps, 1 changes, 1 reloads, 12 ms)
   * </pre>
   *
   * @param report the report
   * @return its lines, each ending in a newline
   */
  static String text(TaskReport report) {
    StringBuilder b = new StringBuilder();
    for (StepReport s : report.steps()) {
      String status = status(s.status());
      b.append("  ").append(status).append(" ".repeat(Math.max(1, STATUS_WIDTH + 1 - status.length())))
          .append(Values.sanitize(s.name()));
      if (s.status() != StepStatus.NOT_RUN && s.status() != StepStatus.PLANNED) {
        b.append(" (").append(s.duration().toMillis()).append(" ms)");
      }
      b.append('\n');
      for (String path : s.changes()) {
        b.append("      ").append(Values.sanitize(path)).append('\n');
      }
      for (String command : s.commands()) {
        b.append("      $ ").append(Values.sanitize(command)).append('\n');
      }
      if (!s.message().isEmpty()) {
        b.append("      (").append(Values.sanitize(s.message())).append(")\n");
      }
    }
    for (String reload : report.reloads()) {
      b.append(report.status() == TaskReport.Status.PLANNED ? "would reload " : "reloaded ")
          .append(Values.sanitize(reload)).append('\n');
    }
    for (String warning : report.warnings()) {
      b.append("warning: ").append(Values.sanitize(warning)).append('\n');
    }
    report.results().forEach((k, v) ->
        b.append(Values.sanitize(k)).append(" = ").append(Values.sanitize(v)).append('\n'));
    b.append(Values.sanitize(report.summary())).append('\n');
    if (report.status() == TaskReport.Status.PLANNED) {
      b.append("(plan only: nothing was changed)\n");
    }
    return b.toString();
  }

  /**
   * The report as JSON:
   *
   * <pre>{@code
   * {"task":"verify","context":"@server_master","status":"succeeded",
   *  "steps":[{"name":"...","status":"changed","duration_ms":3,"changes":["/..."],"commands":[],
   *            "message":null}],
   *  "reloads":[],"warnings":[],"results":{},"changed_paths":["/..."],"duration_ms":12,"failure":null}
   * }</pre>
   *
   * @param report the report
   * @return a new object
   */
  static ObjectNode json(TaskReport report) {
    ObjectNode r = Values.object();
    r.put("task", report.task().id());
    r.put("context", report.context().toString());
    r.put("status", status(report.status()));
    ArrayNode steps = r.putArray("steps");
    for (StepReport s : report.steps()) {
      ObjectNode step = steps.addObject();
      step.put("name", s.name());
      step.put("status", status(s.status()));
      step.put("duration_ms", s.duration().toMillis());
      strings(step.putArray("changes"), s.changes());
      strings(step.putArray("commands"), s.commands());
      if (s.message().isEmpty()) {
        step.putNull("message");
      } else {
        step.put("message", s.message());
      }
    }
    strings(r.putArray("reloads"), report.reloads());
    strings(r.putArray("warnings"), report.warnings());
    ObjectNode results = r.putObject("results");
    report.results().forEach(results::put);
    strings(r.putArray("changed_paths"), report.changedPaths());
    r.put("duration_ms", report.duration().toMillis());
    if (report.failure().isPresent()) {
      r.put("failure", report.failure().get());
    } else {
      r.putNull("failure");
    }
    return r;
  }

  private static void strings(ArrayNode array, List<String> values) {
    for (String v : values) {
      array.add(v);
    }
  }
}
