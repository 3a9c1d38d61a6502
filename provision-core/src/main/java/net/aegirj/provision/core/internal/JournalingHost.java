package net.aegirj.provision.core.internal;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.SyncResult;

/**
 * Wraps a host for one task: records every change in the running step's report and in the task's
 * journal with its undo; in a plan, records what would change and changes nothing.
 */
final class JournalingHost implements Host {
  /** Files up to this size are kept in memory to undo their removal; larger ones are set aside. */
  static final long IN_MEMORY_LIMIT = 1 << 20;
  private static final SecureRandom RANDOM = new SecureRandom();
  private final Host delegate;
  private final boolean plan;
  private final Journal journal;
  private final Supplier<StepRecorder> step;

  JournalingHost(Host delegate, boolean plan, Journal journal, Supplier<StepRecorder> step) {
    this.delegate = delegate;
    this.plan = plan;
    this.journal = journal;
    this.step = step;
  }

  Host delegate() {
    return delegate;
  }

  /** Called with (path, aside) before a path is moved aside; throwing stops the removal. */
  private volatile BiConsumer<Path, Path> beforeAside = (path, aside) -> {};

  /**
   * @param hook records the intent to move a path aside (so that a killed task's aside is found
   *     and settled by the next task), called before the move; when it throws, nothing is moved
   */
  void beforeAside(BiConsumer<Path, Path> hook) {
    this.beforeAside = hook;
  }

