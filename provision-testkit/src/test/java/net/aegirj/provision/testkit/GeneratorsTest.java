package net.aegirj.provision.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextProperties;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Platform;
import net.aegirj.provision.api.PropertySpec;
import net.aegirj.provision.api.Schema;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.Text;
import org.junit.jupiter.api.Test;

/** Checks that the generators make what they promise, and that hostile input is refused. */
class GeneratorsTest {
  private static final int SEEDS = 2_000;

  @Test
  void validContextNamesAreAccepted() {
    int longest = 0;
    for (long seed = 0; seed < SEEDS; seed++) {
      String name = Generators.validContextName(Generators.random(seed));
      assertThatCode(() -> ContextName.of(name)).as("seed %d: %s is a valid context name", seed, Text.quote(name))
          .doesNotThrowAnyException();
      assertThat(ContextName.of(name).value()).as("seed %d: a generated name is already canonical", seed)
          .isEqualTo(name);
      longest = Math.max(longest, name.length());
    }
    assertThat(longest).as("long names, close to the limit, are generated too")
        .isGreaterThan(240).isLessThanOrEqualTo(ContextName.MAX_LENGTH);
  }

  @Test
  void validHostNamesAreAccepted() {
    int longest = 0;
    for (long seed = 0; seed < SEEDS; seed++) {
      String host = Generators.validHostName(Generators.random(seed));
      assertThat(Grammar.HOST.accepts(host)).as("seed %d: %s is a host name", seed, Text.quote(host)).isTrue();
      assertThatCode(() -> ContextName.of(host)).as("seed %d: %s can name a site", seed, Text.quote(host))
          .doesNotThrowAnyException();
      longest = Math.max(longest, host.length());
    }
    assertThat(longest).as("host names of the maximum length, 253, are generated").isEqualTo(253);
  }

  @Test
  void validContextsBuildAndCoverEveryProperty() {
    Set<String> seen = new HashSet<>();
    Set<ContextType> withExtras = EnumSet.noneOf(ContextType.class);
    for (long seed = 0; seed < SEEDS; seed++) {
      Random random = Generators.random(seed);
      long s = seed;
      Server[] server = new Server[1];
      assertThatCode(() -> server[0] = Generators.validServer(random))
          .as("seed %d: building a generated server does not throw", s).doesNotThrowAnyException();
      Platform[] platform = new Platform[1];
      assertThatCode(() -> platform[0] = Generators.validPlatform(random, random.nextBoolean() ? server[0].name() : null))
          .as("seed %d: building a generated platform does not throw", s).doesNotThrowAnyException();
      Site[] site = new Site[1];
      assertThatCode(() -> site[0] = Generators.validSite(random, random.nextInt(5) == 0 ? null : platform[0].name()))
          .as("seed %d: building a generated site does not throw", s).doesNotThrowAnyException();

      assertThat(server[0].aegirRoot().isEmpty() || server[0].name().isMaster())
          .as("seed %d: aegir_root is only set on @server_master", s).isTrue();
      assertThat(platform[0].root()).as("seed %d: a platform always has its required root", s).isPresent();
      assertThat(Grammar.HOST.accepts(site[0].name().value())).as("seed %d: a site is named after a host", s)
          .isTrue();
      for (Context c : List.of(server[0], platform[0], site[0])) {
        assertThatCode(() -> ContextProperties.validate(c)).as("seed %d: %s validates", s, c.name())
            .doesNotThrowAnyException();
        for (String key : ContextProperties.toMap(c).keySet()) {
          seen.add(c.type().id() + "." + key);
        }
        if (!c.extras().isEmpty()) {
          withExtras.add(c.type());
        }
      }
    }
    for (ContextType type : ContextType.values()) {
      for (PropertySpec spec : Schema.properties(type)) {
        if (!spec.derived()) {
          assertThat(seen).as("some generated %s sets %s", type.id(), spec.name())
              .contains(type.id() + "." + spec.name());
        }
      }
    }
    assertThat(withExtras).as("every context type gets extras sometimes").containsExactlyInAnyOrder(ContextType.values());
  }

  @Test
  void generatorsAreDeterministicPerSeed() {
    for (long seed = 0; seed < 200; seed++) {
      Random a = Generators.random(seed);
      Random b = Generators.random(seed);
      assertThat(Generators.validContextName(a)).as("seed %d: same seed, same name", seed)
          .isEqualTo(Generators.validContextName(b));
      assertThat(Generators.validHostName(a)).as("seed %d: same seed, same host", seed)
          .isEqualTo(Generators.validHostName(b));
      assertThat(Generators.hostileString(a)).as("seed %d: same seed, same hostile string", seed)
          .isEqualTo(Generators.hostileString(b));
      Server server = Generators.validServer(a);
      assertThat(server).as("seed %d: same seed, same server", seed).isEqualTo(Generators.validServer(b));
      Platform platform = Generators.validPlatform(a, server.name());
      assertThat(platform).as("seed %d: same seed, same platform", seed)
          .isEqualTo(Generators.validPlatform(b, server.name()));
      assertThat(Generators.validSite(a, platform.name())).as("seed %d: same seed, same site", seed)
          .isEqualTo(Generators.validSite(b, platform.name()));
    }
  }

