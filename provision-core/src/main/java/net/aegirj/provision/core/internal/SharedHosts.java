package net.aegirj.provision.core.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;
import net.aegirj.provision.spi.FileInfo;
import net.aegirj.provision.spi.FileMode;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.HostProvider;
import net.aegirj.provision.spi.SyncResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts shared by the tasks of a batch: each server is opened once (one SSH connection however
 * many sites are verified) and closed when the batch ends, not when a task does. Hosts are
 * thread-safe, so tasks running in parallel may use the same one.
 */
final class SharedHosts implements HostProvider, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SharedHosts.class);
  private final HostProvider delegate;
  private final Map<ContextName, Host> open = new ConcurrentHashMap<>();

  SharedHosts(HostProvider delegate) {
    this.delegate = delegate;
  }

  @Override
  public Host open(ResolvedContext server) {
    return new Borrowed(open.computeIfAbsent(server.name(), k -> delegate.open(server)));
  }

  /**
   * Applies what the open hosts held back ({@link Host#flush}).
   *
   * @throws RuntimeException the first failure, after every host was asked
   */
  void flush() {
    RuntimeException first = null;
    for (Host h : open.values()) {
      try {
        h.flush();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  @Override
  public void close() {
    List<Host> hosts = new ArrayList<>(open.values());
    open.clear();
    for (Host h : hosts) {
      try {
        h.close();
      } catch (RuntimeException e) {
        LOG.warn("{}: closing failed: {}", h.name(), e.getMessage());
      }
    }
  }

  /** A shared host as one task sees it: closing it leaves it open for the others. */
  private record Borrowed(Host host) implements Host {
    @Override
    public String name() {
      return host.name();
    }

    @Override
    public boolean isLocal() {
      return host.isLocal();
    }

    @Override
    public Optional<FileInfo> stat(Path path) {
      return host.stat(path);
    }

    @Override
    public Optional<byte[]> read(Path path) {
      return host.read(path);
    }

    @Override
    public boolean write(Path path, byte[] content, FileMode mode) {
      return host.write(path, content, mode);
    }

    @Override
    public boolean mkdirs(Path dir, FileMode mode) {
      return host.mkdirs(dir, mode);
    }

    @Override
    public boolean symlink(Path link, String target) {
      return host.symlink(link, target);
    }

    @Override
    public boolean remove(Path path) {
      return host.remove(path);
    }

    @Override
    public List<String> list(Path dir) {
      return host.list(dir);
    }

    @Override
    public CommandResult run(Command command) {
      return host.run(command);
    }

    @Override
    public SyncResult sync(Path dir, Set<String> excludes) {
      return host.sync(dir, excludes);
    }

    @Override
    public SyncResult fetch(Path dir, Set<String> excludes) {
      return host.fetch(dir, excludes);
    }

    @Override
    public boolean reconnect() {
      return host.reconnect();
    }

    @Override
    public boolean rename(Path from, Path to) {
      return host.rename(from, to);
    }

    @Override
    public void prefetch(Collection<Path> roots) {
      host.prefetch(roots);
    }

    @Override
    public void flush() {
      host.flush();
    }

    @Override
    public boolean contentEquals(Path path, byte[] content) {
      return host.contentEquals(path, content);
    }

    @Override
    public void close() {
      // the batch closes it
    }

    @Override
    public String toString() {
      return host.toString();
    }
  }
}
