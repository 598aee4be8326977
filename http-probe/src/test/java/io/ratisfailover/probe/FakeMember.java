package io.ratisfailover.probe;

import io.ratisfailover.ClusterMember;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.ClusterView;
import io.ratisfailover.Epoch;
import io.ratisfailover.LocalView;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.SwitchoverOutcome;
import io.ratisfailover.SwitchoverRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A {@link ClusterMember} whose views come from a {@link Scene} and whose admin calls do what the
 * test says, recording each call.
 */
final class FakeMember implements ClusterMember {
  private volatile Supplier<Observation> view;
  private volatile ClusterSettings settings = ClusterSettings.DEFAULT;
  private volatile boolean paused;
  final List<String> calls = new CopyOnWriteArrayList<>();
  volatile Function<SwitchoverRequest, SwitchoverOutcome> onSwitchover =
      r -> SwitchoverOutcome.completed(Epoch.of(4), r.candidate().orElse(MemberId.of("pg2")));
  volatile Function<MemberId, SwitchoverOutcome> onFailover = c -> SwitchoverOutcome.completed(Epoch.of(4), c);
  volatile Runnable onCancel = () -> { };
  volatile Supplier<CompletableFuture<Void>> onRestart = () -> CompletableFuture.completedFuture(null);
  volatile Supplier<CompletableFuture<Void>> onReload = () -> CompletableFuture.completedFuture(null);
  volatile Supplier<CompletableFuture<Void>> onReinitialize = CompletableFuture::new;

  FakeMember(Scene.Viewer viewer) {
    show(viewer);
  }

  /** From now on the member looks like {@code viewer} says. */
  void show(Scene.Viewer viewer) {
    this.view = viewer::observe;
  }

  ClusterSettings settings() {
    return settings;
  }

  boolean paused() {
    return paused;
  }

  @Override
  public MemberId id() {
    return view.get().local().id();
  }

  @Override
  public MemberKind kind() {
    return view.get().local().kind();
  }

  @Override
  public LocalView local() {
    return view.get().local();
  }

  @Override
  public ClusterView cluster() {
    ClusterView c = view.get().cluster();
    return new ClusterView(c.clusterName(), c.initialized(), c.epoch(), c.primary(), paused || c.paused(), settings,
        c.synchronousStandbys(), c.switchover(), c.members(), c.history(), c.raftLeader(), c.raftTerm(),
        c.appliedIndex());
  }

  @Override
  public boolean servingPrimary() {
    return view.get().servingPrimary();
  }

  @Override
  public SwitchoverOutcome switchover(SwitchoverRequest request, Duration wait) {
    calls.add("switchover " + request.leader().map(MemberId::value).orElse("-") + " -> "
        + request.candidate().map(MemberId::value).orElse("-") + request.scheduledAt().map(at -> " at " + at).orElse(""));
    return onSwitchover.apply(request);
  }

  @Override
  public SwitchoverOutcome failover(MemberId candidate, Duration wait) {
    calls.add("failover -> " + candidate);
    return onFailover.apply(candidate);
  }

  @Override
  public void cancelSwitchover() {
    calls.add("cancel switchover");
    onCancel.run();
  }

  @Override
  public void pause() {
    calls.add("pause");
    paused = true;
  }

  @Override
  public void resume() {
    calls.add("resume");
    paused = false;
  }

  @Override
  public ClusterSettings updateSettings(UnaryOperator<ClusterSettings> change) {
    calls.add("update settings");
    settings = change.apply(settings);
    return settings;
  }

  @Override
  public List<MemberId> addMember(io.ratisfailover.Peer peer, Duration wait) {
    calls.add("add member " + peer.id() + " " + peer.kind() + " " + peer.raftAddress());
    return List.of(MemberId.of("pg1"), MemberId.of("pg2"), MemberId.of("w1"), peer.id());
  }

  @Override
  public List<MemberId> removeMember(MemberId member, Duration wait) {
    calls.add("remove member " + member);
    return List.of(MemberId.of("pg1"), MemberId.of("pg2"), MemberId.of("w1"));
  }

  @Override
  public List<MemberId> replaceMember(MemberId old, io.ratisfailover.Peer replacement, Duration wait) {
    calls.add("replace member " + old + " with " + replacement.id());
    return List.of(MemberId.of("pg1"), MemberId.of("pg2"), replacement.id());
  }

  @Override
  public CompletableFuture<Void> restartDatabase() {
    calls.add("restart");
    return onRestart.get();
  }

  @Override
  public CompletableFuture<Void> reloadDatabase() {
    calls.add("reload");
    return onReload.get();
  }

  @Override
  public CompletableFuture<Void> reinitializeDatabase() {
    calls.add("reinitialize");
    return onReinitialize.get();
  }
}