  private String on(Object what) {
    return delegate.isLocal() ? what.toString() : delegate.name() + ":" + what;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public boolean isLocal() {
    return delegate.isLocal();
  }

  @Override
  public Optional<FileInfo> stat(Path path) {
    return delegate.stat(path);
  }

  @Override
  public Optional<byte[]> read(Path path) {
    return delegate.read(path);
  }

  private static FileMode modeOf(FileInfo info) {
    return FileMode.of(info.permissions()).withOwner(info.owner()).withGroup(info.group());
  }

  @Override
  public boolean contentEquals(Path path, byte[] content) {
    return delegate.contentEquals(path, content);
  }

  @Override
  public boolean write(Path path, byte[] content, FileMode mode) {
    Optional<FileInfo> before = delegate.stat(path);
    if (before.filter(i -> i.matches(mode)).isPresent() && delegate.contentEquals(path, content)) {
      return false; // nothing to change, and nothing read: a remote host compares hashes it gathered
    }
    Optional<byte[]> old = before.filter(i -> i.type() == FileInfo.Type.FILE).flatMap(i -> delegate.read(path));
    if (plan) {
      boolean changed = old.isEmpty() || !Arrays.equals(old.get(), content) || !before.get().matches(mode);
      if (changed) {
        step.get().change(on(path));
      }
      return changed;
    }
    if (old.isPresent() && Arrays.equals(old.get(), content) && before.get().matches(mode)) {
      return false; // the bytes and mode it already has: nothing to ask of the host
    }
    step.get().beforeChange();
    boolean changed = delegate.write(path, content, mode);
    if (changed) {
      StepRecorder s = step.get();
      s.change(on(path));
      if (old.isPresent()) {
        byte[] bytes = old.get();
        FileMode m = modeOf(before.get());
        journal.add(s.index, "restore " + on(path), () -> delegate.write(path, bytes, m));
      } else {
        journal.add(s.index, "remove " + on(path), () -> delegate.remove(path));
      }
    }
    return changed;
  }

  @Override
  public boolean mkdirs(Path dir, FileMode mode) {
    Optional<FileInfo> before = delegate.stat(dir);
    List<Path> missing = new ArrayList<>();
    if (before.isEmpty()) {
      for (Path p = dir; p != null && delegate.stat(p).isEmpty(); p = p.getParent()) {
        missing.add(p);
      }
    }
    if (plan) {
      boolean changed = before.isEmpty() || !before.get().matches(mode);
      if (changed) {
        step.get().change(on(dir));
      }
      return changed;
    }
    if (before.isPresent() && before.get().type() == FileInfo.Type.DIRECTORY && before.get().matches(mode)) {
      return false;
    }
    step.get().beforeChange();
    boolean changed = delegate.mkdirs(dir, mode);
    if (changed) {
      StepRecorder s = step.get();
      s.change(on(dir));
      if (!missing.isEmpty()) {
        // Deepest first; a directory is removed only while empty, so a directory that another
        // task filled meanwhile (a shared one such as config/) is never taken from under it.
        journal.add(s.index, "remove " + on(missing.get(missing.size() - 1)), () -> {
          List<String> left = new ArrayList<>();
          for (Path p : missing) {
            if (delegate.stat(p).isPresent()) {
              List<String> entries = delegate.list(p);
              if (entries.isEmpty()) {
                delegate.remove(p);
              } else if (!(missing.contains(p.resolve(entries.get(0))) && entries.size() == 1)) {
                left.add(on(p) + " " + entries);
              }
            }
          }
          if (!left.isEmpty()) {
            // Something this task did not record was written there (or another task shares it).
            throw new IllegalStateException("left in place, not empty: " + String.join("; ", left));
          }
        });
      } else if (before.isPresent()) {
        FileMode m = modeOf(before.get());
        journal.add(s.index, "restore mode of " + on(dir), () -> delegate.mkdirs(dir, m));
      }
      // else: another task created the directory between our look and our mkdirs; it is theirs.
    }
    return changed;
  }

  @Override
  public boolean symlink(Path link, String target) {
    Optional<FileInfo> before = delegate.stat(link);
    if (plan) {
      boolean changed = before.isEmpty() || before.get().type() != FileInfo.Type.SYMLINK
          || !before.get().linkTarget().orElse("").equals(target);
      if (changed) {
        step.get().change(on(link));
      }
      return changed;
    }
    if (before.isPresent() && before.get().type() == FileInfo.Type.SYMLINK
        && before.get().linkTarget().orElse("").equals(target)) {
      return false;
    }
    Optional<byte[]> oldBytes = before.filter(i -> i.type() == FileInfo.Type.FILE).flatMap(i -> delegate.read(link));
    step.get().beforeChange();
    boolean changed = delegate.symlink(link, target);
    if (changed) {
      StepRecorder s = step.get();
      s.change(on(link));
      if (before.isEmpty()) {
        journal.add(s.index, "remove " + on(link), () -> delegate.remove(link));
      } else if (before.get().type() == FileInfo.Type.SYMLINK) {
        String old = before.get().linkTarget().orElseThrow();
        journal.add(s.index, "re-link " + on(link), () -> delegate.symlink(link, old));
      } else if (oldBytes.isPresent()) {
        FileMode m = modeOf(before.get());
        byte[] bytes = oldBytes.get();
        journal.add(s.index, "restore " + on(link), () -> {
          delegate.remove(link);
          delegate.write(link, bytes, m);
        });
      }
    }
    return changed;
  }

  @Override
  public boolean remove(Path path) {
    Optional<FileInfo> before = delegate.stat(path);
    if (before.isEmpty()) {
      return false;
    }
    if (plan) {
      step.get().change(on(path));
      return true;
    }
    step.get().beforeChange();
    FileInfo info = before.get();
    boolean setAside = path.getParent() != null && path.getFileName() != null
        && (info.type() == FileInfo.Type.DIRECTORY || (info.type() == FileInfo.Type.FILE && info.size() > IN_MEMORY_LIMIT));
    if (setAside && removeAside(path)) {
      return true;
    }
    Optional<byte[]> bytes = info.type() == FileInfo.Type.FILE ? delegate.read(path) : Optional.empty();
    boolean changed = delegate.remove(path);
    if (changed) {
      StepRecorder s = step.get();
      s.change(on(path));
      if (bytes.isPresent()) {
        FileMode m = modeOf(info);
        byte[] b = bytes.get();
        journal.add(s.index, "restore " + on(path), () -> delegate.write(path, b, m));
      } else if (info.type() == FileInfo.Type.SYMLINK) {
        String t = info.linkTarget().orElseThrow();
        journal.add(s.index, "re-link " + on(path), () -> delegate.symlink(path, t));
      } else {
        journal.unrestorable("removed directory " + on(path) + " cannot be restored");
      }
    }
    return changed;
  }

  /**
   * Removes a directory or a large file by renaming it to a hidden sibling: the rollback renames
   * it back, the task's success removes it. Nothing is held in memory, and a removed site
   * directory comes back whole if a later step fails.
   *
   * @return false when the rename is not possible here (another file system, say): the caller
   *     removes it for good
   */
  private boolean removeAside(Path path) {
    byte[] id = new byte[6];
    RANDOM.nextBytes(id);
    Path aside = path.resolveSibling("." + path.getFileName() + ".removed-" + HexFormat.of().formatHex(id));
    beforeAside.accept(path, aside);
    try {
      if (!delegate.rename(path, aside)) {
        return false;
      }
    } catch (RuntimeException e) {
      return false;
    }
    StepRecorder s = step.get();
    s.change(on(path));
    journal.add(s.index, "put back " + on(path), () -> delegate.rename(aside, path));
    journal.onCommit(s.index, "remove " + on(aside), () -> delegate.remove(aside));
    return true;
  }

  @Override
  public List<String> list(Path dir) {
    return delegate.list(dir);
  }

  @Override
  public CommandResult run(Command command) {
    step.get().command(on(command.display()));
    if (plan) {
      return new CommandResult(delegate.name(), command.display(), 0, "", "", Duration.ZERO);
    }
    step.get().beforeChange(); // a command may change anything
    return delegate.run(command);
  }

  @Override
  public SyncResult sync(Path dir, Set<String> excludes) {
    if (plan) {
      step.get().change(on(dir) + "/ (sync)");
      return new SyncResult(List.of(), List.of(), List.of(), 0);
    }
    step.get().beforeChange();
    SyncResult r = delegate.sync(dir, excludes);
    if (r.changedAnything()) {
      StepRecorder s = step.get();
      s.change(on(dir) + "/ (sync)");
      // Files and directories the sync added are removed again (deepest last added first)...
      List<String> added = new ArrayList<>(r.added());
      Collections.reverse(added);
      for (String rel : added) {
        String clean = rel.endsWith("/") ? rel.substring(0, rel.length() - 1) : rel;
        if (clean.isEmpty() || clean.equals(".")) {
          continue;
        }
        Path p = dir.resolve(clean).normalize();
        if (p.startsWith(dir) && !p.equals(dir)) {
          journal.add(s.index, "remove " + on(p), () -> delegate.remove(p));
        }
      }
      // ...and what it replaced or deleted is put back from the master's copy once the local
      // files are restored (the master is authoritative for pushed trees).
      if (!r.changed().isEmpty() || !r.deleted().isEmpty()) {
        journal.afterRollback(s.index, "re-sync " + on(dir), () -> delegate.sync(dir, excludes));
      }
    }
    return r;
  }

  /**
   * Fetches from the remote into the local tree. The local copy of a remote-authoritative tree is
   * only ever refreshed, so a rollback leaves the fetched files in place.
   */
  @Override
  public SyncResult fetch(Path dir, Set<String> excludes) {
    if (plan) {
      step.get().change(on(dir) + "/ (fetch)");
      return new SyncResult(List.of(), List.of(), List.of(), 0);
    }
    SyncResult r = delegate.fetch(dir, excludes);
    if (r.changedAnything()) {
      step.get().change(on(dir) + "/ (fetch: " + r.added().size() + " added, " + r.changed().size() + " changed, "
          + r.deleted().size() + " deleted locally)");
    }
    return r;
  }

  @Override
  public boolean reconnect() {
    return delegate.reconnect();
  }

  @Override
  public void flush() {
    delegate.flush();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
