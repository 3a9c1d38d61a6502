package net.aegirj.provision.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** How many tasks of a batch one group holds (one shared test and reload per group). */
class GroupSizeTest {
  @Test
  void aBatchOfAThousandIsOneGroupWhereDescriptorsAllow() {
    assertThat(GroupRun.groupSize(OptionalLong.of(20_000)))
        .as("20,000 free descriptors hold 1,000 tasks: one reload for a batch of 1,000 sites")
        .isGreaterThanOrEqualTo(1_000);
    assertThat(GroupRun.groupSize(OptionalLong.empty())).as("unknown limit: the largest group")
        .isEqualTo(GroupRun.MAX_GROUP);
    assertThat(GroupRun.groupSize(OptionalLong.of(Long.MAX_VALUE))).as("never more than the largest group")
        .isEqualTo(GroupRun.MAX_GROUP);
  }

  @Test
  void fewDescriptorsMakeSmallerGroupsButNeverEmptyOnes() {
    assertThat(GroupRun.groupSize(OptionalLong.of(1_024 - 40)))
        .as("a soft limit of 1,024: groups that leave room for everything else")
        .isLessThan(250).isGreaterThanOrEqualTo(GroupRun.MIN_GROUP);
    assertThat(GroupRun.groupSize(OptionalLong.of(0))).as("no descriptor free: still a group of the minimum")
        .isEqualTo(GroupRun.MIN_GROUP);
  }

  @Test
  void thisProcessCanTellItsFreeDescriptors() {
    assertThat(OpenFiles.free()).as("Linux with jdk.management: the limit is known").isPresent();
    assertThat(OpenFiles.free().getAsLong()).as("some descriptors are free").isPositive();
  }
}
