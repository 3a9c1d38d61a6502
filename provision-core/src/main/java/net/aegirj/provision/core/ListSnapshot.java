package net.aegirj.provision.core;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;

/**
 * A cache of the context files' bytes for {@link FileContextRepository#list()} in large
 * repositories: one file, {@code <home>/contexts/.list-snapshot}, holding for each context file its
 * bytes and the inode, size, modification and change times it had when they were read.
 *
 * <p>A list stats every file (much cheaper than opening and reading it) and takes the bytes from
 * the snapshot only when all four still match and the recorded change time is more than
 * {@link #RACY_NANOS} older than the moment the snapshot was begun. Any write to a file, in place or
 * by rename, changes its change time (which no user can set), so a matching file holds the recorded
 * bytes; the margin covers changes within one tick of the file system's clock, which a recorded
 * time cannot tell apart (git's "racy clean" case). The bytes are decoded and validated exactly as
 * a file's are, so the snapshot is never trusted with more than the files themselves.
 *
 * <p>The snapshot is a cache: it is written without flushing to disk, by temporary file and rename;
 * a missing, torn (checked by CRC-32) or foreign snapshot is ignored and rewritten.
 */
final class ListSnapshot {
  /** The file name, in the contexts directory. */
  static final String FILE = ".list-snapshot";
  /** Files changed this close to the start of a snapshot are read again next time. */
  static final long RACY_NANOS = TimeUnit.SECONDS.toNanos(1);

  private static final byte[] MAGIC = "provision-list-snapshot 1\n".getBytes(StandardCharsets.US_ASCII);
  private static final long MAX_SIZE = 1L << 31;

  /** What a stat of a context file gives: enough to tell that it changed. */
  record Stat(long inode, long size, long modifiedNanos, long changedNanos) {
    static Stat of(Path file) throws IOException {
      // Follows links, as reading the file does.
      Map<String, Object> a = Files.readAttributes(file, "unix:ino,size,lastModifiedTime,ctime");
      return new Stat((Long) a.get("ino"), (Long) a.get("size"),
          ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS),
          ((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS));
    }
  }

  /** One file's recorded state, and its bytes: {@code length} bytes of {@code buffer} from {@code offset}. */
  record Entry(Stat stat, byte[] buffer, int offset, int length) {
    /** @return an entry for bytes just read from the file */
    static Entry of(Stat stat, byte[] bytes) {
      return new Entry(stat, bytes, 0, bytes.length);
    }
  }

  private final long begunNanos;
  private final Map<String, Entry> entries;

  ListSnapshot(long begunNanos, Map<String, Entry> entries) {
    this.begunNanos = begunNanos;
    this.entries = entries;
  }

  /** @return an empty snapshot: every file is read */
  static ListSnapshot empty() {
    return new ListSnapshot(Long.MIN_VALUE, Map.of());
  }

  /** @return how many files the snapshot records */
  int size() {
    return entries.size();
  }

  /**
   * @param fileName a context file's name
   * @param now the file's stat, taken now
   * @return the recorded entry when the file is certainly unchanged, else null
   */
  Entry ifUnchanged(String fileName, Stat now) {
    Entry e = entries.get(fileName);
    if (e == null || !e.stat().equals(now) || e.stat().changedNanos() >= begunNanos - RACY_NANOS) {
      return null;
    }
    return e;
  }

  /**
   * Reads the snapshot of a directory.
   *
   * @param dir the contexts directory
   * @return the snapshot, or an empty one when there is none or it is not intact
   */
  static ListSnapshot load(Path dir) {
    byte[] all;
    try {
      Path f = dir.resolve(FILE);
      if (!Files.isRegularFile(f) || Files.size(f) > MAX_SIZE) {
        return empty();
      }
      all = Files.readAllBytes(f);
    } catch (IOException e) {
      return empty();
    }
    try {
      if (all.length < MAGIC.length + 8 + 4 + 8) {
        return empty();
      }
      CRC32 crc = new CRC32();
      crc.update(all, 0, all.length - 8);
      ByteBuffer b = ByteBuffer.wrap(all);
      if (b.getLong(all.length - 8) != crc.getValue()) {
        return empty();
      }
      for (byte m : MAGIC) {
        if (b.get() != m) {
          return empty();
        }
      }
      long begun = b.getLong();
      int n = b.getInt();
      Map<String, Entry> entries = new HashMap<>(Math.max(16, n * 4 / 3 + 1));
      for (int i = 0; i < n; i++) {
        byte[] name = new byte[b.getShort() & 0xffff];
        b.get(name);
        Stat stat = new Stat(b.getLong(), b.getLong(), b.getLong(), b.getLong());
        int length = b.getInt();
        int offset = b.position();
        if (length < 0 || length > b.remaining()) {
          return empty();
        }
        b.position(offset + length);
        // The entries share the one buffer: no copy of each file's bytes.
        entries.put(new String(name, StandardCharsets.UTF_8), new Entry(stat, all, offset, length));
      }
      return new ListSnapshot(begun, entries);
    } catch (BufferUnderflowException | IndexOutOfBoundsException | NegativeArraySizeException e) {
      return empty(); // a CRC that matched by chance over a foreign file
    }
  }

  /**
   * Writes a snapshot.
   *
   * @param out where to (buffered by the caller)
   * @param begunNanos when the list that read these files began (before any stat), epoch nanoseconds
   * @param entries the files by name
   * @throws IOException when the stream fails
   */
  static void write(OutputStream out, long begunNanos, Map<String, Entry> entries) throws IOException {
    CRC32 crc = new CRC32();
    DataOutputStream data = new DataOutputStream(new CheckedOutputStream(out, crc));
    data.write(MAGIC);
    data.writeLong(begunNanos);
    data.writeInt(entries.size());
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
      data.writeShort(name.length);
      data.write(name);
      Stat s = e.getValue().stat();
      data.writeLong(s.inode());
      data.writeLong(s.size());
      data.writeLong(s.modifiedNanos());
      data.writeLong(s.changedNanos());
      Entry entry = e.getValue();
      data.writeInt(entry.length());
      data.write(entry.buffer(), entry.offset(), entry.length());
    }
    data.flush();
    new DataOutputStream(out).writeLong(crc.getValue());
  }
}
