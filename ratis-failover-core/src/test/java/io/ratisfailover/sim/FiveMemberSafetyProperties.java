package io.ratisfailover.sim;

/**
 * The same property with three data members and two witnesses: more members, more ways to split;
 * and a primary that answers 503 on {@code /primary} for 250 ms before a switchover stops it.
 */
class FiveMemberSafetyProperties extends SafetyContract {
  @Override
  SimConfig config() {
    return SimConfig.named("5");
  }

  @Override
  int maxFaults() {
    return 10;
  }
}
