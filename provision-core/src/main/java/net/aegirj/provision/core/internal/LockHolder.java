package net.aegirj.provision.core.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.aegirj.provision.api.Task;

/**
 * Who holds a context's lock file: the process that holds the POSIX lock on it, as the kernel
 * lists it in {@code /proc/locks} (pid, and the user owning {@code /proc/<pid>}), completed with
 * what that process wrote into the file when it took the lock ({@code pid=… user=… since=…
 * task=…}, one line) when the pids agree. Only the program's file name and the task's name are
 * shown, never a command line, which may hold secrets.
 *
 * @param pid the holder's pid, or -1 when unknown
 * @param user the user the holder runs as, or null when unknown
 * @param program the holder's program file name (e.g. {@code java}), or null
 * @param task the task the holder runs, or null when it did not say
 * @param since when it took the lock (or, for a holder that did not say, when it started), or null
 * @param otherUser true when the holder runs as another user than this process
 */
record LockHolder(long pid, String user, String program, String task, Instant since, boolean otherUser) {
  /** Nothing is known about the holder. */
  static final LockHolder UNKNOWN = new LockHolder(-1, null, null, null, null, false);

  private static final Path PROC_LOCKS = Path.of("/proc/locks");
  private static final Pattern LINE = Pattern.compile(
      "^\\d+:\\s+(?:POSIX|FLOCK|OFDLCK)\\s+\\S+\\s+(?:READ|WRITE)\\s+(-?\\d+)\\s+([0-9a-f]+):([0-9a-f]+):(\\d+)\\s");
  private static final Set<String> COMMANDS = commands();

  private static Set<String> commands() {
    Set<String> out = new HashSet<>(List.of("save", "provision-save", "plan"));
    for (Task t : Task.values()) {
      out.add(t.id());
      out.add("provision-" + t.id());
    }
    return Set.copyOf(out);
  }

  /**
   * @param file a lock file
   * @return its holder, when the kernel names one
   */
  static Optional<LockHolder> of(Path file) {
    long pid;
    try {
      pid = lockingPid(file);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    if (pid <= 0) {
      return Optional.empty();
    }
    String user = null;
    try {
      user = Files.getOwner(Path.of("/proc/" + pid), LinkOption.NOFOLLOW_LINKS).getName();
    } catch (IOException | RuntimeException e) {
      // gone since, or /proc hides other users' processes
    }
    Optional<ProcessHandle.Info> info = ProcessHandle.of(pid).map(ProcessHandle::info);
    String program = info.flatMap(ProcessHandle.Info::command).map(c -> Path.of(c).getFileName().toString())
        .orElse(null);
    Instant since = info.flatMap(ProcessHandle.Info::startInstant).orElse(null);
    String task = null;
    Map<String, String> recorded = recorded(file);
    if (String.valueOf(pid).equals(recorded.get("pid"))) {
      task = recorded.get("task");
      try {
        since = Instant.parse(recorded.getOrDefault("since", ""));
      } catch (RuntimeException e) {
        // keep the process's start
      }
    }
    String me = System.getProperty("user.name");
    return Optional.of(new LockHolder(pid, user, program, task, since, user != null && !user.equals(me)));
  }

  /** @return the pid the kernel lists as holding a lock on the file, or -1 */
  private static long lockingPid(Path file) throws IOException {
    long dev = (Long) Files.getAttribute(file, "unix:dev");
    long ino = (Long) Files.getAttribute(file, "unix:ino");
    long major = ((dev >> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
    long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    for (String line : Files.readAllLines(PROC_LOCKS, StandardCharsets.US_ASCII)) {
      if (line.contains("->")) {
        continue; // a waiter, not a holder
      }
      Matcher m = LINE.matcher(line);
      if (m.find() && Long.parseLong(m.group(4)) == ino
          && Long.parseLong(m.group(2), 16) == major && Long.parseLong(m.group(3), 16) == minor) {
        return Long.parseLong(m.group(1));
      }
    }
    return -1;
  }

  private static Map<String, String> recorded(Path file) {
    Map<String, String> out = new HashMap<>();
    try {
      byte[] b = Files.readAllBytes(file);
      if (b.length > 4096) {
        return out;
      }
      for (String word : new String(b, StandardCharsets.UTF_8).strip().split(" ")) {
        int eq = word.indexOf('=');
        if (eq > 0) {
          out.put(word.substring(0, eq), word.substring(eq + 1));
        }
      }
    } catch (IOException e) {
      // unreadable: the kernel's facts only
    }
    return out;
  }

  /**
   * @return the line this process writes into a lock file it takes: its pid, user, the time and,
   *     when it is the command line running a task, the task's name (no argument, no option)
   */
  static String describeThisProcess() {
    StringBuilder b = new StringBuilder();
    b.append("pid=").append(ProcessHandle.current().pid()).append(" user=").append(System.getProperty("user.name"))
        .append(" since=").append(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    ThisProcess.TASK.ifPresent(t -> b.append(" task=").append(t));
    return b.append('\n').toString();
  }

  /** What does not change while this process runs, read once (from /proc) on first use. */
  private static final class ThisProcess {
    static final Optional<String> TASK = currentTask();
  }

  /** The first argument of this JVM that names a task or save: the command word, nothing else. */
  private static Optional<String> currentTask() {
    List<String> args = new ArrayList<>(List.of(ProcessHandle.current().info().arguments().orElse(new String[0])));
    for (String a : args) {
      if (COMMANDS.contains(a)) {
        return Optional.of(a.startsWith("provision-") ? a.substring("provision-".length()) : a);
      }
    }
    return Optional.empty();
  }

  /** @return the holder for an error message, starting with a blank, or "" when nothing is known */
  String describe() {
    if (pid <= 0) {
      return "";
    }
    StringBuilder b = new StringBuilder(" (held by pid ").append(pid);
    if (user != null) {
      b.append(", user ").append(user);
    }
    if (program != null) {
      b.append(", ").append(program);
    }
    if (task != null) {
      b.append(", task '").append(task).append('\'');
    }
    if (since != null) {
      b.append(", since ").append(since.truncatedTo(ChronoUnit.SECONDS));
    }
    return b.append(')').toString();
  }
}
