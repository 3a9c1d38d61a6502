package net.aegirj.provision.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.spi.Intent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What running tasks are about to create outside the home, on disk so that it outlives a killed
 * process. A task's first {@link Intent} makes its record, a file
 * {@code <home>/state/intents/<key>~<random>} (0600, in 0700 directories) that the task holds a
 * file lock on while it runs; every intent is appended as one JSON line and synced before the
 * step acts. The task removes the file when it ends with success or a complete rollback. A
 * record that no process holds was left by a killed task (the lock went with its process): the
 * next task on its context takes it over (locks it), settles its intents and removes it.
 *
 * <p>The file holds the context, the task, the process id and, per intent, the service, the
 * service type's id, the server, the kind, the name and the details: never a secret.
 */
final class IntentJournal {
  private static final Logger LOG = LoggerFactory.getLogger(IntentJournal.class);
  /** Made on first use: a command that reads no record (show, list, save) need not pay for it. */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  /** A {@code .new-} file older than this was left by a process killed before it renamed it. */
  static final Duration ABANDONED = LockedRecords.ABANDONED;

  /** The records of tasks running in this process, for {@link #claimedByRunningTask}. */
  private static final Map<Path, Record> LIVE = new ConcurrentHashMap<>();

  private final LockedRecords records;

  /** @param dir the directory of the records ({@code <home>/state/intents}), made on first use */
  IntentJournal(Path dir) {
    this.records = new LockedRecords(dir, "an intent");
  }

  /** @return the directory of the records */
  Path directory() {
    return records.directory();
  }

  /** An intent as stored: with the id of the service type that settles it. */
  record Stored(String type, Intent intent) {}

  /** The record of a task running in this process, locked by it. */
  static final class Record implements AutoCloseable {
    private final LockedRecords.Held held;
    private final List<Stored> intents = new ArrayList<>();

    private Record(LockedRecords.Held held) {
      this.held = held;
    }

    /**
     * Appends intents and syncs the file once for all of them.
     *
     * @param more the intents, each with the id of the service type that settles it
     */
    synchronized void add(List<Stored> more) {
      try {
        LockedRecords.write(held.channel(), lines(more));
        held.channel().force(true);
        intents.addAll(more);
      } catch (IOException e) {
        throw new ProvisionException("cannot record the intent to create " + names(more) + " in " + held.file() + ": "
            + e.getMessage() + "; nothing was created", e);
      }
    }

    synchronized List<Stored> intents() {
      return List.copyOf(intents);
    }

    /** Removes the record: the task ended and left nothing to settle. */
    void clear() {
      LIVE.remove(held.file());
      held.remove("the next task settles its intents once more");
    }

    /** Releases the lock and keeps the file: the next task on the context settles it. */
    @Override
    public void close() {
      LIVE.remove(held.file());
      held.close();
    }
  }

  /** The record of a killed task, locked by this process while it is settled. */
  static final class Left implements AutoCloseable {
    private final LockedRecords.Held held;
    private final ContextName context;
    private final Task task;
    private final long pid;
    private final List<Stored> intents;

    private Left(LockedRecords.Held held, ContextName context, Task task, long pid, List<Stored> intents) {
      this.held = held;
      this.context = context;
      this.task = task;
      this.pid = pid;
      this.intents = intents;
    }

    /** @return the context the killed task ran on, or null when the header is unreadable */
    ContextName context() {
      return context;
    }

    /** @return the task, or null when unknown */
    Task task() {
      return task;
    }

    /** @return the killed process's id, or -1 */
    long pid() {
      return pid;
    }

    /** @return the intents it recorded */
    List<Stored> intents() {
      return intents;
    }

    /** @return the file */
    Path file() {
      return held.file();
    }

    /** Removes the record: everything in it is settled. */
    void remove() {
      held.remove("it is settled again by a later task");
    }

    /** Releases it, kept for a later task. */
    @Override
    public void close() {
      held.close();
    }
  }

  static String key(ContextName context) {
    return LockedRecords.key(context.value());
  }

