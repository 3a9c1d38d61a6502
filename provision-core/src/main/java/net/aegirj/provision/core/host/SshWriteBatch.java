package net.aegirj.provision.core.host;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.FileMode;

/**
 * Changes an {@link SshHost} holds back during a batch and then applies with one command: new
 * files and links under temporary names beside their targets, and new directories, travel as
 * one tar stream on standard input; the script extracts them into place, sets owners and groups
 * ({@code chown -h}), then modes ({@code chmod}, after chown, which clears set-id bits), flushes
 * the new files to disk ({@code sync FILE…}), and only then renames each temporary name over its
 * target (an atomic {@code rename(2)}: one {@code perl} for all of them, else {@code mv -T} each). When the stream is cut short (the
 * connection dropped), tar fails and the script stops before any rename: no target is touched
 * and the temporary files are removed. Lists of paths go inside the stream (NUL-separated files
 * in a private {@code mktemp -d} directory), never on the command line.
 */
final class SshWriteBatch {
  /** How many bytes of file content a batch holds before it is applied. */
  static final int MAX_BYTES = 32 << 20;

  /**
   * Renames each temporary name (NUL-terminated) over the target that follows it, with
   * {@code rename(2)} as {@code mv -T} does; stops at the first failure. No single quote in it.
   */
  static final String RENAME = "local $/ = \"\\0\"; while (defined(my $f = <STDIN>)) { my $t = <STDIN>;"
      + " defined $t or die \"a rename without its target\\n\"; chomp $f; chomp $t;"
      + " rename($f, $t) or die \"cannot rename $f to $t: $!\\n\"; }";

  /**
   * {@code $1} how many owner specs follow; then the owner specs ({@code user:group},
   * {@code :group}); then the modes (octal). Lists: {@code own.N} and {@code mode.N} (paths for
   * the Nth spec and mode), {@code temps} (temporary names), {@code renames} (temporary name,
   * target, …).
   */
  static final String SCRIPT = String.join("\n",
      "set -e",
      "m=$(mktemp -d)",
      "done=",
      "cleanup() { if [ -z \"$done\" ] && [ -f \"$m/temps\" ]; then xargs -0 -r rm -f -- < \"$m/temps\" || :; fi; rm -rf -- \"$m\"; }",
      "trap cleanup EXIT",
      "trap 'exit 129' HUP INT TERM PIPE",
      "tar -x -P -m -f - -C \"$m\" --no-same-owner --no-same-permissions",
      "n=$1; shift; i=0",
      "while [ \"$i\" -lt \"$n\" ]; do xargs -0 -r chown -h -- \"$1\" < \"$m/own.$i\"; shift; i=$((i+1)); done",
      "i=0",
      "for mode; do xargs -0 -r chmod -- \"$mode\" < \"$m/mode.$i\"; i=$((i+1)); done",
      "xargs -0 -r sync -- < \"$m/temps\" 2>/dev/null || sync",
      // One process for every rename where perl is (Debian's perl-base is essential): mv -T is a
      // process a file, most of a remote install of 1,000 sites (13,000 files) without it.
      "if command -v perl >/dev/null 2>&1; then",
      "  perl -e '" + RENAME + "' < \"$m/renames\"",
      "else",
      "  xargs -0 -r -n 2 mv -T -- < \"$m/renames\"",
      "fi",
      "done=1");

  private final ByteArrayOutputStream tar = new ByteArrayOutputStream();
  private final Map<String, List<String>> owners = new LinkedHashMap<>();
  private final Map<Integer, List<String>> modes = new LinkedHashMap<>();
  private final List<String> temps = new ArrayList<>();
  private final List<String> renames = new ArrayList<>();
  private final List<String> targets = new ArrayList<>();
  private long contentBytes;

  /** @return whether nothing is held back */
  boolean isEmpty() {
    return targets.isEmpty();
  }

  /** @return how many changes are held back */
  int size() {
    return targets.size();
  }

  /** @return whether the batch holds enough to be applied now */
  boolean full() {
    return contentBytes >= MAX_BYTES;
  }

  /** @return the paths the batch changes, in order */
  List<String> targets() {
    return List.copyOf(targets);
  }

  /** A new file, written as {@code tmp} and renamed over {@code path}. */
  void file(String path, String tmp, byte[] content, FileMode mode) {
    entry(tmp, '0', content, "");
    temps.add(tmp);
    ownerAndMode(tmp, mode);
    renames.add(tmp);
    renames.add(path);
    targets.add(path);
    contentBytes += content.length;
  }

  /** A new link, made as {@code tmp} and renamed over {@code path}. */
  void link(String path, String tmp, String target) {
    entry(tmp, '2', new byte[0], target);
    temps.add(tmp);
    renames.add(tmp);
    renames.add(path);
    targets.add(path);
  }

  /** A directory: created when {@code create}, then given its owner, group and mode. */
  void directory(String path, FileMode mode, boolean create) {
    if (create) {
      entry(path, '5', new byte[0], "");
    }
    ownerAndMode(path, mode);
    targets.add(path);
  }

