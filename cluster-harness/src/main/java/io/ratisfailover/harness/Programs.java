package io.ratisfailover.harness;

/**
 * The main classes of the shipped programs that the demo and the chaos runs start as processes. They
 * are named, not imported: the harness has the programs on its run-time class path only, so that no
 * harness code can reach into them (ProgramsTest checks that the names still load).
 */
public final class Programs {
  /** The data member next to PostgreSQL (module sidecar). */
  public static final String SIDECAR = "io.ratisfailover.sidecar.SidecarMain";
  /** The witness (module witness-node). */
  public static final String WITNESS = "io.ratisfailover.witness.WitnessMain";

  private Programs() {}
}
