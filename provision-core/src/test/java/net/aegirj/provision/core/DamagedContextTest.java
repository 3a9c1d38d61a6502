package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.spi.ContextListing;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, finding 9: while one context file was damaged, list, the save of any site and
 * {@code save --delete} failed. Now a list reports the damaged one and lists the others, and only
 * what needs the damaged context fails, naming its file. Run with and without the list snapshot
 * (a repository of many contexts lists through it).
 */
class DamagedContextTest {
  @TempDir Path home;

  static Stream<Arguments> damage() {
    return Stream.of(
        Arguments.of("not JSON", "{\"version\": 3, \"context\": {", 1_000_000),
        Arguments.of("not JSON, through the list snapshot", "{\"version\": 3, \"context\": {", 1),
        Arguments.of("another context's file", null, 1_000_000),
        Arguments.of("empty", "", 1));
  }

  private static PropertyChanges changes(String... kv) {
    PropertyChanges.Builder b = PropertyChanges.builder();
    for (int i = 0; i < kv.length; i += 2) {
      b.set(kv[i], kv[i + 1]);
    }
    return b.build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damage")
  void aDamagedContextIsReportedAndBlocksOnlyWhatNeedsIt(String what, String content, int snapshotFrom)
      throws Exception {
    FileContextRepository repository = new FileContextRepository(home, snapshotFrom, System::nanoTime);
    try (Provision p = Provision.builder().home(home).repository(repository).build()) {
      p.save("@platform_a", changes("context_type", "platform", "root", "/var/aegir/platforms/a"));
      p.save("@platform_b", changes("context_type", "platform", "root", "/var/aegir/platforms/b"));
      p.save("@one.example.com", changes("context_type", "site", "platform", "@platform_a"));
      p.save("@broken.example.com", changes("context_type", "site", "platform", "@platform_a"));
      p.list(); // a first list writes the snapshot when there is one
      Path broken = home.resolve("contexts/broken.example.com.json");
      Files.writeString(broken, content != null ? content
          : Files.readString(home.resolve("contexts/one.example.com.json")));

      assertThatThrownBy(p::list).as("the strict list still fails, naming the file")
          .isInstanceOf(ProvisionException.class).hasMessageContaining(broken.toString());

      ContextListing listing = p.listReadable(null);
      assertThat(listing.contexts()).extracting(v -> v.context().name().value())
          .as("every other context is listed")
          .containsExactly("one.example.com", "platform_a", "platform_b", "server_master");
      assertThat(listing.unreadable()).as("the damaged one is reported once").hasSize(1);
      ContextListing.Unreadable bad = listing.unreadable().get(0);
      assertThat(bad.name()).as("under the name its file stands for")
          .contains(ContextName.of("broken.example.com"));
      assertThat(bad.source()).as("with its file").isEqualTo(broken.toString());
      assertThat(bad.problem()).as("and what is wrong, naming the file").contains(broken.toString())
          .contains("repair or remove it");

      p.save("@two.example.com", changes("context_type", "site", "platform", "@platform_b",
          "aliases", "www.two.example.com"));
      assertThat(p.site("two.example.com").context().aliases()).as("another site is saved")
          .containsExactly("www.two.example.com");
      assertThatThrownBy(() -> p.save("@three.example.com", changes("context_type", "site",
          "platform", "@platform_b", "aliases", "broken.example.com")))
          .as("a host name the damaged site may serve is refused, naming it")
          .isInstanceOf(InvalidContextException.class)
          .hasMessageContaining("@broken.example.com").hasMessageContaining("cannot be read");

      p.delete("two.example.com");
      assertThat(p.repository().load(ContextName.of("two.example.com"))).as("a site is deleted").isEmpty();
      assertThatThrownBy(() -> p.delete("platform_b"))
          .as("a platform the damaged context may use cannot be checked: refused, naming the file")
          .isInstanceOf(ProvisionException.class).hasMessageContaining(broken.toString());
      assertThat(p.repository().load(ContextName.of("platform_b"))).as("and kept").isPresent();
      assertThatThrownBy(() -> p.context("broken.example.com")).as("the damaged context itself fails, naming its file")
          .isInstanceOf(ProvisionException.class).hasMessageContaining(broken.toString());

      Files.delete(broken);
      assertThat(p.listReadable(null).unreadable()).as("removed, nothing is unreadable").isEmpty();
      assertThat(p.list()).as("and the strict list works again").hasSize(4);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damage")
  void aLongNameThatCannotBeToldIsReportedByFile(String what, String content, int snapshotFrom) throws Exception {
    FileContextRepository repository = new FileContextRepository(home, snapshotFrom, System::nanoTime);
    Path odd = Files.writeString(home.resolve("contexts/" + "x".repeat(180) + "~0123456789abcdef.json"),
        content == null ? "[]" : content);
    ContextListing listing = repository.listReadable();
    assertThat(listing.unreadable()).extracting(ContextListing.Unreadable::source).as("reported by its file")
        .isEqualTo(List.of(odd.toString()));
    assertThat(listing.unreadable().get(0).name()).as("a cut name is not guessed").isEmpty();
  }
}
