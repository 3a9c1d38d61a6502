package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.spi.ContextRepository;
import org.junit.jupiter.api.Test;

/** Runs the repository contract against {@link InMemoryContextRepository}, plus its own rules. */
class InMemoryContextRepositoryTest extends ContextRepositoryContract {
  @Override
  protected ContextRepository newRepository() {
    return new InMemoryContextRepository();
  }

  @Test
  void instancesDoNotShareState() {
    try (InMemoryContextRepository a = new InMemoryContextRepository();
        InMemoryContextRepository b = new InMemoryContextRepository()) {
      a.save(Server.named("server_a").build(), ContextRepository.NEW);
      assertThat(b.list()).as("state is per instance, never static").isEmpty();
      assertThat(repository().list()).as("the test's own repository is untouched too").isEmpty();
    }
  }

  @Test
  void conflictMessagesNameContextAndVersions() {
    ContextRepository repo = repository();
    Server s = Server.named("server_msg").build();
    repo.save(s, ContextRepository.NEW);
    repo.save(s, 1);
    assertThatThrownBy(() -> repo.save(s, 1)).as("a stale save names context, expected and stored version")
        .isInstanceOf(ConflictException.class)
        .hasMessage("cannot save @server_msg: expected version 1, but its stored version is 2;"
            + " reload it and try again");
    assertThatThrownBy(() -> repo.save(s, ContextRepository.NEW)).as("a create over an existing context says so")
        .isInstanceOf(ConflictException.class)
        .hasMessage("cannot save @server_msg: expected version 0 (not yet created), but its stored version"
            + " is 2; reload it and try again");
    assertThatThrownBy(() -> repo.delete(ContextName.of("server_none"), 3))
        .as("deleting a missing context says it does not exist")
        .isInstanceOf(ConflictException.class)
        .hasMessage("cannot delete @server_none: expected version 3, but it does not exist;"
            + " reload it and try again");
  }

  @Test
  void negativeVersionsAreRefused() {
    Server s = Server.named("server_neg").build();
    assertThatThrownBy(() -> repository().save(s, -1)).as("no version is negative")
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    assertThatThrownBy(() -> repository().delete(s.name(), -5)).as("no version is negative")
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-5");
  }

  @Test
  void closedRepositoryRefusesUse() {
    InMemoryContextRepository repo = new InMemoryContextRepository();
    repo.save(Server.named("server_c").build(), ContextRepository.NEW);
    repo.close();
    assertThatThrownBy(repo::list).as("a closed repository cannot be used")
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> repo.load(ContextName.MASTER)).as("a closed repository cannot be used")
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> repo.referrers(ContextName.MASTER)).as("a closed repository cannot be used")
        .isInstanceOf(IllegalStateException.class);
    repo.close();
  }
}
