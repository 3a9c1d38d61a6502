package net.aegirj.provision.services.drupal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.services.db.MySql;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * The rules a site archive (a {@code .tar.gz} a user hands to restore or deploy) must follow
 * before any of it is unpacked. An archive is untrusted input: it may come from anyone. It is
 * read in Java (Apache Commons Compress), never by {@code tar}, so that what is checked is
 * exactly what is unpacked.
 *
 * <p>Refused, each with an {@link InvalidContextException} that names the archive and the
 * member:
 *
 * <ul>
 *   <li>absolute paths and {@code ..} components; names with NUL; paths longer than
 *       {@link Limits#maxPathLength()} characters or with a component over 255;
 *   <li>hard links, character and block devices, FIFOs, sparse files and every other kind of
 *       member than a directory, a regular file and a symbolic link;
 *   <li>set-uid, set-gid and sticky bits on files, and set-uid and sticky bits on directories
 *       (Aegir's own web directories are set-gid; a directory's bits are never taken from the
 *       archive anyway);
 *   <li>symbolic links with an absolute target, or whose target, resolved from the link's own
 *       directory through the other links in the archive, leaves the site directory, loops, or
 *       reaches {@code settings.php}, {@code drushrc.php}, {@code database.sql} or (from outside
 *       {@code private/}) the private directory;
 *   <li>members under a symbolic link or a file, members that appear twice, and the paths
 *       Provision itself uses ({@code files}, {@code private} and its directories,
 *       {@code modules}, {@code themes}, {@code libraries}; {@code settings.php},
 *       {@code drushrc.php}, {@code database.sql}) when they are not a directory or a regular file
 *       as expected;
 *   <li>more than {@link Limits#maxMembers()} members, more than {@link Limits#maxTotalBytes()}
 *       bytes in all, or metadata (long names, pax headers) over 1 MiB for one member; the
 *       decompressed stream is read with a bound, so a gzip bomb ends in a refusal;
 *   <li>an archive without {@code ./database.sql}.
 * </ul>
 *
 * <p>Ownership is never taken from an archive, nor are modes beyond the permission bits (see
 * {@link #fileMode} and {@link #dirMode}).
 */
final class ArchiveCheck {
  /** Default bound on the bytes of all members together: 64 GiB. */
  static final long MAX_TOTAL_BYTES = 64L << 30;
  /** Default bound on the number of members. */
  static final int MAX_MEMBERS = 1_000_000;
  /** Default bound on the length of a member's path, in characters. */
  static final int MAX_PATH_LENGTH = 4096;
  /** Longest component of a path (the file systems' NAME_MAX). */
  static final int MAX_NAME_LENGTH = 255;
  /** Bound on the header bytes of one member (its long name and pax records included). */
  static final int MAX_HEADER_BYTES = 1 << 20;
  /** How many symbolic links a target may pass through (the kernel's limit). */
  static final int MAX_LINK_HOPS = 40;

  /** Directories Provision creates in a site and relies on: never links, never files. */
  static final List<String> WEB_DIRS = List.of("files", "private", "private/files", "private/temp",
      "private/config", "private/config/sync");
  static final List<String> CODE_DIRS = List.of("modules", "themes", "libraries");
  /** Files Provision reads or writes in a site: regular files only, and never a link's target. */
  static final Set<String> SITE_FILES = Set.of("settings.php", "drushrc.php", MySql.DUMP);

  /**
   * The bounds an archive must keep.
   *
   * @param maxTotalBytes the bytes of all members together
   * @param maxMembers the number of members
   * @param maxPathLength the characters of one member's path
   */
  record Limits(long maxTotalBytes, int maxMembers, int maxPathLength) {
    static final Limits DEFAULT = new Limits(MAX_TOTAL_BYTES, MAX_MEMBERS, MAX_PATH_LENGTH);
  }

  /** What a member is. */
  enum Kind { DIRECTORY, FILE, SYMLINK }

  /**
   * One checked member.
   *
   * @param path its path relative to the site directory, normalised ({@code .} for the directory
   *     itself)
   * @param kind what it is
   * @param mode its permission bits as the archive gives them
   * @param size its bytes (files only)
   * @param target a link's target, else null
   * @param name its name as the archive gives it, for messages
   */
  record Member(String path, Kind kind, int mode, long size, String target, String name) {}

  /** Receives the members of an archive in their order, each checked before it arrives. */
  interface Sink {
    /**
     * @param m a directory, a file or a link
     * @param content a file's bytes (exactly {@code m.size()} of them), else an empty stream
     */
    void accept(Member m, InputStream content) throws IOException;
  }

  /** A sink that reads and forgets: the check alone. */
  static final Sink CHECK_ONLY = (m, content) -> content.transferTo(OutputStreamNull.INSTANCE);

  private final String context;
  private final String archive;
  private final Limits limits;

  /**
   * @param context the site, for messages
   * @param archive the archive as the user named it, for messages
   * @param limits the bounds
   */
  ArchiveCheck(String context, String archive, Limits limits) {
    this.context = context;
    this.archive = archive;
    this.limits = limits;
  }

  InvalidContextException refuse(String member, String why) {
    String what = member == null ? "" : " member " + Text.quote(member);
    return new InvalidContextException(context, "file", archive + ":" + what + " " + why
        + "; nothing was unpacked from it");
  }

  /**
   * Reads a whole archive, checks every member and the archive as a whole, and hands the members
   * to a sink as they come.
   *
   * @param gzip the archive's bytes (gzip-compressed tar)
   * @param sink where checked members go, e.g. {@link #CHECK_ONLY}
   * @param expected null on a first reading; on a second, the members the first one found, which
   *     this one must find again, member for member (the archive may have changed in between)
   * @return the members
   * @throws InvalidContextException when the archive breaks a rule
   * @throws IOException when the sink cannot write
   */
  List<Member> read(InputStream gzip, Sink sink, List<Member> expected) throws IOException {
    List<Member> members = new ArrayList<>();
    Map<String, Member> byPath = new HashMap<>();
    Map<String, Kind> implied = new HashMap<>();
    long total = 0;
    Budget budget;
    try {
      budget = new Budget(new GzipCompressorInputStream(gzip, false));
    } catch (IOException e) {
      throw refuse(null, "is not a gzip-compressed tar archive (" + e.getMessage() + ")");
    }
    // Overall bound on the decompressed stream: the members, plus headers and padding.
    long streamCap = limits.maxTotalBytes() + Math.min((long) limits.maxMembers() * 4096, 1L << 30) + (1L << 20);
    TarArchiveInputStream tar = new TarArchiveInputStream(budget, StandardCharsets.UTF_8.name());
    String last = null;
    while (true) {
      budget.allow(MAX_HEADER_BYTES + 2L * TarConstants.DEFAULT_BLKSIZE, streamCap);
      TarArchiveEntry e;
      try {
        e = tar.getNextEntry();
      } catch (Budget.Exceeded x) {
        throw refuse(last, x.getMessage().startsWith("stream")
            ? "is followed by more than " + streamCap + " decompressed bytes"
            : "is followed by a header (long name or pax records) of more than " + MAX_HEADER_BYTES + " bytes");
      } catch (IOException | RuntimeException x) {
        throw refuse(last, (last == null ? "is not a readable tar.gz archive: " : "is followed by an unreadable header: ")
            + x.getMessage());
      }
      if (e == null) {
        break;
      }
      String raw = e.getName();
      last = raw;
      if (members.size() >= limits.maxMembers()) {
        throw refuse(raw, "is one more than the " + limits.maxMembers() + " members an archive may hold");
      }
      Member m = member(e, raw);
      if (m.kind() == Kind.FILE) {
        total += m.size();
        if (total > limits.maxTotalBytes()) {
          throw refuse(raw, "brings the archive over " + limits.maxTotalBytes() + " bytes");
        }
      }
      place(m, raw, byPath, implied);
      if (expected != null) {
        Member was = members.size() < expected.size() ? expected.get(members.size()) : null;
        if (!m.equals(was)) {
          throw refuse(raw, "differs from what the archive held when it was checked: the archive changed while it"
              + " was read; leave it alone and try again");
        }
      }
      members.add(m);
      byPath.put(m.path(), m);
      budget.allow(m.kind() == Kind.FILE ? m.size() + TarConstants.DEFAULT_RCDSIZE : TarConstants.DEFAULT_RCDSIZE, streamCap);
      try {
        sink.accept(m, new Bounded(tar, m.kind() == Kind.FILE ? m.size() : 0));
      } catch (Unreadable x) {
        throw refuse(raw, "cannot be read: " + x.getMessage());
      }
    }
    if (expected != null && members.size() != expected.size()) {
      throw refuse(null, "holds " + members.size() + " members now, " + expected.size() + " when it was checked:"
          + " the archive changed while it was read; leave it alone and try again");
    }
    Member dump = byPath.get(MySql.DUMP);
    if (dump == null) {
      throw refuse(null, "holds no ./" + MySql.DUMP + "; is it a backup made by Provision?");
    }
    for (Member m : members) {
      if (m.kind() == Kind.SYMLINK) {
        checkTarget(m, byPath);
      }
    }
    return members;
  }

  private Member member(TarArchiveEntry e, String raw) {
    String path = normalise(raw);
    byte flag = e.getLinkFlag();
    if (e.isSparse() || flag == TarConstants.LF_GNUTYPE_SPARSE) {
      throw refuse(raw, "is a sparse file; unpack it and archive it again without --sparse");
    }
    Kind kind = switch (flag) {
      case TarConstants.LF_NORMAL, TarConstants.LF_OLDNORM -> raw.endsWith("/") ? Kind.DIRECTORY : Kind.FILE;
      case TarConstants.LF_DIR -> Kind.DIRECTORY;
      case TarConstants.LF_SYMLINK -> Kind.SYMLINK;
      case TarConstants.LF_LINK -> throw refuse(raw, "is a hard link (to " + Text.quote(e.getLinkName())
          + "); archives with hard links are refused: archive with tar --hard-dereference");
      case TarConstants.LF_CHR -> throw refuse(raw, "is a character device; devices are refused");
      case TarConstants.LF_BLK -> throw refuse(raw, "is a block device; devices are refused");
      case TarConstants.LF_FIFO -> throw refuse(raw, "is a FIFO (named pipe); FIFOs are refused");
      default -> throw refuse(raw, "is of an unknown kind (tar type " + Text.quote(String.valueOf((char) (flag & 0xff)))
          + "); only directories, regular files and symbolic links are unpacked");
    };
    int mode = e.getMode() & 07777;
    if (kind != Kind.SYMLINK) {
      if ((mode & 04000) != 0) {
        throw refuse(raw, "is set-uid (mode " + octal(mode) + "); set-uid members are refused");
      }
      if ((mode & 01000) != 0) {
        throw refuse(raw, "has the sticky bit (mode " + octal(mode) + "); it is refused");
      }
      if (kind == Kind.FILE && (mode & 02000) != 0) {
        throw refuse(raw, "is set-gid (mode " + octal(mode) + "); set-gid files are refused");
      }
    }
    long size = e.getSize();
    if (size < 0) {
      throw refuse(raw, "has a negative size");
    }
    if (kind != Kind.FILE && size != 0) {
      throw refuse(raw, "is a " + kind.name().toLowerCase(Locale.ROOT) + " that claims " + size
          + " bytes of content");
    }
    String target = null;
    if (kind == Kind.SYMLINK) {
      target = e.getLinkName();
      if (target == null || target.isEmpty()) {
        throw refuse(raw, "is a symbolic link without a target");
      }
      if (target.indexOf('\0') >= 0) {
        throw refuse(raw, "is a symbolic link whose target holds a NUL character");
      }
      if (target.startsWith("/")) {
        throw refuse(raw, "is a symbolic link to the absolute path " + Text.quote(target)
            + "; links must stay inside the site directory (relative targets only)");
      }
      if (target.length() > limits.maxPathLength()) {
        throw refuse(raw, "is a symbolic link whose target is longer than " + limits.maxPathLength() + " characters");
      }
    }
    if (path.equals(".") && kind != Kind.DIRECTORY) {
      throw refuse(raw, "stands for the site directory itself but is not a directory");
    }
    return new Member(path, kind, mode, kind == Kind.FILE ? size : 0, target, raw);
  }

  /** The member's path relative to the site directory; refuses what could lead outside it. */
  String normalise(String raw) {
    if (raw == null || raw.isEmpty()) {
      throw refuse(raw, "has an empty name");
    }
    if (raw.indexOf('\0') >= 0) {
      throw refuse(raw, "has a NUL character in its name");
    }
    if (raw.length() > limits.maxPathLength()) {
      throw refuse(raw, "has a path longer than " + limits.maxPathLength() + " characters");
    }
    if (raw.startsWith("/")) {
      throw refuse(raw, "has an absolute path; members must be relative to the site directory");
    }
    List<String> parts = new ArrayList<>();
    for (String c : raw.split("/", -1)) {
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        throw refuse(raw, "has a '..' component; members must stay inside the site directory");
      }
      if (c.length() > MAX_NAME_LENGTH) {
        throw refuse(raw, "has a name component longer than " + MAX_NAME_LENGTH + " characters");
      }
      parts.add(c);
    }
    return parts.isEmpty() ? "." : String.join("/", parts);
  }

  /**
   * Checks a member's place among the ones before it: not twice, not under a link or a file, and
   * the paths Provision uses are what they should be.
   */
  private void place(Member m, String raw, Map<String, Member> byPath, Map<String, Kind> implied) {
    String p = m.path();
    if (byPath.containsKey(p)) {
      throw refuse(raw, "appears twice in the archive");
    }
    if (!p.equals(".")) {
      int slash = -1;
      while ((slash = p.indexOf('/', slash + 1)) >= 0) {
        String parent = p.substring(0, slash);
        Member before = byPath.get(parent);
        if (before != null && before.kind() != Kind.DIRECTORY) {
          throw refuse(raw, "lies under " + Text.quote(parent) + ", which is a "
              + (before.kind() == Kind.SYMLINK ? "symbolic link" : "file") + " in the archive");
        }
        implied.put(parent, Kind.DIRECTORY);
      }
      if (implied.containsKey(p) && m.kind() != Kind.DIRECTORY) {
        throw refuse(raw, "is a " + kindName(m.kind()) + ", but members before it lie under it");
      }
    }
    if ((WEB_DIRS.contains(p) || CODE_DIRS.contains(p)) && m.kind() != Kind.DIRECTORY) {
      throw refuse(raw, "is a " + kindName(m.kind()) + "; the site's " + p + " must be a directory");
    }
    if (SITE_FILES.contains(p) && m.kind() != Kind.FILE) {
      throw refuse(raw, "is a " + kindName(m.kind()) + "; the site's " + p + " must be a regular file");
    }
  }

  private static String kindName(Kind k) {
    return switch (k) {
      case DIRECTORY -> "directory";
      case FILE -> "file";
      case SYMLINK -> "symbolic link";
    };
  }

  /**
   * Resolves a link's target as the kernel would, from the link's directory through the links of
   * the archive, and refuses one that leaves the site directory, loops, or reaches what must not
   * be linked to.
   */
  private void checkTarget(Member link, Map<String, Member> byPath) {
    Deque<String> at = new ArrayDeque<>();
    String[] own = link.path().split("/");
    for (int i = 0; i < own.length - 1; i++) {
      at.addLast(own[i]);
    }
    Deque<String> todo = new ArrayDeque<>(List.of(link.target().split("/")));
    int hops = 0;
    while (!todo.isEmpty()) {
      String c = todo.pollFirst();
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (at.isEmpty()) {
          throw refuse(link.name(), "is a symbolic link to " + Text.quote(link.target())
              + ", which leads out of the site directory; links must stay inside it");
        }
        at.removeLast();
        continue;
      }
      at.addLast(c);
      Member m = byPath.get(String.join("/", at));
      if (m != null && m.kind() == Kind.SYMLINK) {
        if (++hops > MAX_LINK_HOPS) {
          throw refuse(link.name(), "is a symbolic link that passes through more than " + MAX_LINK_HOPS
              + " links (a loop?)");
        }
        at.removeLast();
        if (m.target().startsWith("/")) {
          throw refuse(link.name(), "is a symbolic link through " + Text.quote(m.path()) + " to an absolute path");
        }
        List<String> next = List.of(m.target().split("/"));
        for (int i = next.size() - 1; i >= 0; i--) {
          todo.addFirst(next.get(i));
        }
      }
    }
    String resolved = String.join("/", at);
    if (SITE_FILES.contains(resolved)) {
      throw refuse(link.name(), "is a symbolic link to the site's " + resolved + "; links to it are refused");
    }
    boolean fromPrivate = link.path().equals("private") || link.path().startsWith("private/");
    if (!fromPrivate && (resolved.equals("private") || resolved.startsWith("private/"))) {
      throw refuse(link.name(), "is a symbolic link into the site's private directory from outside it;"
          + " links to private files are refused");
    }
  }

  /**
   * The permission bits a file gets: the archive's, less set-id, sticky and world-write bits,
   * readable and writable by its owner; the site's own files ({@code settings.php},
   * {@code drushrc.php}, {@code database.sql}) 0600.
   */
  static int fileMode(Member m) {
    if (SITE_FILES.contains(m.path())) {
      return 0600;
    }
    return (m.mode() & 0775) | 0600;
  }

  /**
   * The permission bits a directory gets: the archive's, less set-id, sticky and world-write
   * bits, open to its owner; Aegir's web directories 02770 (their group is the web server's);
   * directories below them keep the set-gid bit they inherit from them, so that new files there
   * belong to the web group too.
   */
  static int dirMode(String path, int archiveMode) {
    if (WEB_DIRS.contains(path)) {
      return Drupal.WEB_DIR;
    }
    if (path.equals(".")) {
      return Drupal.SITE_DIR;
    }
    int m = (archiveMode & 0775) | 0700;
    return underWebDir(path) ? m | 02000 : m;
  }

  /** @return true for paths below {@code files/} or {@code private/} */
  static boolean underWebDir(String path) {
    return path.startsWith("files/") || path.startsWith("private/");
  }

  static String octal(int mode) {
    return String.format("%04o", mode);
  }

  // ------------------------------------------------------------------ streams

  /** Counts the decompressed bytes and refuses to go past the bound set for the next read. */
  private static final class Budget extends FilterInputStream {
    /** The bound was passed. */
    static final class Exceeded extends IOException {
      private static final long serialVersionUID = 1L;

      Exceeded(String what) {
        super(what);
      }
    }

    private long position;
    private long limit;
    private long cap;

    Budget(InputStream in) {
      super(in);
    }

    /** Allows {@code more} bytes from here on, never past {@code cap} in all. */
    void allow(long more, long cap) {
      this.limit = position + more;
      this.cap = cap;
    }

    private void check(long n) throws Exceeded {
      if (position + n > cap) {
        throw new Exceeded("stream");
      }
      if (position + n > limit) {
        throw new Exceeded("member");
      }
    }

    @Override
    public int read() throws IOException {
      check(1);
      int b = super.read();
      if (b >= 0) {
        position++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      long room = Math.min(limit, cap) - position;
      if (len > 0 && room <= 0) {
        check(1);
      }
      int n = super.read(b, off, (int) Math.min(len, Math.max(room, 1)));
      if (n > 0) {
        position += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buf = new byte[8192];
      long done = 0;
      while (done < n) {
        int r = read(buf, 0, (int) Math.min(buf.length, n - done));
        if (r < 0) {
          break;
        }
        done += r;
      }
      return done;
    }
  }

  /** The archive could not be read (as opposed to a sink that could not write). */
  static final class Unreadable extends IOException {
    private static final long serialVersionUID = 1L;

    Unreadable(String what) {
      super(what);
    }
  }

  /** A member's content: exactly its size, then end of stream; never closes the archive. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private long left;

    Bounded(InputStream in, long size) {
      this.in = in;
      this.left = size;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n;
      try {
        n = in.read(b, off, (int) Math.min(len, left));
      } catch (IOException e) {
        throw new Unreadable(e.getMessage());
      }
      if (n < 0) {
        throw new Unreadable("the archive ends inside the member (" + left + " bytes missing)");
      }
      left -= n;
      return n;
    }

    @Override
    public void close() {
      // the archive stays open
    }
  }

  /** Discards what it is given. */
  private static final class OutputStreamNull extends OutputStream {
    static final OutputStreamNull INSTANCE = new OutputStreamNull();

    @Override
    public void write(int b) {
      // discarded
    }

    @Override
    public void write(byte[] b, int off, int len) {
      // discarded
    }
  }
}
