package net.aegirj.provision.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.aegirj.provision.api.ContextName;
import org.junit.jupiter.api.Test;

/**
 * A platform's web servers are tested and reloaded in parallel: each server's items in their
 * order, the servers at once, every server finished before the first failure is thrown.
 */
class PerServerTest {
  private record Item(ContextName server, String what) {}

  private static final ContextName WEB1 = ContextName.of("server_web1");
  private static final ContextName WEB2 = ContextName.of("server_web2");

  @Test
  void serversRunAtOnceAndEachServersItemsInOrder() {
    CountDownLatch both = new CountDownLatch(2);
    List<String> done = Collections.synchronizedList(new ArrayList<>());
    PerServer.run(List.of(new Item(WEB1, "test"), new Item(WEB2, "test"), new Item(WEB1, "reload")), Item::server,
        item -> {
          if (item.what().equals("test")) {
            both.countDown();
            try {
              // Each server waits for the other: only servers running at once get past this.
              assertThat(both.await(10, TimeUnit.SECONDS)).as("the other server runs at the same time").isTrue();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          done.add(item.server().value() + " " + item.what());
        });
    assertThat(done).as("every item ran").containsExactlyInAnyOrder("server_web1 test", "server_web2 test",
        "server_web1 reload");
    assertThat(done.indexOf("server_web1 test")).as("one server's items in their order")
        .isLessThan(done.indexOf("server_web1 reload"));
  }

  @Test
  void aFailureIsThrownOnceEveryServerFinished() {
    List<String> done = Collections.synchronizedList(new ArrayList<>());
    assertThatThrownBy(() -> PerServer.run(List.of(new Item(WEB1, "fail"), new Item(WEB2, "slow")), Item::server,
        item -> {
          if (item.what().equals("fail")) {
            throw new IllegalStateException("the configuration test on " + item.server() + " failed");
          }
          try {
            Thread.sleep(200);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          done.add(item.server().value());
        })).as("the failure of web1").isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("@server_web1");
    assertThat(done).as("web2 finished before the failure was thrown").containsExactly("server_web2");
  }

  @Test
  void oneServerRunsOnTheCallersThread() {
    List<String> threads = new ArrayList<>();
    PerServer.run(List.of(new Item(WEB1, "a"), new Item(WEB1, "b")), Item::server,
        item -> threads.add(Thread.currentThread().getName()));
    assertThat(threads).as("no thread is started for one server").containsOnly(Thread.currentThread().getName());
  }
}
