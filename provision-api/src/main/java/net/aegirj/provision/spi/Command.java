package net.aegirj.provision.spi;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A command to run on a host: an argument vector run without a shell, or — only for commands an
 * operator configured, such as {@code http_restart_cmd} — a string run with {@code /bin/sh -c}.
 *
 * @param argv the argument vector (for a shell command: {@code /bin/sh}, {@code -c}, the string)
 * @param shell true when the command is an operator-supplied shell string
 * @param timeout how long it may run
 * @param stdin bytes fed to its standard input, if any
 * @param display how the command is shown in reports and errors (secrets left out)
 * @param touchesFiles false for a command that neither reads nor changes the files steps manage
 *     (a network probe, a version query): a host that gathered the state of paths for a batch
 *     ({@link Host#prefetch}) keeps it, and need not apply held-back changes first
 */
public record Command(List<String> argv, boolean shell, Duration timeout, Optional<byte[]> stdin,
    String display, boolean touchesFiles) {
  /** The default time a command may run. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  /** Checks the invariants. */
  public Command {
    argv = List.copyOf(argv);
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("empty command");
    }
    for (String a : argv) {
      if (a.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("NUL in command argument");
      }
    }
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(stdin, "stdin");
    Objects.requireNonNull(display, "display");
  }

  /**
   * @param argv the program and its arguments
   * @return a command run without a shell, with the default timeout
   */
  public static Command of(String... argv) {
    return of(List.of(argv));
  }

  /**
   * @param argv the program and its arguments
   * @return a command run without a shell, with the default timeout
   */
  public static Command of(List<String> argv) {
    return new Command(argv, false, DEFAULT_TIMEOUT, Optional.empty(), String.join(" ", argv), true);
  }

  /**
   * @param operatorCommand a command string configured by an operator
   * @return a command run with {@code /bin/sh -c}
   */
  public static Command shell(String operatorCommand) {
    return new Command(List.of("/bin/sh", "-c", operatorCommand), true, DEFAULT_TIMEOUT,
        Optional.empty(), operatorCommand, true);
  }

  /**
   * @param t the time limit
   * @return a copy with that time limit
   */
  public Command withTimeout(Duration t) {
    return new Command(argv, shell, t, stdin, display, touchesFiles);
  }

  /**
   * @param input bytes for standard input
   * @return a copy that feeds them
   */
  public Command withStdin(byte[] input) {
    return new Command(argv, shell, timeout, Optional.of(input.clone()), display, touchesFiles);
  }

  /**
   * @param text how to show the command
   * @return a copy shown that way (use it to keep secrets out of reports)
   */
  public Command withDisplay(String text) {
    return new Command(argv, shell, timeout, stdin, text, touchesFiles);
  }

  /**
   * @return a copy marked as neither reading nor changing the files steps manage (see
   *     {@code touchesFiles}); only for commands that really do not
   */
  public Command touchingNoFiles() {
    return new Command(argv, shell, timeout, stdin, display, false);
  }

  @Override
  public String toString() {
    return display;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Command c && c.argv.equals(argv) && c.shell == shell && c.timeout.equals(timeout)
        && c.display.equals(display) && c.touchesFiles == touchesFiles && c.stdin.isPresent() == stdin.isPresent()
        && (stdin.isEmpty() || Arrays.equals(stdin.get(), c.stdin.get()));
  }

  @Override
  public int hashCode() {
    return Objects.hash(argv, shell, timeout, display, touchesFiles);
  }
}
