package net.aegirj.provision.services.drupal;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.services.drupal.ArchiveCheck.Kind;
import net.aegirj.provision.services.drupal.ArchiveCheck.Member;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unpacks a site archive that {@link ArchiveCheck} accepts, into a directory that does not exist
 * yet, without {@code tar}: what is written is what was checked.
 *
 * <p>The archive is read twice. The first reading checks every member and the archive as a whole
 * and writes nothing. The second unpacks, and checks again: every member must be the one the
 * first reading found (path, kind, mode, size, link target), so an archive that is changed or
 * replaced in between is refused before anything of the change is written (on the local machine
 * both readings use the same open file, so renaming another file to the archive's name changes
 * nothing). Everything is written inside the new directory, which is 0700 until the end: files
 * are created new ({@code O_EXCL}, never through a link), no member is written under a link, and
 * links are made last of all by nobody but this code. Ownership is never taken from the archive
 * (everything belongs to the user Provision runs as; Aegir's web directories {@code files/} and
 * {@code private/} to the web group, as the site's directories step makes them); permission bits
 * are the archive's less set-id, sticky and world-write bits. A last sweep over the unpacked
 * tree makes sure of it.
 *
 * <p>On the local machine files are streamed to disk with java.nio; on another host (and on a
 * {@code FakeHost} in tests) the archive is read into memory, up to {@link #IN_MEMORY_LIMIT}
 * bytes, and written through {@link Host}.
 */
final class SafeExtract {
  private static final Logger LOG = LoggerFactory.getLogger(SafeExtract.class);
  /** Largest archive read into memory, for a master that is not the local machine. */
  static final long IN_MEMORY_LIMIT = 512L << 20;

  private SafeExtract() {}

  /**
   * Checks an archive, then unpacks it into {@code target}.
   *
   * @param check the rules, naming the site and the archive
   * @param h the host the archive and the target are on
   * @param archive the archive
   * @param target a directory that does not exist yet; its parent must
   * @param webGroup the web server's group, for {@code files/} and {@code private/}
   * @return the members unpacked
   * @throws InvalidContextException when the archive breaks a rule (nothing was written)
   */
  static List<Member> unpack(ArchiveCheck check, Host h, Path archive, Path target, String webGroup) {
    try {
      if (h.isLocal()) {
        try (FileChannel ch = FileChannel.open(archive, StandardOpenOption.READ)) {
          List<Member> checked = check.read(new KeepOpen(Channels.newInputStream(ch)), ArchiveCheck.CHECK_ONLY, null);
          ch.position(0);
          LocalSink sink = new LocalSink(target, webGroup);
          check.read(new KeepOpen(Channels.newInputStream(ch)), sink, checked);
          sink.finish();
          return checked;
        }
      }
      long size = h.stat(archive).map(FileInfo::size).orElse(0L);
      if (size > IN_MEMORY_LIMIT) {
        throw check.refuse(null, "is " + size + " bytes; on a master that is not the local machine archives are read"
            + " into memory, up to " + IN_MEMORY_LIMIT + " bytes");
      }
      byte[] bytes = h.read(archive).orElseThrow(() -> check.refuse(null, "does not exist"));
      List<Member> checked = check.read(new ByteArrayInputStream(bytes), ArchiveCheck.CHECK_ONLY, null);
      HostSink sink = new HostSink(h, target, webGroup);
      check.read(new ByteArrayInputStream(bytes), sink, checked);
      sink.finish();
      return checked;
    } catch (IOException e) {
      throw new ProvisionException("cannot unpack " + archive + " into " + target + ": " + e, e);
    }
  }

  /** The permission bits a path may keep after unpacking (see the class comment). */
  static int clean(String rel, boolean dir, int mode) {
    int m = mode & ~(04000 | 01000 | 0002);
    boolean setgidDir = dir && (ArchiveCheck.WEB_DIRS.contains(rel) || ArchiveCheck.underWebDir(rel));
    return setgidDir ? m : m & ~02000;
  }

  private static List<String> parents(String rel) {
    List<String> out = new ArrayList<>();
    int slash = -1;
    while ((slash = rel.indexOf('/', slash + 1)) >= 0) {
      out.add(rel.substring(0, slash));
    }
    return out;
  }

  /** Deepest first, so that a directory without write permission is closed after its contents. */
  private static final Comparator<String> DEEPEST_FIRST =
      Comparator.comparingInt((String p) -> p.split("/").length).reversed().thenComparing(Comparator.naturalOrder());

  /** Writes to the local file system. */
  private static final class LocalSink implements ArchiveCheck.Sink {
    private final Path root;
    private final String webGroup;
    private final Map<String, Integer> dirModes = new LinkedHashMap<>();
    private final Set<String> made = new HashSet<>();
    private final List<Member> links = new ArrayList<>();
    private GroupPrincipal group;

    LocalSink(Path root, String webGroup) throws IOException {
      this.root = root;
      this.webGroup = webGroup;
      Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      made.add(".");
    }

    private Path at(String rel) {
      return rel.equals(".") ? root : root.resolve(rel);
    }

    private void mkdir(String rel, int archiveMode) throws IOException {
      Path p = at(rel);
      Files.createDirectory(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      made.add(rel);
      dirModes.put(rel, ArchiveCheck.dirMode(rel, archiveMode));
      if (ArchiveCheck.WEB_DIRS.contains(rel)) {
        // Group first (a change of group clears set-gid), then 02770: what is unpacked below
        // belongs to the web group.
        if (group == null) {
          group = root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(webGroup);
        }
        Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(group);
        Files.setAttribute(p, "unix:mode", Drupal.WEB_DIR, LinkOption.NOFOLLOW_LINKS);
      }
    }

    private void parentsOf(String rel) throws IOException {
      for (String parent : parents(rel)) {
        if (!made.contains(parent)) {
          mkdir(parent, 0755);
        }
      }
    }

    @Override
    public void accept(Member m, InputStream content) throws IOException {
      if (m.path().equals(".")) {
        return;
      }
      parentsOf(m.path());
      Path p = at(m.path());
      switch (m.kind()) {
        case DIRECTORY -> {
          if (made.contains(m.path())) {
            dirModes.put(m.path(), ArchiveCheck.dirMode(m.path(), m.mode()));
          } else {
            mkdir(m.path(), m.mode());
          }
        }
        case FILE -> {
          try (OutputStream out = Files.newOutputStream(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
              LinkOption.NOFOLLOW_LINKS)) {
            content.transferTo(out);
          }
          Files.setAttribute(p, "unix:mode", ArchiveCheck.fileMode(m), LinkOption.NOFOLLOW_LINKS);
        }
        case SYMLINK -> links.add(m);
      }
    }

    void finish() throws IOException {
      for (String d : ArchiveCheck.WEB_DIRS) {
        if (!made.contains(d)) {
          mkdir(d, Drupal.WEB_DIR);
        }
      }
      for (Member l : links) {
        Files.createSymbolicLink(at(l.path()), Path.of(l.target()));
      }
      List<String> dirs = new ArrayList<>(dirModes.keySet());
      dirs.sort(DEEPEST_FIRST);
      for (String d : dirs) {
        Files.setAttribute(at(d), "unix:mode", dirModes.get(d), LinkOption.NOFOLLOW_LINKS);
      }
      Files.setAttribute(root, "unix:mode", Drupal.SITE_DIR, LinkOption.NOFOLLOW_LINKS);
      sweep();
    }

    /** Nothing set-uid, sticky or world-writable; set-gid only on the web directories. */
    private void sweep() throws IOException {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
          fix(dir, attrs);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          fix(file, attrs);
          return FileVisitResult.CONTINUE;
        }
      });
    }

    private void fix(Path p, BasicFileAttributes attrs) throws IOException {
      if (attrs.isSymbolicLink()) {
        return;
      }
      if (!attrs.isDirectory() && !attrs.isRegularFile()) {
        throw new ProvisionException("unpacking made " + p + ", which is neither a file, a directory nor a link");
      }
      String rel = p.equals(root) ? "." : root.relativize(p).toString();
      if (attrs.isRegularFile() && ((Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS)) > 1) {
        throw new ProvisionException("unpacking made " + p + ", which has more than one name (a hard link)");
      }
      int mode = ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
      int clean = clean(rel, attrs.isDirectory(), mode);
      if (clean != mode) {
        LOG.debug("{}: mode {} made {}", p, ArchiveCheck.octal(mode), ArchiveCheck.octal(clean));
        Files.setAttribute(p, "unix:mode", clean, LinkOption.NOFOLLOW_LINKS);
      }
    }
  }

  /** Writes through a {@link Host}: another machine, or a fake in tests. */
  private static final class HostSink implements ArchiveCheck.Sink {
    private final Host h;
    private final Path root;
    private final String webGroup;
    private final Map<String, Integer> dirModes = new LinkedHashMap<>();
    private final Set<String> made = new HashSet<>();
    private final List<Member> links = new ArrayList<>();

    HostSink(Host h, Path root, String webGroup) {
      this.h = h;
      this.root = root;
      this.webGroup = webGroup;
      if (h.stat(root).isPresent()) {
        throw new ProvisionException(h.name() + ": " + root + " exists; unpacking needs a new directory");
      }
      h.mkdirs(root, FileMode.of(0700));
      made.add(".");
    }

    private Path at(String rel) {
      return rel.equals(".") ? root : root.resolve(rel);
    }

    private void mkdir(String rel, int archiveMode) {
      made.add(rel);
      int mode = ArchiveCheck.dirMode(rel, archiveMode);
      dirModes.put(rel, mode);
      h.mkdirs(at(rel), ArchiveCheck.WEB_DIRS.contains(rel) ? FileMode.of(mode).withGroup(webGroup) : FileMode.of(0700));
    }

    @Override
    public void accept(Member m, InputStream content) throws IOException {
      if (m.path().equals(".")) {
        return;
      }
      for (String parent : parents(m.path())) {
        if (!made.contains(parent)) {
          mkdir(parent, 0755);
        }
      }
      switch (m.kind()) {
        case DIRECTORY -> {
          if (made.contains(m.path())) {
            dirModes.put(m.path(), ArchiveCheck.dirMode(m.path(), m.mode()));
          } else {
            mkdir(m.path(), m.mode());
          }
        }
        case FILE -> h.write(at(m.path()), content.readAllBytes(), FileMode.of(ArchiveCheck.fileMode(m)));
        case SYMLINK -> links.add(m);
      }
    }

    void finish() {
      for (String d : ArchiveCheck.WEB_DIRS) {
        if (!made.contains(d)) {
          mkdir(d, Drupal.WEB_DIR);
        }
      }
      for (Member l : links) {
        h.symlink(at(l.path()), l.target());
      }
      List<String> dirs = new ArrayList<>(dirModes.keySet());
      dirs.sort(DEEPEST_FIRST);
      for (String d : dirs) {
        FileMode mode = FileMode.of(dirModes.get(d));
        h.mkdirs(at(d), ArchiveCheck.WEB_DIRS.contains(d) ? mode.withGroup(webGroup) : mode);
      }
      h.mkdirs(root, FileMode.of(Drupal.SITE_DIR));
      sweep(".");
    }

    private void sweep(String rel) {
      Path p = at(rel);
      Optional<FileInfo> info = h.stat(p);
      if (info.isEmpty() || info.get().type() == FileInfo.Type.SYMLINK) {
        return;
      }
      FileInfo i = info.get();
      boolean dir = i.type() == FileInfo.Type.DIRECTORY;
      if (!dir && i.type() != FileInfo.Type.FILE) {
        throw new ProvisionException(h.name() + ": unpacking made " + p + ", which is neither a file, a directory nor a link");
      }
      int mode = i.permissions() & 07777;
      int clean = clean(rel, dir, mode);
      if (clean != mode) {
        if (dir) {
          h.mkdirs(p, FileMode.of(clean));
        } else {
          h.write(p, h.read(p).orElseThrow(), FileMode.of(clean));
        }
      }
      if (dir) {
        for (String name : h.list(p)) {
          sweep(rel.equals(".") ? name : rel + "/" + name);
        }
      }
    }
  }

  /** Leaves the channel open when the readers on top of it are closed. */
  private static final class KeepOpen extends FilterInputStream {
    KeepOpen(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // the channel is closed by its owner
    }
  }
}
