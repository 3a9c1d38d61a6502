package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextInUseException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextNotFoundException;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.TaskFailedException;

/**
 * What one run prints: its outcome as text on stdout and error lines on stderr, or, with
 * {@code --json}, one JSON object on stdout ({@code ok}, {@code command}, the command's fields or
 * an {@code error}, {@code exit_code}); see {@link Main} for the shapes.
 */
final class RunOutput {
  private final PrintStream out;
  private final PrintStream err;
  private final boolean json;
  private final boolean debug;
  private String command;

  /**
   * @param out stdout
   * @param err stderr
   * @param json whether the outcome is printed as JSON ({@code --json})
   * @param debug whether errors come with their stack traces ({@code --debug})
   */
  RunOutput(PrintStream out, PrintStream err, boolean json, boolean debug) {
    this.out = out;
    this.err = err;
    this.json = json;
    this.debug = debug;
  }

  /** @param name the command the run turned out to be, named in the JSON of an error */
  void command(String name) {
    this.command = name;
  }

  /**
   * Prints a success.
   *
   * @param name the command, for the JSON
   * @param fields what the JSON holds beside {@code ok}, {@code command} and {@code exit_code}
   * @param text what is printed without {@code --json}
   * @return {@link Main#OK}
   */
  int ok(String name, ObjectNode fields, String text) {
    if (json) {
      ObjectNode node = Values.object();
      node.put("ok", true);
      node.put("command", name);
      node.setAll(fields);
      node.put("exit_code", Main.OK);
      printJson(node);
    } else {
      out.print(text);
    }
    return Main.OK;
  }

  /**
   * Prints a command that ran but partly failed (a batch with a failed task or context): its
   * output, then the error.
   *
   * @param result the command's result, with its failure
   * @return the result's exit status
   */
  int partialFailure(Result result) {
    String line = Values.sanitize(result.failure().get());
    if (json) {
      printError(result.json(), result.failureType(), line, null, result.failureExit());
    } else {
      out.print(result.text());
    }
    out.flush();
    err.println("provision: error: " + line);
    return result.failureExit();
  }

  /**
   * Prints a refused or failed operation, with what its exception says about the context, the
   * property, the referrers or the task's report.
   *
   * @param e the exception
   * @return {@link Main#BAD_INPUT} when the input was refused, else {@link Main#FAILED}
   */
  int failProvision(ProvisionException e) {
    int code = e.isBadInput() ? Main.BAD_INPUT : Main.FAILED;
    ObjectNode details = Values.object();
    String type;
    if (e instanceof InvalidContextException ice) {
      type = "invalid_context";
      ice.context().ifPresent(c -> details.put("context", c.startsWith("@") ? c : "@" + c));
      ice.property().ifPresent(p -> details.put("property", p));
    } else if (e instanceof ContextNotFoundException nf) {
      type = "context_not_found";
      details.put("context", nf.name().toString());
    } else if (e instanceof ContextInUseException inUse) {
      type = "context_in_use";
      details.put("context", inUse.name().toString());
      ArrayNode referrers = details.putArray("referrers");
      for (ContextName n : inUse.referrers()) {
        referrers.add(n.toString());
      }
    } else if (e instanceof ConflictException) {
      type = "conflict";
    } else if (e instanceof TaskFailedException failed && failed.report() != null) {
      type = "task_failed";
      details.set("report", Reports.json(failed.report()));
      if (!json) {
        out.print(Reports.text(failed.report()));
        out.flush();
      }
    } else {
      type = e.isBadInput() ? "invalid_input" : "failed";
    }
    return fail(code, type, e.getMessage(), e, details);
  }

  /**
   * Prints an error: a line on stderr (with the stack trace under {@code --debug}), and with
   * {@code --json} the error object on stdout.
   *
   * @param code the exit status
   * @param type the error's type in the JSON
   * @param message the message, or null for the exception's class
   * @param e the cause
   * @param details more fields of the JSON's error, or null
   * @return {@code code}
   */
  int fail(int code, String type, String message, Throwable e, ObjectNode details) {
    String line = Values.sanitize(message == null ? e.getClass().getSimpleName() : message);
    err.println("provision: error: " + line);
    if (debug) {
      e.printStackTrace(err);
    }
    if (json) {
      printError(null, type, line, details, code);
    }
    return code;
  }

  /** Prints the JSON of a failure: the command's fields, if any, and the error. */
  private void printError(ObjectNode fields, String type, String line, ObjectNode details, int code) {
    ObjectNode node = Values.object();
    node.put("ok", false);
    node.put("command", command);
    if (fields != null) {
      node.setAll(fields);
    }
    ObjectNode error = node.putObject("error");
    error.put("type", type);
    error.put("message", line);
    if (details != null) {
      error.setAll(details);
    }
    node.put("exit_code", code);
    printJson(node);
  }

  private void printJson(ObjectNode node) {
    out.println(Values.write(node));
  }
}