  private void ownerAndMode(String path, FileMode mode) {
    if (mode.owner().isPresent() || mode.group().isPresent()) {
      String spec = mode.owner().orElse("") + mode.group().map(g -> ":" + g).orElse("");
      owners.computeIfAbsent(spec, k -> new ArrayList<>()).add(path);
    }
    modes.computeIfAbsent(mode.permissions(), k -> new ArrayList<>()).add(path);
  }

  /** @return the one command that applies the batch */
  Command command() {
    // The lists first: if the stream is cut short, the script still knows which temporary files to remove.
    ByteArrayOutputStream out = new ByteArrayOutputStream(tar.size() + 4096);
    list(out, "temps", temps);
    List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", SCRIPT, "sh", Integer.toString(owners.size())));
    int i = 0;
    for (Map.Entry<String, List<String>> e : owners.entrySet()) {
      argv.add(e.getKey());
      list(out, "own." + i++, e.getValue());
    }
    i = 0;
    for (Map.Entry<Integer, List<String>> e : modes.entrySet()) {
      argv.add(String.format("%04o", e.getKey()));
      list(out, "mode." + i++, e.getValue());
    }
    list(out, "renames", renames);
    out.writeBytes(tar.toByteArray());
    out.writeBytes(new byte[1024]); // end of archive
    return Command.of(argv).withStdin(out.toByteArray()).withTimeout(SshExec.INTERNAL_TIMEOUT)
        .withDisplay("apply " + targets.size() + " change(s) in one stream");
  }

  /** Adds a NUL-separated list, by a relative name (extracted into the script's private directory). */
  private static void list(ByteArrayOutputStream out, String name, List<String> paths) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (String p : paths) {
      body.writeBytes(p.getBytes(StandardCharsets.UTF_8));
      body.write(0);
    }
    header(out, name, '0', body.size(), "");
    out.writeBytes(body.toByteArray());
    pad(out, body.size());
  }

  private void entry(String name, char type, byte[] content, String linkTarget) {
    header(tar, name, type, content.length, linkTarget);
    tar.writeBytes(content);
    pad(tar, content.length);
  }

  private static void pad(ByteArrayOutputStream out, long size) {
    int rest = (int) (size % 512);
    if (rest != 0) {
      out.writeBytes(new byte[512 - rest]);
    }
  }

  /**
   * Writes a ustar header, preceded by a PAX extended header when the name or the link target
   * does not fit its field.
   */
  private static void header(ByteArrayOutputStream out, String name, char type, long size, String linkTarget) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    byte[] l = linkTarget.getBytes(StandardCharsets.UTF_8);
    if (n.length > 100 || l.length > 100) {
      ByteArrayOutputStream pax = new ByteArrayOutputStream();
      if (n.length > 100) {
        pax.writeBytes(paxRecord("path", name));
      }
      if (l.length > 100) {
        pax.writeBytes(paxRecord("linkpath", linkTarget));
      }
      ustar(out, "././@PaxHeader".getBytes(StandardCharsets.US_ASCII), 'x', pax.size(), new byte[0]);
      out.writeBytes(pax.toByteArray());
      pad(out, pax.size());
    }
    ustar(out, n.length > 100 ? shortName(n) : n, type, size, l.length > 100 ? new byte[0] : l);
  }

  /** @return a PAX record: its length (counting itself), key, value, newline */
  private static byte[] paxRecord(String key, String value) {
    byte[] kv = (" " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8);
    int len = kv.length + 1;
    while (Integer.toString(len).length() + kv.length != len) {
      len = Integer.toString(len).length() + kv.length;
    }
    ByteArrayOutputStream r = new ByteArrayOutputStream();
    r.writeBytes(Integer.toString(len).getBytes(StandardCharsets.US_ASCII));
    r.writeBytes(kv);
    return r.toByteArray();
  }

  /** @return the last 100 bytes of a long name (the PAX header before it holds the real one) */
  private static byte[] shortName(byte[] n) {
    byte[] s = new byte[100];
    System.arraycopy(n, n.length - 100, s, 0, 100);
    return s;
  }

  private static void ustar(ByteArrayOutputStream out, byte[] name, char type, long size, byte[] link) {
    byte[] h = new byte[512];
    System.arraycopy(name, 0, h, 0, name.length);
    octal(h, 100, 8, type == '5' ? 0700 : 0600);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, System.currentTimeMillis() / 1000);
    h[156] = (byte) type;
    System.arraycopy(link, 0, h, 157, link.length);
    System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum);
    out.writeBytes(h);
  }

  /** Writes a number as zero-padded octal digits followed by NUL, filling the field. */
  private static void octal(byte[] h, int off, int len, long value) {
    String s = Long.toOctalString(value);
    if (s.length() > len - 1) {
      throw new IllegalArgumentException("does not fit a tar header field: " + value);
    }
    s = "0".repeat(len - 1 - s.length()) + s;
    System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, off, len - 1);
    h[off + len - 1] = 0;
  }
}
