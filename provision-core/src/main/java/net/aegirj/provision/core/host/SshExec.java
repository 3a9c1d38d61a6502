package net.aegirj.provision.core.host;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.api.HostException;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The commands of an {@link SshHost}: each on an exec channel of its own, as one quoted string. */
final class SshExec {
  private static final Logger LOG = LoggerFactory.getLogger(SshHost.class);
  /** The time-out of the commands the host runs for itself ({@code getent}, {@code chown}, listings). */
  static final Duration INTERNAL_TIMEOUT = Duration.ofMinutes(5);

  private final String name;
  private final SshConnection connection;
  private final AtomicLong commands = new AtomicLong();
  private final Map<String, LongAdder> kinds = new ConcurrentHashMap<>();

  SshExec(String name, SshConnection connection) {
    this.name = name;
    this.connection = connection;
  }

  /** @return commands run so far, internal ones included */
  long commands() {
    return commands.get();
  }

  /** @return commands run so far by kind ({@link SshHost#exchangesByKind}), sorted */
  SortedMap<String, Long> kinds() {
    SortedMap<String, Long> out = new TreeMap<>();
    kinds.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  private static final Pattern PLAIN_WORD = Pattern.compile("[-a-z0-9:]+");

  /**
   * @return a kind to count a command or file operation by: the first word of its display or
   *     description (a path as its file name), then the second when it is a plain word or option
   *     ({@code probe N}, {@code apply N}, {@code getent passwd}, {@code nginx -t}, {@code create
   *     directory}; never a path or a site's name), digit runs as {@code N}
   */
  static String kindOf(String display) {
    String[] w = display.strip().split("\\s+", 3);
    String first = w[0].substring(w[0].lastIndexOf('/') + 1);
    String kind = w.length > 1 && PLAIN_WORD.matcher(w[1]).matches() ? first + " " + w[1] : first;
    return kind.replaceAll("[0-9]+", "N");
  }

  /**
   * Runs a command on an exec channel of its own, waiting for its end or its time-out.
   *
   * @return the result, whatever the exit code
   * @throws HostCommandException when it could not start, timed out, was interrupted or lost the connection
   */
  CommandResult run(Command command) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CommandResult r = run(command, out);
    return new CommandResult(r.host(), r.command(), r.exitCode(), out.toString(StandardCharsets.UTF_8),
        r.stderrTail(), r.duration());
  }

  /**
   * Runs a command as {@link #run(Command)} does, its standard output going to a stream of the
   * caller's (bytes as they come: for output that is not text, or must be bounded).
   *
   * @param out receives the standard output
   * @return the result, whose {@code stdout} is empty
   */
  CommandResult run(Command command, OutputStream out) {
    Objects.requireNonNull(command, "command");
    commands.incrementAndGet();
    String display = command.display();
    kinds.computeIfAbsent("command " + kindOf(display), k -> new LongAdder()).increment();
    long start = System.nanoTime();
    Session s;
    try {
      s = connection.session("run '" + display + "'");
    } catch (HostCommandException e) {
      throw e;
    } catch (HostException e) {
      String m = e.getMessage();
      String why = m.startsWith(name + ": ") ? m.substring(name.length() + 2) : m;
      throw new HostCommandException(name, display, -1, "", "could not start: " + why);
    }
    TailBuffer err = new TailBuffer(CommandResult.STDERR_TAIL);
    ChannelExec ch = null;
    try {
      ch = (ChannelExec) s.openChannel("exec");
      ch.setCommand(SshShell.commandLine(command.argv()).getBytes(StandardCharsets.UTF_8));
      byte[] stdin = command.stdin().orElse(new byte[0]);
      if (stdin.length > 0) {
        ch.setInputStream(new ByteArrayInputStream(stdin), false);
      }
      ch.setOutputStream(out, true);
      ch.setErrStream(err, true);
      ch.connect(connection.connectMillis());
      if (stdin.length == 0) {
        // No input: end it here. Given an input stream, JSch starts a thread to copy it after the
        // exec request, and a command that ends before that thread exists (getent, say) races
        // JSch's own clean-up (a NullPointerException in Thread.setDaemon, seen on a loaded machine).
        try {
          ch.getOutputStream().close();
        } catch (IOException e) {
          LOG.debug("{}: cannot end the input of {}: {}", name, display, e.getMessage());
        }
      }
    } catch (JSchException e) {
      if (ch != null) {
        ch.disconnect();
      }
      if (connection.connectionGone(e)) {
        connection.markLost();
        throw new HostCommandException(name, display, -1, "",
            "could not start: connection lost while trying to run it (SSH to " + connection.endpoint() + ")");
      }
      throw new HostCommandException(name, display, -1, "", "could not start: " + e.getMessage());
    }
    long deadline = start + command.timeout().toNanos();
    try {
      long sleep = 1;
      while (!ch.isClosed()) {
        if (System.nanoTime() - deadline > 0) {
          try {
            ch.sendSignal("KILL");
          } catch (Exception e) {
            LOG.debug("{}: cannot signal {}: {}", name, display, e.getMessage());
          }
          ch.disconnect();
          throw new HostCommandException(name, display, -1, err.text(),
              "timed out after " + SshConnection.seconds(command.timeout()));
        }
        Thread.sleep(sleep);
        sleep = Math.min(sleep * 2, 20);
      }
    } catch (InterruptedException e) {
      ch.disconnect();
      Thread.currentThread().interrupt();
      throw new HostCommandException(name, display, -1, err.text(), "was interrupted");
    }
    int exit = ch.getExitStatus();
    String signal = ch.getExitSignal();
    boolean eof = ch.isEOF();
    ch.disconnect();
    if (exit == -1 && signal == null && (!eof || connection.connectionGone(null))) {
      connection.markLost();
      throw new HostCommandException(name, display, -1, err.text(),
          "failed: connection lost while it was running (SSH to " + connection.endpoint() + ")");
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    LOG.debug("{}: ran {} -> {}{} in {} ms", name, display, exit, signal == null ? "" : " (signal " + signal + ")",
        took.toMillis());
    String stderr = err.text();
    if (signal != null && exit == -1) {
      stderr = (stderr.isEmpty() ? "" : stderr + "\n") + "killed by signal " + signal;
    }
    return new CommandResult(name, display, exit, "", stderr, took);
  }

  /**
   * Runs an internal command ({@code chown}, {@code chmod}, {@code rm -rf}) that must succeed.
   *
   * @param what what it is for, for the message
   * @throws HostException naming the command, its status and stderr when it fails
   */
  void check(List<String> argv, String what) {
    CommandResult r = run(Command.of(argv).withTimeout(INTERNAL_TIMEOUT));
    if (!r.succeeded()) {
      throw new HostException(name, "cannot " + what + ": " + String.join(" ", argv) + " exited with status "
          + r.exitCode() + (r.stderrTail().isBlank() ? "" : ": " + r.stderrTail().strip()));
    }
  }
}
