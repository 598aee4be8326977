package io.ratisfailover.internal.control;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.MemberRecord;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Whether a member's configuration agrees with the cluster it joins (issue 11, item 6). The
 * cluster's name and its peers list are static: Ratis seeds a new group from each member's own
 * list and later ignores the file, so a member whose list differs would otherwise run on quietly
 * with a view of the cluster no other member shares. Those refuse. The {@link ClusterSettings}
 * are dynamic (changed at run time through the API), so a member's configured values may
 * legitimately differ from the cluster's later on: those are only described, for a warning.
 */
public final class ConfigAgreement {
  private ConfigAgreement() {}

  /**
   * Why this member must not run with the cluster's state, or empty when its configuration agrees
   * (or the cluster is not bootstrapped yet, so there is nothing to compare with).
   *
   * @param where whose copy of the state this is, for the message
   */
  public static Optional<String> refusal(String clusterName, List<Peer> peers, ClusterState state, String where) {
    if (!state.initialized()) {
      return Optional.empty();
    }
    if (!state.clusterName().equals(clusterName)) {
      return Optional.of(nameRefusal(clusterName, state.clusterName(), where));
    }
    List<Peer> cluster = state.members().values().stream().map(MemberRecord::peer).toList();
    if (byId(peers).equals(byId(cluster))) {
      return Optional.empty();
    }
    if (state.membershipChanges() > 0 && conflicts(peers, cluster).isEmpty()) {
      return Optional.empty();
    }
    return Optional.of("configured peers " + describe(peers, cluster) + " differ from the cluster's "
        + describe(cluster, peers) + " in " + where + "; fix the peers list");
  }

  /**
   * Once members were added or removed through Raft reconfiguration, the replicated membership is
   * the cluster's and a configuration file may lag behind it: a peer listed only there, or only in
   * the cluster, is no reason to refuse. A peer listed in both with another address or kind still is
   * (reconfiguration never changes a member's address: a replacement has a new id).
   *
   * @return the ids of the peers listed in both that differ
   */
  static List<String> conflicts(List<Peer> peers, List<Peer> cluster) {
    Map<MemberId, Peer> theirs = byId(cluster);
    return peers.stream().filter(p -> theirs.containsKey(p.id()) && !theirs.get(p.id()).equals(p))
        .map(p -> p.id().value()).sorted().toList();
  }

  /**
   * Whether the configuration could agree with the cluster's after membership changes not yet
   * applied here: the same cluster name, and every peer listed in both the same.
   */
  public static boolean reconfigurable(String clusterName, List<Peer> peers, ClusterState state) {
    return state.clusterName().equals(clusterName)
        && conflicts(peers, state.members().values().stream().map(MemberRecord::peer).toList()).isEmpty();
  }

  /**
   * The configured peers that differ from the cluster's membership, once it changed through
   * reconfiguration; empty when they agree. Worth a warning: the file should be updated.
   */
  public static Optional<String> outdatedPeers(List<Peer> peers, ClusterState state) {
    List<Peer> cluster = state.members().values().stream().map(MemberRecord::peer).toList();
    if (!state.initialized() || byId(peers).equals(byId(cluster))) {
      return Optional.empty();
    }
    return Optional.of("configured peers " + describe(peers, cluster) + ", the cluster's " + describe(cluster, peers));
  }

  /** The one-line refusal for a member configured with another cluster's name. */
  public static String nameRefusal(String configured, String clusters, String where) {
    return "configured cluster name '" + configured + "' differs from the cluster's '" + clusters + "' in " + where
        + "; fix the cluster name";
  }

  /**
   * The settings this member was configured with that differ from the cluster's, as
   * {@code name: configured here, cluster's} pairs; empty when they agree. Dynamic settings, so a
   * difference is worth a warning, not a refusal: an operator may have changed them through the API.
   */
  public static Optional<String> settingsDifference(ClusterSettings configured, ClusterSettings cluster) {
    List<String> differ = new ArrayList<>();
    compare(differ, "synchronous_mode", configured, cluster,
        s -> s.synchronousMode().name().toLowerCase(java.util.Locale.ROOT));
    compare(differ, "synchronous_node_count", configured, cluster, ClusterSettings::synchronousNodeCount);
    compare(differ, "maximum_lag_on_failover", configured, cluster, ClusterSettings::maximumLagOnFailover);
    compare(differ, "primary_start_timeout", configured, cluster, ClusterSettings::primaryStartTimeout);
    compare(differ, "switchover_timeout", configured, cluster, ClusterSettings::switchoverTimeout);
    return differ.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", differ));
  }

  private static void compare(List<String> differ, String name, ClusterSettings configured, ClusterSettings cluster,
      Function<ClusterSettings, Object> field) {
    Object mine = field.apply(configured);
    Object theirs = field.apply(cluster);
    if (!mine.equals(theirs)) {
      differ.add(name + " " + mine + " here, " + theirs + " in the cluster");
    }
  }

  private static Map<MemberId, Peer> byId(List<Peer> peers) {
    return peers.stream().collect(Collectors.toMap(Peer::id, p -> p, (a, b) -> a, TreeMap::new));
  }

  /**
   * {@code peers} sorted by id: a peer that is the same in {@code other} by its id alone, one that
   * differs (or is missing there) with its address, and its kind when that differs.
   */
  private static String describe(List<Peer> peers, List<Peer> other) {
    Map<MemberId, Peer> theirs = byId(other);
    return peers.stream().sorted(Comparator.comparing(Peer::id)).map(p -> {
      Peer same = theirs.get(p.id());
      if (p.equals(same)) {
        return p.id().value();
      }
      boolean kindDiffers = same != null && same.kind() != p.kind();
      return p.id() + "@" + p.raftAddress() + (kindDiffers ? " (" + kindName(p.kind()) + ")" : "");
    }).collect(Collectors.joining(", ", "[", "]"));
  }

  private static String kindName(MemberKind kind) {
    return kind == MemberKind.DATA ? "data" : "witness";
  }
}
