package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.internal.state.ClusterCa;
import io.ratisfailover.internal.state.ClusterState;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this member can take part in the cluster it applied: the CA it was given against the
 * cluster's, and its configuration (cluster name, peers, settings) against the cluster's. Loop
 * thread only, except {@link #refused()}.
 */
final class TrustAndAgreement {
  // MemberRuntime's logger: the log lines stay those of the member.
  private static final Logger log = LoggerFactory.getLogger(MemberRuntime.class);

  private final RuntimeConfig config;
  private final MemberId self;
  /** The cluster CA {@link #checkTrust} last looked at; null before the first initialized state. */
  private Optional<ClusterCa> trustChecked;
  /**
   * Why this member's configuration (cluster name, peers) disagrees with the cluster's, once seen:
   * from then on it acts as if it had never read the state (it only fences), and reports nothing.
   */
  private Optional<String> refusal = Optional.empty();
  private final CompletableFuture<String> refused = new CompletableFuture<>();
  /** The name and the peers are compared once; removal is watched on every state (see {@link #checkRemoved}). */
  private boolean agreementChecked;

  TrustAndAgreement(RuntimeConfig config) {
    this.config = config;
    this.self = config.self();
  }

  /**
   * Says once, loudly, when this member cannot take part in the cluster with the CA it was given
   * (the agent and arbiter then do nothing but fence), or when the cluster does not check signatures.
   */
  void checkTrust(ClusterState s) {
    if (!s.initialized() || s.ca().equals(trustChecked)) {
      return;
    }
    trustChecked = s.ca();
    Optional<String> problem = Trust.problem(s, config.ca());
    if (problem.isPresent()) {
      log.error("member {} epoch {}: {}", self, s.epoch(), problem.get());
    } else if (!s.authenticated() && config.ca().isPresent()) {
      log.warn("member {} epoch {}: cluster {} was bootstrapped without a CA: commands are not authenticated,"
          + " whatever raft.tls says", self, s.epoch(), s.clusterName());
    }
  }

  /**
   * As soon as it applies a bootstrapped state (committed, so the cluster's, even before the boot
   * barrier): a member whose cluster name or peers differ from the cluster's refuses to run (the
   * sidecar and the witness exit on {@link #refused()}); settings that differ are dynamic, so they
   * only get a warning, once. A peers list that differs only by whole members is decided once the
   * member has read the committed state ({@code booted}): a state replayed from before a membership
   * change does not list the members added since, and this member may be one of them.
   */
  void checkAgreement(ClusterState state, boolean booted) {
    if (!state.initialized() || refusal.isPresent()) {
      return;
    }
    if (booted) {
      checkRemoved(state);
    }
    if (agreementChecked || refusal.isPresent()) {
      return;
    }
    Optional<String> differs = ConfigAgreement.refusal(config.clusterName(), config.peers(), state, "the state it applied");
    if (differs.isPresent() && !booted && ConfigAgreement.reconfigurable(config.clusterName(), config.peers(), state)) {
      return;
    }
    agreementChecked = true;
    refusal = differs.map(r -> "member " + self + ": " + r);
    if (refusal.isPresent()) {
      log.error("member {} epoch {}: refusing to run: {}", self, state.epoch(), refusal.get());
      return;
    }
    ConfigAgreement.outdatedPeers(config.peers(), state).ifPresent(d -> log.warn("member {} epoch {}: the cluster's"
        + " membership changed through reconfiguration and the configuration file was not updated ({}): the cluster's"
        + " applies; update the peers list", self, state.epoch(), d));
    if (config.kind() == MemberKind.DATA) {
      ConfigAgreement.settingsDifference(config.initialSettings(), state.settings()).ifPresent(d -> log.warn(
          "member {} epoch {}: the cluster's settings differ from this member's configured ones ({}): the cluster's"
          + " apply; they change at run time through the API (rfctl edit-config)", self, state.epoch(), d));
    }
  }

  /**
   * A member removed from the cluster (its record gone from the applied state) stops for good: the
   * agent only keeps its database fenced, it never takes a lease, and its host stops it on
   * {@link #refused()}. Its Raft vote goes with the configuration change that follows the removal.
   */
  private void checkRemoved(ClusterState state) {
    if (refusal.isPresent() || !state.initialized() || state.member(self).isPresent()) {
      return;
    }
    refusal = Optional.of("member " + self + ": it is not (or no longer) a member of cluster " + state.clusterName()
        + (state.membershipChanges() > 0 ? " (removed through reconfiguration)" : "")
        + "; it stops; add it again (rfctl add-member) to bring it back");
    log.error("member {} epoch {}: refusing to run: {}", self, state.epoch(), refusal.get());
  }

  /** Why this member refuses to run, once its configuration turned out to disagree with the cluster's. */
  Optional<String> refusal() {
    return refusal;
  }

  /** Completes {@link #refused()} once the refusal is in the published view. */
  void announceRefusal() {
    refusal.ifPresent(refused::complete);
  }

  CompletableFuture<String> refused() {
    return refused;
  }
}
