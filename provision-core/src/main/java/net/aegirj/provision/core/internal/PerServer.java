package net.aegirj.provision.core.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Function;
import net.aegirj.provision.api.ContextName;

/**
 * Work on several servers at once (a platform's web servers tested and reloaded in parallel): the
 * items of each server run in their order on one thread, the servers on threads of their own.
 * Every server finishes before the first failure (in the order of the servers) is thrown.
 */
final class PerServer {
  private PerServer() {}

  /**
   * @param items what to do
   * @param server the server an item runs on
   * @param action runs one item
   * @param <T> the items' type
   */
  static <T> void run(List<T> items, Function<T, ContextName> server, Consumer<T> action) {
    Map<ContextName, List<T>> byServer = new LinkedHashMap<>();
    for (T item : items) {
      byServer.computeIfAbsent(server.apply(item), k -> new ArrayList<>()).add(item);
    }
    if (byServer.size() <= 1) {
      items.forEach(action);
      return;
    }
    List<CompletableFuture<Void>> running = new ArrayList<>();
    for (List<T> mine : byServer.values()) {
      running.add(CompletableFuture.runAsync(() -> mine.forEach(action), r -> {
        Thread t = new Thread(r, "provision-per-server");
        t.setDaemon(true);
        t.start();
      }));
    }
    RuntimeException first = null;
    for (CompletableFuture<Void> f : running) {
      try {
        f.join();
      } catch (CompletionException e) {
        if (first == null) {
          first = e.getCause() instanceof RuntimeException r ? r : e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
