package io.ratisfailover.sim;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.Provide;

/**
 * The same property under quorum commit ({@code synchronous_mode: quorum}): four data members and a
 * witness, every commit waiting for any two of the primary's three standbys. S4 — no acknowledged
 * commit lost — now rests on the election rule of docs/design.md §4.7: a candidate takes the lease
 * only once it has compared positions with two of the three (itself included) and none is ahead.
 */
class QuorumCommitSafetyProperties extends SafetyContract {
  @Override
  SimConfig config() {
    return SimConfig.quorumCommit();
  }

  @Override
  int maxFaults() {
    return 10;
  }

  @Override
  @Provide
  Arbitrary<Schedule> schedules() {
    return Schedules.synchronousFaults(config(), actualDrift(), maxFaults());
  }
}
