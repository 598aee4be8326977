package io.ratisfailover.sim;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * One fault of a schedule. Times are milliseconds of simulated real time; node numbers index the
 * simulation's members. Each fault prints in the form {@link Schedule#parse} reads back.
 */
public sealed interface Fault extends Comparable<Fault> {
  long atMillis();

  /** When the fault is over (the same instant for one-shot faults). */
  long endMillis();

  @Override
  default int compareTo(Fault other) {
    return Long.compare(atMillis(), other.atMillis());
  }

  /** The host dies (agent, Raft server and database) and comes back after {@code forMillis}. */
  record Crash(int node, long atMillis, long forMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() { return "crash(" + node + "," + atMillis + "," + forMillis + ")"; }
  }

  /**
   * Only the agent dies (kill -9 of the sidecar: agent and Raft server) while its database keeps
   * running; after {@code forMillis} the agent restarts with its Raft storage intact, cut off from
   * every other member for the first {@code isolatedMillis} (0: not cut off).
   */
  record AgentCrash(int node, long atMillis, long forMillis, long isolatedMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis + isolatedMillis; }
    public String toString() { return "agentcrash(" + node + "," + atMillis + "," + forMillis + "," + isolatedMillis + ")"; }
  }

  /**
   * The node's Raft storage is lost while its agent is down (kill -9, then a new disk): after
   * {@code forMillis} the agent starts again on empty storage with {@code --rejoin}, outside the
   * voters until the leader has brought it up to date, and its database (if any) kept running.
   */
  record StorageLoss(int node, long atMillis, long forMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() { return "wipe(" + node + "," + atMillis + "," + forMillis + ")"; }
  }

  /** Only the database dies (kill -9 of the postmaster); the agent lives on. */
  record DatabaseCrash(int node, long atMillis) implements Fault {
    public long endMillis() { return atMillis; }
    public String toString() { return "dbcrash(" + node + "," + atMillis + ")"; }
  }

  /** Every call into the database blocks (a frozen server) for {@code forMillis}. */
  record DatabaseHang(int node, long atMillis, long forMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() { return "dbhang(" + node + "," + atMillis + "," + forMillis + ")"; }
  }

  /** The agent's process is paused (GC, SIGSTOP): it neither acts nor answers, its clock runs on. */
  record Pause(int node, long atMillis, long forMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() { return "pause(" + node + "," + atMillis + "," + forMillis + ")"; }
  }

  /**
   * Nothing another node initiates reaches the node (a firewall dropping connections to its Raft
   * port) while its own connections work: as leader it keeps its followers, but no client request
   * and no vote reaches it; as follower it receives no appends.
   */
  record Deaf(int node, long atMillis, long forMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() { return "deaf(" + node + "," + atMillis + "," + forMillis + ")"; }
  }

  /** The nodes in {@code side} cannot talk to the others, in either direction. */
  record Partition(Set<Integer> side, long atMillis, long forMillis) implements Fault {
    public Partition {
      side = Set.copyOf(new TreeSet<>(side));
    }
    public long endMillis() { return atMillis + forMillis; }
    public String toString() {
      return "partition(" + String.join("+", new TreeSet<>(side).stream().map(String::valueOf).toList()) + ","
          + atMillis + "," + forMillis + ")";
    }
  }

  /** The node's links go down and up again and again (a flapping port), each state lasting up to {@code periodMillis}. */
  record Flap(int node, long atMillis, long forMillis, int periodMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() { return "flap(" + node + "," + atMillis + "," + forMillis + "," + periodMillis + ")"; }
  }

  /** Messages from {@code from} to {@code to} are lost; the other direction works. */
  record OneWay(int from, int to, long atMillis, long forMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() { return "oneway(" + from + "," + to + "," + atMillis + "," + forMillis + ")"; }
  }

  /** Every message takes {@code extraMillis} more plus up to {@code jitterMillis} at random. */
  record Delay(long atMillis, long forMillis, int extraMillis, int jitterMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() { return "delay(" + atMillis + "," + forMillis + "," + extraMillis + "," + jitterMillis + ")"; }
  }

  /** Messages from {@code from} to {@code to} take {@code extraMillis} more: a slow or congested direction. */
  record SlowLink(int from, int to, long atMillis, long forMillis, int extraMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() { return "slowlink(" + from + "," + to + "," + atMillis + "," + forMillis + "," + extraMillis + ")"; }
  }

  /**
   * Every message to {@code node} takes {@code extraMillis} more (its inbound path is congested):
   * the answers to its commands, a primary's renewals among them, arrive late.
   */
  record SlowInbound(int node, long atMillis, long forMillis, int extraMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() { return "slowin(" + node + "," + atMillis + "," + forMillis + "," + extraMillis + ")"; }
  }

  /**
   * Every answer to a command (the Raft client's reply path) takes {@code extraMillis} more, while
   * the log replicates as fast as ever: a renewal is applied at once but its sender hears late.
   */
  record SlowReplies(long atMillis, long forMillis, int extraMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() { return "slowreplies(" + atMillis + "," + forMillis + "," + extraMillis + ")"; }
  }

  /**
   * The node's Raft server receives no appends or heartbeats from the leader while its Raft client
   * works: its reports and renewals still reach the log and are answered, but it applies nothing
   * new (chaos seed 453479).
   */
  record AppendsBlocked(int node, long atMillis, long forMillis) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() { return "noappends(" + node + "," + atMillis + "," + forMillis + ")"; }
  }

  /**
   * The node's Raft server installs a snapshot of the leader's state while it runs (a follower too
   * far behind for the log): its runtime gets the state wholesale instead of entry by entry.
   */
  record SnapshotInstall(int node, long atMillis) implements Fault {
    public long endMillis() { return atMillis; }
    public String toString() { return "snapshot(" + node + "," + atMillis + ")"; }
  }

  /** Every message is lost with {@code probability}. */
  record Loss(long atMillis, long forMillis, double probability) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() {
      return "loss(" + atMillis + "," + forMillis + "," + String.format(Locale.ROOT, "%.3f", probability) + ")";
    }
  }

  /** Commands reach the log twice with {@code probability}: a client retry after the retry cache expired. */
  record Duplicate(long atMillis, long forMillis, double probability) implements Fault {
    public long endMillis() { return atMillis + forMillis; }
    public String toString() {
      return "duplicate(" + atMillis + "," + forMillis + "," + String.format(Locale.ROOT, "%.3f", probability) + ")";
    }
  }

  /** The Raft leader hands leadership to another member: the arbiter changes. */
  record LeaderChange(long atMillis) implements Fault {
    public long endMillis() { return atMillis; }
    public String toString() { return "leaderchange(" + atMillis + ")"; }
  }

  /** An operator asks for a switchover, through the member {@code via}. */
  record Switchover(int via, long atMillis) implements Fault {
    public long endMillis() { return atMillis; }
    public String toString() { return "switchover(" + via + "," + atMillis + ")"; }
  }
}
