package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.spi.Versioned;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batches large enough to be checked against one listing of the file repository (more than
 * {@code BufferedRepository.LISTED_FROM} names asked, {@link FileContextRepository#LISTED_FROM}
 * saves): what the listing holds is still read and checked, and what another process stores
 * after it is still refused when the batch is written.
 */
class SaveBatchListingTest {
  private static final int N = 100;

  @TempDir Path home;

  @BeforeEach
  void platform() {
    try (Provision p = Provision.builder().home(home).build()) {
      p.save(Platform.named("platform_x").root("/var/aegir/platforms/x"));
    }
  }

  private static PropertyChanges site(String alias) {
    return PropertyChanges.builder().set("context_type", "site").set("platform", "@platform_x")
        .set("aliases", alias).build();
  }

  private void storeSites(String prefix) {
    try (Provision p = Provision.builder().home(home).build()) {
      SaveBatch b = p.saveBatch();
      for (int i = 0; i < N; i++) {
        b.save(prefix + i + ".example.org", site("www." + prefix + i + ".example.org"));
      }
      assertThat(b.commit()).as("a batch of %d new sites is written whole", N).hasSize(N);
    }
  }

  @Test
  void storedNamesAndHostNamesAreSeenByALargeBatch() {
    storeSites("s");
    try (Provision p = Provision.builder().home(home).build()) {
      SaveBatch b = p.saveBatch();
      for (int i = 0; i < N; i++) {
        b.save("n" + i + ".example.org", site("www.n" + i + ".example.org"));
      }
      assertThatThrownBy(() -> b.save("late.example.org", site("www.s5.example.org")))
          .as("a host name a stored site serves is refused, although the batch checks against a listing")
          .isInstanceOf(InvalidContextException.class).hasMessageContaining("already served by @s5.example.org");
      Versioned changed = b.save("s7.example.org", PropertyChanges.builder().set("profile", "minimal").build());
      assertThat(changed.version()).as("a stored site in the listing is read: its change is version 2").isEqualTo(2);
      assertThat(b.commit()).as("the new sites and the changed one are written").hasSize(N + 1);
    }
    try (FileContextRepository r = new FileContextRepository(home)) {
      Site s7 = (Site) r.load(ContextName.of("s7.example.org")).orElseThrow().context();
      assertThat(s7.profile()).as("the change of the stored site was merged over it").contains("minimal");
      assertThat(s7.aliases()).as("and kept its other properties").containsExactly("www.s7.example.org");
      assertThat(r.hostOwners(List.of("www.n42.example.org", "www.s42.example.org")))
          .as("the index names the owner of new and old host names")
          .isEqualTo(Map.of("www.n42.example.org", ContextName.of("n42.example.org"),
              "www.s42.example.org", ContextName.of("s42.example.org")));
      assertThat(r.load(ContextName.of("late.example.org"))).as("the refused site is not stored").isEmpty();
    }
  }

  @Test
  void whatAnotherWriterStoresAfterTheListingFailsTheCommit() {
    try (Provision p = Provision.builder().home(home).build()) {
      SaveBatch b = p.saveBatch();
      for (int i = 0; i < N; i++) {
        b.save("n" + i + ".example.org", site("www.n" + i + ".example.org"));
      }
      try (Provision other = Provision.builder().home(home).build()) {
        other.save("thief.example.org", site("www.n17.example.org"));
      }
      assertThatThrownBy(b::commit).as("a host name claimed meanwhile by another writer refuses the batch")
          .isInstanceOf(InvalidContextException.class).hasMessageContaining("www.n17.example.org");
    }
    try (FileContextRepository r = new FileContextRepository(home)) {
      assertThat(r.load(ContextName.of("n3.example.org"))).as("nothing of the refused batch is written").isEmpty();
    }

    try (Provision p = Provision.builder().home(home).build()) {
      SaveBatch b = p.saveBatch();
      for (int i = 0; i < N; i++) {
        b.save("m" + i + ".example.org", site("www.m" + i + ".example.org"));
      }
      try (Provision other = Provision.builder().home(home).build()) {
        other.save("m50.example.org", site("other.m50.example.org"));
      }
      assertThatThrownBy(b::commit).as("a context created meanwhile by another writer refuses the batch")
          .isInstanceOf(ConflictException.class).hasMessageContaining("@m50.example.org");
    }
    try (FileContextRepository r = new FileContextRepository(home)) {
      assertThat(r.load(ContextName.of("m3.example.org"))).as("nothing of that batch is written either").isEmpty();
      assertThat(((Site) r.load(ContextName.of("m50.example.org")).orElseThrow().context()).aliases())
          .as("the other writer's site is left as it stored it").containsExactly("other.m50.example.org");
    }
  }
}
