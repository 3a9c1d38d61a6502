package net.aegirj.provision.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.aegirj.provision.api.Text;

/**
 * The command line after its global options are taken out and Aegir's word order is rewritten.
 *
 * <p>The global options {@code --home DIR} (or {@code --home=DIR}), {@code --json},
 * {@code --debug} and {@code --verbose} are recognised anywhere before a {@code --} argument, so
 * they may come before or after the command. Aegir's order {@code provision @name <command> ...} is rewritten to
 * {@code provision <command> @name ...}. Parsing never throws: a malformed global option is kept
 * as a {@link #problem()}, so that {@code --json} still decides the form of the error report.
 *
 * @param home the {@code --home} directory, when given
 * @param json whether {@code --json} was given
 * @param debug whether {@code --debug} was given
 * @param verbose whether {@code --verbose} was given
 * @param arguments the remaining arguments, command first
 * @param problem what is wrong with the global options, if anything
 */
record Invocation(Optional<Path> home, boolean json, boolean debug, boolean verbose,
    List<String> arguments, Optional<String> problem) {
  /** The option naming the Provision home. */
  static final String HOME = "--home";
  /** The option selecting JSON output. */
  static final String JSON = "--json";
  /** The option printing stack traces and debug logs. */
  static final String DEBUG = "--debug";
  /** The option printing every step's progress on stderr. */
  static final String VERBOSE = "--verbose";

  /** Checks the invariants. */
  Invocation {
    Objects.requireNonNull(home, "home");
    arguments = List.copyOf(arguments);
    Objects.requireNonNull(problem, "problem");
  }

  /**
   * @param args the raw command line
   * @return the parsed invocation
   */
  static Invocation parse(String[] args) {
    Path home = null;
    boolean json = false;
    boolean debug = false;
    boolean verbose = false;
    String problem = null;
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = Objects.requireNonNull(args[i], "argument");
      if (a.equals("--")) {
        for (int j = i; j < args.length; j++) {
          rest.add(args[j]);
        }
        break;
      }
      String homeValue = null;
      if (a.equals(JSON)) {
        json = true;
        continue;
      } else if (a.equals(DEBUG)) {
        debug = true;
        continue;
      } else if (a.equals(VERBOSE)) {
        verbose = true;
        continue;
      } else if (a.equals(HOME)) {
        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
          problem = first(problem, "option '--home' needs a directory: --home DIR or --home=DIR");
          continue;
        }
        homeValue = args[++i];
      } else if (a.startsWith(HOME + "=")) {
        homeValue = a.substring(HOME.length() + 1);
      } else {
        rest.add(a);
        continue;
      }
      if (homeValue.isBlank()) {
        problem = first(problem, "option '--home' needs a directory: --home DIR or --home=DIR");
        continue;
      }
      try {
        home = Path.of(homeValue);
      } catch (InvalidPathException e) {
        problem = first(problem, "option '--home': " + Text.quote(homeValue) + " is not a valid path");
      }
    }
    if (problem == null) {
      problem = aegirOrder(rest);
    }
    return new Invocation(Optional.ofNullable(home), json, debug, verbose, rest, Optional.ofNullable(problem));
  }

  private static String first(String existing, String candidate) {
    return existing != null ? existing : candidate;
  }

  /**
   * Rewrites {@code @name <command> ...} to {@code <command> @name ...} in place.
   *
   * @return a problem, or null
   */
  private static String aegirOrder(List<String> rest) {
    int i = 0;
    while (i < rest.size() && rest.get(i).startsWith("-") && !rest.get(i).equals("--")) {
      i++;
    }
    if (i >= rest.size() || !rest.get(i).startsWith("@")) {
      return null;
    }
    String name = rest.get(i);
    if (i + 1 >= rest.size() || rest.get(i + 1).startsWith("-") || rest.get(i + 1).startsWith("@")) {
      return "missing command after " + Text.quote(name) + "; write 'provision " + name
          + " <command>', for example 'provision " + name + " show'";
    }
    rest.set(i, rest.get(i + 1));
    rest.set(i + 1, name);
    return null;
  }
}
