package net.aegirj.provision.core.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.api.HostException;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.SyncResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine Provision runs on. File operations use java.nio (setuid, setgid and sticky bits
 * through {@code chmod}); commands run as child processes without a shell unless the command is an
 * operator's shell string. Syncing to the local host is a no-op: the paths are the same files.
 */
public final class LocalHost implements Host {
  private static final Logger LOG = LoggerFactory.getLogger(LocalHost.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String name;
  private final boolean deferDirectoryFlush;
  /** Directories whose renamed-in files are not yet flushed to disk ({@link #flush()}). */
  private final Set<Path> unflushed = ConcurrentHashMap.newKeySet();

  /**
   * A host that flushes each file's directory as soon as the file is renamed into place.
   *
   * @param name the host's name for messages, e.g. {@code @server_master (localhost)}
   */
  public LocalHost(String name) {
    this(name, false);
  }

  /**
   * @param name the host's name for messages, e.g. {@code @server_master (localhost)}
   * @param deferDirectoryFlush true to flush the directories of the files {@link #write} renamed
   *     into place at {@link #flush()} or {@link #close()}, each once, instead of after each file
   *     (a batch writes several files to one directory: the vhost directory, a site's directory).
   *     Each file's bytes still reach the disk before it is renamed, so a crash leaves the old
   *     file or the new one, whole; what the deferral risks is that a crash before the flush
   *     brings back an old file, which the next verify writes again.
   */
  public LocalHost(String name, boolean deferDirectoryFlush) {
    this.name = name;
    this.deferDirectoryFlush = deferDirectoryFlush;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean isLocal() {
    return true;
  }

  private static Path check(Path path) {
    if (!path.isAbsolute() || !path.normalize().equals(path)) {
      throw new IllegalArgumentException("not an absolute, normalised path: " + path);
    }
    return path;
  }

  private HostException failure(String what, Path path, Exception e) {
    return new HostException(name, "cannot " + what + " " + path + ": " + e, e);
  }

  /** Users and groups by name, looked up once per host (each lookup reads the account files). */
  private final Map<String, UserPrincipal> users = new ConcurrentHashMap<>();
  private final Map<String, GroupPrincipal> groups = new ConcurrentHashMap<>();

  /** User and group names by id, looked up once per host (each lookup reads the account files). */
  private final Map<Integer, String> userNames = new ConcurrentHashMap<>();
  private final Map<Integer, String> groupNames = new ConcurrentHashMap<>();

  @Override
  public Optional<FileInfo> stat(Path path) {
    check(path);
    try {
      // One lstat for every field; the names of the owner and group come from a cache.
      Map<String, Object> a = Files.readAttributes(path,
          "unix:mode,uid,gid,size,isSymbolicLink,isDirectory,isRegularFile", LinkOption.NOFOLLOW_LINKS);
      int mode = ((Integer) a.get("mode")) & 07777;
      boolean link = (Boolean) a.get("isSymbolicLink");
      FileInfo.Type type = link ? FileInfo.Type.SYMLINK
          : (Boolean) a.get("isDirectory") ? FileInfo.Type.DIRECTORY
          : (Boolean) a.get("isRegularFile") ? FileInfo.Type.FILE : FileInfo.Type.OTHER;
      Optional<String> target = link ? Optional.of(Files.readSymbolicLink(path).toString()) : Optional.empty();
      int uid = (Integer) a.get("uid");
      int gid = (Integer) a.get("gid");
      String owner = userNames.get(uid);
      String group = groupNames.get(gid);
      if (owner == null || group == null) {
        // Ids and names from one lstat, so that a name is never cached under another id.
        Map<String, Object> n = Files.readAttributes(path, "unix:uid,gid,owner,group", LinkOption.NOFOLLOW_LINKS);
        uid = (Integer) n.get("uid");
        gid = (Integer) n.get("gid");
        owner = ((UserPrincipal) n.get("owner")).getName();
        group = ((GroupPrincipal) n.get("group")).getName();
        userNames.put(uid, owner);
        groupNames.put(gid, group);
      }
      return Optional.of(new FileInfo(type, mode, owner, group, (Long) a.get("size"), target));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (FileSystemException e) {
      if (notADirectory(e)) {
        return Optional.empty(); // a path below a regular file: nothing is there
      }
      throw failure("stat", path, e);
    } catch (IOException e) {
      throw failure("stat", path, e);
    }
  }

  @Override
  public Optional<byte[]> read(Path path) {
    check(path);
    try {
      return Optional.of(Files.readAllBytes(path));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (FileSystemException e) {
      if (notADirectory(e)) {
        return Optional.empty();
      }
      throw failure("read", path, e);
    } catch (IOException e) {
      throw failure("read", path, e);
    }
  }

  private static boolean notADirectory(FileSystemException e) {
    return e.getReason() != null && e.getReason().contains("Not a directory");
  }

  @Override
  public boolean write(Path path, byte[] content, FileMode mode) {
    check(path);
    Optional<FileInfo> info = stat(path);
    if (info.isPresent() && info.get().type() != FileInfo.Type.FILE) {
      throw new HostException(name, "cannot write " + path + ": it is a " + info.get().type().name().toLowerCase());
    }
    boolean sameBytes = info.isPresent() && info.get().size() == content.length
        && read(path).map(b -> Arrays.equals(b, content)).orElse(false);
    if (sameBytes) {
      return applyMode(path, mode, info.get());
    }
    Path tmp = path.resolveSibling("." + path.getFileName() + ".tmp-" + HexFormat.of().formatHex(random()));
    try {
      // Private from the start: the content may be a secret until the final mode is set.
      try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      applyMode(tmp, mode, stat(tmp).orElseThrow());
      Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      if (deferDirectoryFlush) {
        unflushed.add(path.getParent());
      } else {
        flushDirectory(path.getParent()); // the rename itself reaches the disk
      }
      LOG.debug("{}: wrote {} ({} bytes, {})", name, path, content.length, mode);
      return true;
    } catch (IOException e) {
      throw failure("write", path, e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException e) {
        LOG.warn("{}: cannot remove {}: {}", name, tmp, e.getMessage());
      }
    }
  }

  private void flushDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some file systems cannot flush a directory; the rename itself is still atomic.
      LOG.debug("{}: cannot flush directory {}: {}", name, dir, e.getMessage());
    }
  }

  /**
   * Flushes the directories of the files renamed into place since the last flush (only a host
   * made to defer them holds any), each once.
   */
  @Override
  public void flush() {
    for (Path dir : List.copyOf(unflushed)) {
      if (unflushed.remove(dir)) {
        flushDirectory(dir);
      }
    }
  }

  private static byte[] random() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return b;
  }

  /** Sets owner, group and permissions where they differ; group first, as chgrp clears setgid. */
  private boolean applyMode(Path path, FileMode mode, FileInfo info) {
    boolean changed = false;
    try {
      PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class,
          LinkOption.NOFOLLOW_LINKS);
      UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
      if (mode.owner().isPresent() && !mode.owner().get().equals(info.owner())) {
        UserPrincipal u = users.get(mode.owner().get());
        if (u == null) {
          u = lookup.lookupPrincipalByName(mode.owner().get());
          users.put(mode.owner().get(), u);
        }
        view.setOwner(u);
        changed = true;
      }
      if (mode.group().isPresent() && !mode.group().get().equals(info.group())) {
        GroupPrincipal g = groups.get(mode.group().get());
        if (g == null) {
          g = lookup.lookupPrincipalByGroupName(mode.group().get());
          groups.put(mode.group().get(), g);
        }
        view.setGroup(g);
        changed = true;
      }
      int current = changed
          ? ((Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777
          : info.permissions();
      if (current != mode.permissions()) {
        // The unix view sets the setuid, setgid and sticky bits too, without a chmod process.
        Files.setAttribute(path, "unix:mode", mode.permissions(), LinkOption.NOFOLLOW_LINKS);
        changed = true;
      }
      return changed;
    } catch (IOException e) {
      throw failure("set mode " + mode + " on", path, e);
    }
  }

  @Override
  public boolean mkdirs(Path dir, FileMode mode) {
    check(dir);
    Optional<FileInfo> info = stat(dir);
    if (info.isPresent()) {
      if (info.get().type() == FileInfo.Type.SYMLINK && Files.isDirectory(dir)) {
        // A link to a directory elsewhere (shared storage for files/, say): used as it is; its
        // target's mode belongs to whoever set the link up.
        LOG.debug("{}: {} links to a directory; leaving its mode alone", name, dir);
        return false;
      }
      if (info.get().type() != FileInfo.Type.DIRECTORY) {
        throw new HostException(name, "cannot create directory " + dir + ": a "
            + info.get().type().name().toLowerCase() + " is in the way");
      }
      return applyMode(dir, mode, info.get());
    }
    List<Path> missing = new ArrayList<>();
    for (Path p = dir; p != null && stat(p).isEmpty(); p = p.getParent()) {
      missing.add(0, p);
    }
    try {
      for (Path p : missing) {
        try {
          Files.createDirectory(p);
        } catch (FileAlreadyExistsException e) {
          // Made by someone else meanwhile: fine if it is a directory; theirs to shape.
          if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            throw e;
          }
          continue;
        }
        if (!p.equals(dir)) {
          applyMode(p, FileMode.of(0755), stat(p).orElseThrow());
        }
      }
      applyMode(dir, mode, stat(dir).orElseThrow());
      return true;
    } catch (IOException e) {
      throw failure("create directory", dir, e);
    }
  }

  @Override
  public boolean rename(Path from, Path to) {
    check(from);
    check(to);
    if (stat(from).isEmpty()) {
      return false;
    }
    if (stat(to).isPresent()) {
      // rename(2) would replace an empty directory or a file
      throw new HostException(name, "cannot rename " + from + " to " + to + ": the target exists");
    }
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
      return true;
    } catch (FileAlreadyExistsException e) {
      throw new HostException(name, "cannot rename " + from + " to " + to + ": the target exists");
    } catch (IOException e) {
      throw failure("rename", from, e);
    }
  }

