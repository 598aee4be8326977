package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Origin;
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.internal.state.Story;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ApplyTimesTest {
  final ApplyTimes times = new ApplyTimes(MemberId.of("w1"), RenewalClock.LOCAL, Clock.systemUTC(), 0);
  final Story story = Story.of().bootstrap().elect("pg1").renew("pg1");

  void apply(String member, Command command, long now) {
    story.apply(member, command);
    times.applied(story.index(), new Request(new Origin(MemberId.of(member), 7, story.index(), 0), command), story.last(),
        story.state(), now);
  }

  @Test
  void aReleaseTellsHowLongItsSenderHadBeenSilentUntilTheNextEntryThatTimesTheLease() {
    apply("pg1", new Command.Release(story.epoch(), Optional.empty(), "switchover", Duration.ofMillis(190)), 5_000);
    assertThat(times.renewalAppliedAt()).isEqualTo(5_000);
    assertThat(times.releasedAfterSilence()).isEqualTo(Duration.ofMillis(190));

    story.elect("pg2");
    apply("pg2", new Command.Renew(story.epoch(), 2500), 9_000);
    assertThat(times.renewalAppliedAt()).isEqualTo(9_000);
    assertThat(times.releasedAfterSilence()).isZero();
  }

  @Test
  void aRefusedReleaseTellsNothing() {
    apply("pg2", new Command.Release(story.epoch(), Optional.empty(), "not mine", Duration.ofMillis(190)), 5_000);
    assertThat(story.last().applied()).isFalse();
    assertThat(times.releasedAfterSilence()).isZero();
  }
}
