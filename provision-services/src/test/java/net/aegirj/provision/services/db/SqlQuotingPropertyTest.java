package net.aegirj.provision.services.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.testkit.Generators;
import org.junit.jupiter.api.Test;

/**
 * Issue 9's hostile inputs at the last line before SQL: every quoting function of {@link Sql}
 * either refuses a nasty value with an {@link InvalidContextException} naming the context and the
 * property, or returns it quoted with nothing inside the quotes that could end them.
 */
class SqlQuotingPropertyTest {
  private static final int EXAMPLES = Integer.getInteger("torture.sql", 20_000);
  private static final long SEED = Long.getLong("torture.seed", 20261125L);
  private static final List<String> FRAGMENTS = List.of("'", "`", "\\", "\"", "'; DROP DATABASE mysql; --",
      "' OR '1'='1", "\u0000", "\n", "%", "_", "*", "@", "\u02bc", "\uff07", "\u202e", " ", "/*", "--", ";");

  /** One quoting function, its property name and its quote character. */
  record Quoting(String name, String property, char quote, Function<String, String> apply) {}

  private static final List<Quoting> QUOTINGS = List.of(
      new Quoting("ident", "db_name", '`', v -> Sql.ident("@example.com", "db_name", v)),
      new Quoting("grantTarget", "db_name", '`', v -> Sql.grantTarget("@example.com", v)),
      new Quoting("password", "db_passwd", '\'', v -> Sql.password("@example.com", v)),
      new Quoting("host", "grant host", '\'', v -> Sql.host("@example.com", v)),
      new Quoting("account", "db_user", '\'', v -> Sql.account("@example.com", v, "localhost")));

  private static String nasty(Random r) {
    if (r.nextInt(4) == 0) {
      return Generators.hostileString(r);
    }
    StringBuilder b = new StringBuilder(r.nextBoolean() ? "exampledb" : "web1.example.com");
    for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
      b.insert(r.nextInt(b.length() + 1), FRAGMENTS.get(r.nextInt(FRAGMENTS.size())));
    }
    return b.toString();
  }

  @Test
  void everyNastyValueIsRefusedByNameOrQuotedSoItCannotEndItsQuotes() {
    AtomicInteger refused = new AtomicInteger();
    qt().withFixedSeed(SEED).withExamples(EXAMPLES).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
      String value = nasty(Generators.random(seed));
      for (Quoting q : QUOTINGS) {
        String quoted;
        try {
          quoted = q.apply().apply(value);
        } catch (InvalidContextException e) {
          refused.incrementAndGet();
          assertThat(e.getMessage()).as("seed %d, %s(%s): the refusal names the context and the property", seed,
              q.name(), Text.quote(value)).startsWith("@example.com: property ").contains(q.property());
          continue;
        }
        if (q.name().equals("account")) {
          assertThat(quoted).as("seed %d, account(%s): 'user'@'host' and nothing else", seed, Text.quote(value))
              .matches("'[A-Za-z0-9_]{1,64}'@'localhost'");
          continue;
        }
        String inside = quoted.substring(1, quoted.length() - 1);
        assertThat(quoted.charAt(0) == q.quote() && quoted.charAt(quoted.length() - 1) == q.quote())
            .as("seed %d, %s(%s): quoted with %s", seed, q.name(), Text.quote(value), q.quote()).isTrue();
        assertThat(inside.chars().allMatch(c -> c > 0x20 && c < 0x7f && "'`\"\\;".indexOf(c) < 0
            || q.name().equals("grantTarget") && c == '\\'))
            .as("seed %d, %s(%s) = %s: nothing inside the quotes can end them", seed, q.name(), Text.quote(value),
                Text.quote(quoted)).isTrue();
      }
    });
    System.out.printf("SqlQuotingPropertyTest: %d values, seed %d: %d of %d quotings refused%n", EXAMPLES, SEED,
        refused.get(), EXAMPLES * QUOTINGS.size());
    assertThat(refused.get()).as("most nasty values are refused").isGreaterThan(EXAMPLES * QUOTINGS.size() / 2);
  }
}