  private static byte[] lines(List<Stored> stored) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Stored st : stored) {
      out.writeBytes(line(st.type(), st.intent()));
    }
    return out.toByteArray();
  }

  private static String names(List<Stored> stored) {
    return stored.size() == 1 ? String.valueOf(stored.get(0).intent())
        : stored.stream().map(st -> String.valueOf(st.intent())).collect(Collectors.joining(", "));
  }

  private static byte[] line(String type, Intent i) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("service", i.service());
    n.put("type", type);
    n.put("server", i.server().toString());
    n.put("kind", i.kind());
    n.put("name", i.name());
    ArrayNode details = n.putArray("details");
    i.details().forEach(details::add);
    return (n.toString() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Makes a task's record with its first intents, synced (file and directory) before it returns.
   *
   * @param context the task's context
   * @param task the task
   * @param first the first intents (at least one), each with the id of the service type that settles it
   * @return the record, locked by this process until it is cleared or closed
   */
  Record open(ContextName context, Task task, List<Stored> first) {
    if (first.isEmpty()) {
      throw new IllegalArgumentException("a record starts with at least one intent");
    }
    ObjectNode header = JsonNodeFactory.instance.objectNode();
    header.put("context", context.toString());
    header.put("task", task.id());
    header.put("pid", ProcessHandle.current().pid());
    header.put("started", Instant.now().toString());
    try {
      Record r = new Record(records.create(key(context), ch -> {
        LockedRecords.write(ch, (header.toString() + "\n").getBytes(StandardCharsets.UTF_8));
        LockedRecords.write(ch, lines(first));
      }, true));
      r.intents.addAll(first);
      LIVE.put(r.held.file(), r);
      return r;
    } catch (IOException e) {
      throw new ProvisionException(context + ": cannot record the intent to create " + names(first) + " in "
          + records.directory() + ": " + e.getMessage() + "; nothing was created; check that the home is writable", e);
    }
  }

  /**
   * @param context a context
   * @return the records a killed task on that context left (no process holds them), now locked by
   *     this process: settle them, then remove or close each
   */
  List<Left> leftFor(ContextName context) {
    return scan(key(context));
  }

  /** @return every record no process holds, now locked by this process */
  List<Left> leftAll() {
    return scan(null);
  }

  private List<Left> scan(String prefix) {
    List<Left> out = new ArrayList<>();
    try {
      for (LockedRecords.Held h : records.takeOver(prefix)) {
        try {
          Parsed p = parse(LockedRecords.text(h.channel()), h.file());
          out.add(new Left(h, p.context, p.task, p.pid, p.intents));
        } catch (IOException e) {
          h.close();
          LOG.warn("cannot read {}: {}; it is settled by a later task", h.file(), e.getMessage());
        }
      }
    } catch (IOException e) {
      throw new ProvisionException("cannot read the recorded intents in " + records.directory() + ": "
          + e.getMessage(), e);
    }
    return out;
  }

  /**
   * Whether a task running now (in this process or another) has recorded an intent to create the
   * same kind and name on the same server; records of killed tasks do not count.
   *
   * @param server the server
   * @param kind the kind
   * @param name the name
   * @return true when a running task may be creating it
   */
  boolean claimedByRunningTask(ContextName server, String kind, String name) {
    for (Record r : LIVE.values()) {
      for (Stored s : r.intents()) {
        if (same(s.intent(), server, kind, name)) {
          return true;
        }
      }
    }
    return records.anyHeldElsewhere((f, text) -> parse(text, f).intents.stream()
        .anyMatch(s -> same(s.intent(), server, kind, name)));
  }

  private static boolean same(Intent i, ContextName server, String kind, String name) {
    return i.server().equals(server) && i.kind().equals(kind) && i.name().equals(name);
  }

  private record Parsed(ContextName context, Task task, long pid, List<Stored> intents) {}

  /** Reads a record; a line cut short by a kill (the last one) is skipped. */
  private static Parsed parse(String text, Path f) {
    ContextName context = null;
    Task task = null;
    long pid = -1;
    List<Stored> intents = new ArrayList<>();
    boolean first = true;
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode n;
      try {
        n = Json.MAPPER.readTree(line);
      } catch (IOException e) {
        LOG.debug("{}: skipping a line cut short: {}", f, e.getMessage());
        continue;
      }
      try {
        if (first) {
          first = false;
          context = ContextName.of(n.path("context").asText());
          String id = n.path("task").asText();
          for (Task t : Task.values()) {
            if (t.id().equals(id)) {
              task = t;
            }
          }
          pid = n.path("pid").asLong(-1);
          continue;
        }
        List<String> details = new ArrayList<>();
        n.path("details").forEach(d -> details.add(d.asText()));
        intents.add(new Stored(n.path("type").asText(), new Intent(n.path("service").asText(),
            ContextName.of(n.path("server").asText()), n.path("kind").asText(), n.path("name").asText(), details)));
      } catch (RuntimeException e) {
        LOG.warn("{}: skipping an unreadable line: {}", f, e.getMessage());
      }
    }
    return new Parsed(context, task, pid, intents);
  }
}
