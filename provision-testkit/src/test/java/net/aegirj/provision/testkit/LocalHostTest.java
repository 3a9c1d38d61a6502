package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.core.host.LocalHost;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.Host;
import org.junit.jupiter.api.Test;

/** Runs the host contract against the reference, {@link LocalHost}, plus its own rules. */
class LocalHostTest extends HostContract {
  @Override
  protected Host newHost(Path scratch) {
    return new LocalHost("local");
  }

  @Test
  void aCommandThatRunsTooLongIsKilledAtItsTimeout() {
    long start = System.nanoTime();
    assertThatThrownBy(() -> host().run(Command.of("sleep", "10").withTimeout(Duration.ofSeconds(1))))
        .as("sleep 10 with a 1 s limit fails as a timeout")
        .isInstanceOf(HostCommandException.class)
        .hasMessageContaining("timed out")
        .hasMessageContaining("sleep 10")
        .satisfies(e -> assertThat(((HostCommandException) e).exitCode()).as("no exit status").isEqualTo(-1));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the task did not wait for sleep to end")
        .isLessThan(Duration.ofSeconds(8));
  }

  @Test
  void aProgramThatDoesNotExistCannotStart() {
    assertThatThrownBy(() -> host().run(Command.of("/nonexistent/provision-test-program")))
        .as("a missing program is a host command failure, not an exit status")
        .isInstanceOf(HostCommandException.class)
        .hasMessageContaining("could not start")
        .hasMessageContaining("local");
  }

  @Test
  void syncingToTheLocalHostChangesNothing() {
    assertThat(host().sync(dir(), Set.of()).changedAnything())
        .as("the local host already has its own files").isFalse();
  }

  @Test
  void theLocalHostSaysItIsLocal() {
    assertThat(host().isLocal()).as("LocalHost is the machine Provision runs on").isTrue();
    assertThat(host().name()).as("named as given").isEqualTo("local");
  }

  @Override
  @Test
  public void pathsBelowAFileDoNotExist() {
    super.pathsBelowAFileDoNotExist();
  }
}