  @Test
  void hostileStringsCoverTheAdvertisedShapes() {
    boolean empty = false;
    boolean blank = false;
    boolean tenThousand = false;
    boolean newline = false;
    boolean nul = false;
    boolean cyrillic = false;
    boolean fullwidth = false;
    boolean traversal = false;
    boolean substitution = false;
    for (long seed = 0; seed < SEEDS; seed++) {
      String s = Generators.hostileString(Generators.random(seed));
      assertThat(s.length()).as("seed %d: hostile strings are at most 10,000 characters", seed)
          .isLessThanOrEqualTo(10_000);
      empty |= s.isEmpty();
      blank |= !s.isEmpty() && s.isBlank();
      tenThousand |= s.length() == 10_000;
      newline |= s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0;
      nul |= s.indexOf('\0') >= 0;
      cyrillic |= s.chars().anyMatch(c -> c >= 0x400 && c <= 0x4ff);
      fullwidth |= s.chars().anyMatch(c -> c >= 0xff01 && c <= 0xff5e);
      traversal |= s.contains("../");
      substitution |= s.contains("$(") || s.contains("${");
    }
    assertThat(List.of(empty, blank, tenThousand, newline, nul, cyrillic, fullwidth, traversal, substitution))
        .as("2,000 seeds give empty, blank, 10,000-character, newline, NUL, Cyrillic, fullwidth, '../' "
            + "and '$(' strings")
        .containsOnly(true);
  }

  /**
   * Every hostile string containing a control character, a quote, ';', '$' or a non-ASCII
   * character is refused by ContextName.of (naming the rule, in a one-line ASCII message) and by
   * Grammar.HOST, PATH and TEXT.
   */
  @Test
  void hostileStringsWithForbiddenCharactersAreRefused() {
    AtomicInteger relevant = new AtomicInteger();
    qt().withExamples(SEEDS).forAll(longs().all()).checkAssert(seed -> {
      String s = Generators.hostileString(Generators.random(seed));
      if (!hasForbiddenCharacter(s)) {
        return;
      }
      relevant.incrementAndGet();
      for (Grammar g : List.of(Grammar.HOST, Grammar.PATH, Grammar.TEXT)) {
        assertThat(g.accepts(s)).as("seed %d: %s refuses %s", seed, g, Text.quote(s)).isFalse();
        assertThatThrownBy(() -> g.check("@ctx", "prop", s)).as("seed %d: %s.check refuses %s", seed, g, Text.quote(s))
            .isInstanceOf(InvalidContextException.class)
            .hasMessageContaining(g.description());
      }
      String rule = normalised(s).length() > ContextName.MAX_LENGTH
          ? "a name is at most 253 characters long"
          : "only letters a-z, digits, '.', '-' and '_' are allowed";
      assertThatThrownBy(() -> ContextName.of(s)).as("seed %d: ContextName.of refuses %s", seed, Text.quote(s))
          .isInstanceOf(InvalidContextException.class)
          .hasMessageStartingWith("invalid context name '")
          .hasMessageContaining(rule)
          .satisfies(e -> assertThat(isOneLineAscii(e.getMessage()))
              .as("seed %d: the message cannot forge lines or smuggle look-alikes: %s", seed, e.getMessage())
              .isTrue());
    });
    assertThat(relevant.get()).as("most hostile strings carry a forbidden character, so the property is not vacuous")
        .isGreaterThan(SEEDS / 2);
  }

  /** Every hostile string breaks a rule of ContextName and of Grammar.HOST. */
  @Test
  void everyHostileStringIsRefusedAsNameAndHost() {
    qt().withExamples(SEEDS).forAll(longs().all()).checkAssert(seed -> {
      String s = Generators.hostileString(Generators.random(seed));
      assertThat(Grammar.HOST.accepts(s)).as("seed %d: HOST refuses %s", seed, Text.quote(s)).isFalse();
      assertThat(ContextName.isValid(s)).as("seed %d: %s is not a valid context name", seed, Text.quote(s)).isFalse();
      assertThatThrownBy(() -> ContextName.of(s)).as("seed %d: ContextName.of refuses %s", seed, Text.quote(s))
          .isInstanceOf(InvalidContextException.class)
          .satisfies(e -> assertThat(isOneLineAscii(e.getMessage()))
              .as("seed %d: the message is one line of ASCII: %s", seed, e.getMessage()).isTrue());
    });
  }

  static boolean hasForbiddenCharacter(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e || "'\"`;$".indexOf(c) >= 0) {
        return true;
      }
    }
    return false;
  }

  private static String normalised(String s) {
    int i = 0;
    while (i < s.length() && s.charAt(i) == '@') {
      i++;
    }
    return s.substring(i).toLowerCase(Locale.ROOT);
  }

  private static boolean isOneLineAscii(String message) {
    return message.chars().allMatch(c -> c >= 0x20 && c <= 0x7e);
  }
}