  @Override
  public boolean symlink(Path link, String target) {
    check(link);
    Optional<FileInfo> info = stat(link);
    if (info.isPresent()) {
      if (info.get().type() == FileInfo.Type.SYMLINK && info.get().linkTarget().orElse("").equals(target)) {
        return false;
      }
      if (info.get().type() == FileInfo.Type.DIRECTORY) {
        throw new HostException(name, "cannot link " + link + ": a directory is in the way");
      }
    }
    Path tmp = link.resolveSibling("." + link.getFileName() + ".tmp-" + HexFormat.of().formatHex(random()));
    try {
      Files.createSymbolicLink(tmp, Path.of(target));
      Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return true;
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort
      }
      throw failure("link", link, e);
    }
  }

  @Override
  public boolean remove(Path path) {
    check(path);
    if (path.getNameCount() == 0) {
      throw new IllegalArgumentException("refusing to remove /");
    }
    Optional<FileInfo> info = stat(path);
    if (info.isEmpty()) {
      return false;
    }
    try {
      if (info.get().type() != FileInfo.Type.DIRECTORY) {
        Files.delete(path);
        return true;
      }
      Files.walkFileTree(path, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
          if (exc != null) {
            throw exc;
          }
          try {
            Files.delete(d);
          } catch (DirectoryNotEmptyException e) {
            throw new IOException("directory changed while being removed: " + d, e);
          }
          return FileVisitResult.CONTINUE;
        }
      });
      return true;
    } catch (IOException e) {
      throw failure("remove", path, e);
    }
  }

  @Override
  public List<String> list(Path dir) {
    check(dir);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw failure("list", dir, e);
    }
  }

  @Override
  public CommandResult run(Command command) {
    long start = System.nanoTime();
    Process p;
    try {
      ProcessBuilder pb = new ProcessBuilder(command.argv());
      p = pb.start();
    } catch (IOException e) {
      throw new HostCommandException(name, command.display(), -1, "", "could not start: " + e.getMessage());
    }
    Drain out = new Drain(p.getInputStream(), Integer.MAX_VALUE);
    Drain err = new Drain(p.getErrorStream(), CommandResult.STDERR_TAIL);
    out.start();
    err.start();
    try (OutputStream in = p.getOutputStream()) {
      if (command.stdin().isPresent()) {
        in.write(command.stdin().get());
      }
    } catch (IOException e) {
      LOG.debug("{}: {} closed its input early: {}", name, command.display(), e.getMessage());
    }
    try {
      if (!p.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        err.join(1000);
        throw new HostCommandException(name, command.display(), -1, err.text(),
            "timed out after " + command.timeout().toSeconds() + " s");
      }
      out.join();
      err.join();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new HostCommandException(name, command.display(), -1, err.text(), "was interrupted");
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    LOG.debug("{}: ran {} -> {}", name, command.display(), p.exitValue());
    return new CommandResult(name, command.display(), p.exitValue(), out.text(), err.text(), took);
  }

  /** Reads a stream on its own thread into a {@link TailBuffer}. */
  private static final class Drain extends Thread {
    private final InputStream in;
    private final TailBuffer buf;

    Drain(InputStream in, int keep) {
      this.in = in;
      this.buf = new TailBuffer(keep);
      setDaemon(true);
    }

    @Override
    public void run() {
      try {
        in.transferTo(buf);
      } catch (IOException e) {
        // the process went away; keep what we have
      }
    }

    String text() {
      return buf.text();
    }
  }

  @Override
  public SyncResult sync(Path dir, Set<String> excludes) {
    check(dir);
    return new SyncResult(List.of(), List.of(), List.of(), 0);
  }

  @Override
  public void close() {
    flush();
  }

  @Override
  public String toString() {
    return "LocalHost[" + name + "]";
  }
}
