package io.ratisfailover.sim;

/** The same property with three data members and two witnesses: more members, more ways to split. */
class FiveMemberSafetyProperties extends SafetyContract {
  @Override
  SimConfig config() {
    return SimConfig.fiveMembers();
  }

  @Override
  int maxFaults() {
    return 10;
  }
}
