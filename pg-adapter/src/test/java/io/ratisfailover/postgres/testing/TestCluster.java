package io.ratisfailover.postgres.testing;

import io.ratisfailover.ClusterView;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberView;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A cluster of two data members (pg1, pg2) with real PostgreSQL servers and a witness (w1), as the
 * cluster scenarios drive it: members in this JVM with local servers ({@link PgCluster}), or
 * members in containers ({@code ContainerCluster}). Everything is reached over loopback.
 */
public interface TestCluster extends AutoCloseable {

  /** The member serving as primary now, if any. */
  Optional<String> servingPrimary();

  /** Where a member's PostgreSQL server answers, with the superuser's credentials. */
  PostgresConfig postgres(String member);

  /** The last known observation of a member's database. */
  Optional<DatabaseStatus> database(String member);

  /** The replicated state, as a running member sees it. */
  ClusterView view();

  boolean isRunning(String member);

  /** The member's host dies: agent and PostgreSQL, without a word. */
  void killMember(String member);

  /** Only the member's PostgreSQL dies (SIGKILL of the postmaster). */
  void crashPostgres(String member);

  /** Starts a member (again) from its directories. */
  void start(String member);

  /** A planned switchover away from {@code from}; returns once a new primary is promoted. */
  void switchover(String from, Duration wait);

  /** What the adapter of {@code member} logged, for checking what it decided. */
  List<String> adapterLog(String member);

  /** One line per member, for failure messages. */
  String describe();

  @Override
  void close();

  default Optional<PostgresConfig> servingPostgres() {
    return servingPrimary().map(this::postgres);
  }

  default String awaitPrimary(Duration timeout) {
    return Await.value("a serving primary", timeout, () -> servingPrimary().orElse(null));
  }

  /** Waits until {@code standby} streams from {@code primary}: its status says so and so does the primary's. */
  default void awaitFollowing(String standby, String primary, Duration timeout) {
    Await.until(standby + " streaming from " + primary, timeout, () -> {
      if (!isRunning(standby) || !isRunning(primary)) {
        return false;
      }
      Optional<DatabaseStatus> s = database(standby);
      Optional<DatabaseStatus> p = database(primary);
      return s.filter(DatabaseStatus::isReplica).flatMap(DatabaseStatus::upstream).map(u -> u.value().equals(primary))
          .orElse(false)
          && p.map(x -> x.replicas().stream().anyMatch(r -> r.member().value().equals(standby) && r.streaming()))
              .orElse(false);
    }, this::describe);
  }

  /** Waits until the replicated state records {@code standby} as a synchronous standby. */
  default void awaitSynchronous(String standby, Duration timeout) {
    Await.until(standby + " recorded synchronous", timeout,
        () -> view().synchronousStandbys().contains(MemberId.of(standby)), this::describe);
  }

  default HistoryEntry.Cause lastCause() {
    List<HistoryEntry> h = view().history();
    return h.get(h.size() - 1).cause();
  }

  /** The status a member last reported through the replicated state. */
  static Optional<DatabaseStatus> reported(ClusterView view, String member) {
    return view.members().stream().filter(m -> m.id().value().equals(member)).findFirst().flatMap(MemberView::status);
  }
}
