package net.aegirj.provision.core.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the tasks of one {@code Provision} instance share for its whole life (a pool of idle
 * database connections and its sweeper): made on first use, closed in the reverse order of their
 * making when the instance is closed. Nothing of it is static, so two instances in one JVM share
 * nothing and a closed instance leaves no thread or connection behind.
 */
final class SharedResources implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SharedResources.class);

  private final Map<String, AutoCloseable> resources = new LinkedHashMap<>();
  private boolean closed;

  /**
   * @param key names the resource
   * @param create makes it, on first use
   * @param <T> its type
   * @return the resource for that key
   * @throws IllegalStateException once closed
   */
  synchronized <T extends AutoCloseable> T get(String key, Supplier<T> create) {
    if (closed) {
      throw new IllegalStateException("this Provision instance is closed");
    }
    @SuppressWarnings("unchecked")
    T r = (T) resources.computeIfAbsent(key, k -> create.get());
    return r;
  }

  /** Closes every resource, the last made first; a failure to close one does not stop the rest. */
  @Override
  public void close() {
    List<AutoCloseable> toClose;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toClose = new ArrayList<>(resources.values());
      resources.clear();
    }
    Collections.reverse(toClose);
    for (AutoCloseable r : toClose) {
      try {
        r.close();
      } catch (Exception e) {
        LOG.warn("closing a shared resource failed: {}", e.toString());
      }
    }
  }
}
