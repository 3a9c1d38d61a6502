package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.core.internal.JsonCodec;
import net.aegirj.provision.spi.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Property-based tests of Aegir's provision-save semantics over the file repository. */
class MergePropertyTest {
  @TempDir Path tmp;

  private Provision fresh() {
    try {
      return Provision.builder().home(Files.createTempDirectory(tmp, "home")).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void base(Provision p) {
    p.save("platform_a", PropertyChanges.of(Map.of("context_type", "platform", "root", "/srv/a")));
    p.save("site.example.com", PropertyChanges.of(Map.of("context_type", "site", "platform", "@platform_a")));
  }

  private static Map<String, Object> stored(Provision p) {
    return p.context("site.example.com").context().properties();
  }

  @Test
  void saveAThenBEqualsSaveOfTheUnionWithBWinning() {
    qt().withExamples(150).forAll(longs().all()).checkAssert(seed -> {
      Random r = new Random(seed);
      Map<String, String> a = RandomContexts.siteChanges(r);
      Map<String, String> b = RandomContexts.siteChanges(r);
      Map<String, String> union = new LinkedHashMap<>(a);
      union.putAll(b);
      try (Provision one = fresh(); Provision two = fresh()) {
        base(one);
        base(two);
        one.save("site.example.com", PropertyChanges.of(a));
        one.save("site.example.com", PropertyChanges.of(b));
        two.save("site.example.com", PropertyChanges.of(union));
        assertThat(stored(one)).as("A then B must equal A∪B with B winning (seed %d)", seed)
            .isEqualTo(stored(two));
      }
    });
  }

  @Test
  void nullResetsAndRepeatingASaveChangesNothing() {
    qt().withExamples(100).forAll(longs().all()).checkAssert(seed -> {
      Random r = new Random(seed);
      Map<String, String> a = RandomContexts.siteChanges(r);
      try (Provision p = fresh()) {
        base(p);
        p.save("site.example.com", PropertyChanges.of(a));
        long v = p.site("site.example.com").version();
        p.save("site.example.com", PropertyChanges.of(a));
        assertThat(p.site("site.example.com").version())
            .as("saving the same values twice must not bump the version (seed %d)", seed).isEqualTo(v);
        List<String> keys = new ArrayList<>(a.keySet());
        if (keys.isEmpty()) {
          return;
        }
        String reset = keys.get(r.nextInt(keys.size()));
        Map<String, Object> before = new LinkedHashMap<>(stored(p));
        p.save("site.example.com", PropertyChanges.builder().set(reset, "null").build());
        before.remove(reset);
        assertThat(stored(p)).as("null resets %s to its default and touches nothing else (seed %d)",
            reset, seed).isEqualTo(before);
      }
    });
  }

  @Test
  void everyContextSurvivesTheJsonRoundTrip() {
    qt().withExamples(500).forAll(longs().all()).checkAssert(seed -> {
      Random r = new Random(seed);
      Map<String, Object> props = new LinkedHashMap<>();
      props.put("platform", "@platform_a");
      RandomContexts.siteChanges(r).forEach((k, v) ->
          props.put(k, Schema.find(net.aegirj.provision.api.ContextType.SITE, k).orElseThrow().parse("t", v)));
      Context c = ContextProperties.fromMap(net.aegirj.provision.api.ContextType.SITE,
          ContextName.of(RandomContexts.pick(r, RandomContexts.HOSTS)), props);
      Versioned v = new Versioned(c, 1 + r.nextInt(1000));
      try {
        assertThat(JsonCodec.read(JsonCodec.write(v))).as("JSON round trip (seed %d)", seed).isEqualTo(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  @Test
  void hostileValuesAreRefusedByNameAndNeverBreakTheFile() throws Exception {
    try (Provision p = fresh()) {
      base(p);
      Map<String, Object> before = stored(p);
      int refused = 0;
      for (PropertySpec spec : Schema.properties(net.aegirj.provision.api.ContextType.SITE)) {
        if (spec.derived() || spec.name().equals("platform")) {
          continue;
        }
        for (String hostile : RandomContexts.HOSTILE) {
          try {
            p.save("site.example.com", PropertyChanges.builder().set(spec.name(), hostile).build());
          } catch (InvalidContextException e) {
            refused++;
            assertThat(e.getMessage()).as("the error names context and property")
                .contains("@site.example.com").contains(spec.name());
            assertThat(e.getMessage()).as("the error never echoes raw control characters")
                .doesNotContain("\n").doesNotContain("\r").doesNotContain("\0");
            continue;
          }
          // Accepted values (e.g. an empty list) must be stored verbatim and reload.
          Object value = p.context("site.example.com").context().properties().get(spec.name());
          assertThat(value == null || !String.valueOf(value).contains("\n"))
              .as("an accepted value holds no newline: %s=%s", spec.name(), value).isTrue();
          p.save("site.example.com", PropertyChanges.builder().reset(spec.name()).build());
        }
      }
      assertThat(refused).as("hostile values are refused").isGreaterThan(300);
      assertThat(stored(p)).as("after all refusals the site is as before").isEqualTo(before);
      assertThat(JsonCodec.read(Files.readAllBytes(p.home().resolve("contexts/site.example.com.json"))))
          .as("the file still parses").isNotNull();
    }
  }

  @Test
  void controlCharactersInListsAndNumbersAreRefusedNotStripped() {
    try (Provision p = fresh()) {
      base(p);
      for (String[] kv : new String[][] {{"aliases", "ok.example.com\u0000"}, {"aliases", "a.example.com,\tb.example.com"},
          {"ssl_enabled", "1\u0000"}, {"site_enabled", "\u00001"}}) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> p.save("site.example.com",
            PropertyChanges.builder().set(kv[0], kv[1]).build()))
            .as("%s=%s is refused", kv[0], net.aegirj.provision.api.Text.quote(kv[1]))
            .isInstanceOf(InvalidContextException.class).hasMessageContaining(kv[0]);
      }
    }
  }

  @Test
  void hostileNamesAreRefusedWithTheRule() {
    for (String hostile : RandomContexts.HOSTILE) {
      assertThatThrownBy(() -> ContextName.of(hostile)).as("name %s", hostile)
          .isInstanceOf(InvalidContextException.class).hasMessageContaining("invalid context name");
    }
  }
}
