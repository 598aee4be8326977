package io.ratisfailover.probe;

import static io.ratisfailover.probe.Scene.MB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.LocalRole;
import io.ratisfailover.Tags;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The answer logic of every health check, one story per case, with no server. */
class HealthCheckTest {
  private static final Duration LIVENESS = Duration.ofSeconds(10);

  /** Primary pg1 at 10 MB; pg2 received 10 MB and replayed 8 MB; witness w1. */
  private static Scene usual() {
    return Scene.cluster().primary("pg1", 10 * MB).replica("pg2", 10 * MB, 8 * MB).witness("w1");
  }

  private static int status(Observation o, String path, String... query) {
    HealthCheck check = HealthCheck.forPath(path).orElse(HealthCheck.UNKNOWN);
    return check.evaluate(o, HealthCheck.Query.parse(params(query)), LIVENESS).status();
  }

  private static String reason(Observation o, String path, String... query) {
    HealthCheck check = HealthCheck.forPath(path).orElse(HealthCheck.UNKNOWN);
    return check.evaluate(o, HealthCheck.Query.parse(params(query)), LIVENESS).reason();
  }

  /** "lag=1MB", "tag_dc=east" → query parameters. */
  private static Map<String, List<String>> params(String... pairs) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String p : pairs) {
      int eq = p.indexOf('=');
      out.put(p.substring(0, eq), List.of(p.substring(eq + 1)));
    }
    return out;
  }

  @Nested
  class Primary {
    @Test
    void promotedPrimaryWithLeaseAndReadWriteDatabaseAnswers200OnEveryAlias() {
      Observation pg1 = usual().as("pg1").observe();
      for (String path : List.of("/", "/primary", "/master", "/read-write")) {
        assertThat(status(pg1, path)).as(path).isEqualTo(200);
      }
    }

    @Test
    void electedButStillPromotingAnswers503() {
      Observation pg1 = usual().promoting().as("pg1").observe();
      assertThat(status(pg1, "/primary")).isEqualTo(503);
      assertThat(reason(pg1, "/primary")).contains("not promoted yet");
    }

    @Test
    void lapsedLeaseAnswers503EvenThoughTheDatabaseIsStillReadWrite() {
      Observation pg1 = usual().as("pg1").leaseRemaining(Duration.ZERO).observe();
      assertThat(status(pg1, "/primary")).isEqualTo(503);
      assertThat(reason(pg1, "/primary")).contains("lease has lapsed");
    }

    @Test
    void validLeaseButDatabaseNotReadWriteAnswers503() {
      Observation pg1 = usual().as("pg1").database(DatabaseStatus.of(DatabaseState.STOPPED, "crashed")).observe();
      assertThat(status(pg1, "/primary")).isEqualTo(503);
      assertThat(reason(pg1, "/primary")).contains("not running read-write");
    }

    @Test
    void servingPrimaryIsTheOnlyInputThatCounts() {
      // Whatever the views say, the lease check made for this request decides.
      Observation pg1 = usual().as("pg1").serving(false).observe();
      assertThat(status(pg1, "/primary")).isEqualTo(503);
    }

    @Test
    void steppingDownAnswers503() {
      Observation pg1 = usual().as("pg1").role(LocalRole.DEMOTING).observe();
      assertThat(status(pg1, "/primary")).isEqualTo(503);
      assertThat(reason(pg1, "/primary")).contains("stepping down");
    }

    @Test
    void aReplicaAndAWitnessAnswer503() {
      assertThat(status(usual().as("pg2").observe(), "/primary")).isEqualTo(503);
      assertThat(status(usual().as("w1").observe(), "/primary")).isEqualTo(503);
      assertThat(reason(usual().as("w1").observe(), "/primary")).contains("witness");
    }

    @Test
    void tagFiltersAreIgnoredAsInPatroni() {
      Observation pg1 = usual().as("pg1").observe();
      assertThat(status(pg1, "/primary", "tag_dc=nowhere")).isEqualTo(200);
    }
  }

  @Nested
  class Leader {
    @Test
    void theElectedMemberAnswers200WhilePromotingThoughPrimaryAnswers503() {
      Observation pg1 = usual().promoting().as("pg1").observe();
      assertThat(status(pg1, "/leader")).isEqualTo(200);
      assertThat(status(pg1, "/primary")).isEqualTo(503);
    }

    @Test
    void withoutALeaseNobodyIsLeader() {
      assertThat(status(usual().as("pg1").leaseRemaining(Duration.ZERO).observe(), "/leader")).isEqualTo(503);
      assertThat(status(usual().as("pg2").observe(), "/leader")).isEqualTo(503);
      assertThat(status(usual().as("w1").observe(), "/leader")).isEqualTo(503);
    }

    @Test
    void thereIsNeverAStandbyLeader() {
      assertThat(status(usual().as("pg1").observe(), "/standby-leader")).isEqualTo(503);
      assertThat(status(usual().as("pg2").observe(), "/standby_leader")).isEqualTo(503);
    }
  }

  @Nested
  class Replica {
    @Test
    void streamingReplicaAnswers200() {
      assertThat(status(usual().as("pg2").observe(), "/replica")).isEqualTo(200);
    }

    @Test
    void replicaLagging2MbWithLag1MbAnswers503() {
      Observation pg2 = usual().as("pg2").observe();
      assertThat(status(pg2, "/replica", "lag=1MB")).isEqualTo(503);
      assertThat(reason(pg2, "/replica", "lag=1MB")).contains("2097152 bytes behind");
    }

    @Test
    void replicaLagging2MbWithLag3MbOrExactly2MbAnswers200() {
      Observation pg2 = usual().as("pg2").observe();
      assertThat(status(pg2, "/replica", "lag=3MB")).isEqualTo(200);
      assertThat(status(pg2, "/replica", "lag=2097152")).isEqualTo(200);
      assertThat(status(pg2, "/replica", "lag=2048kB")).isEqualTo(200);
      assertThat(status(pg2, "/replica", "lag=2047kB")).isEqualTo(503);
    }

    @Test
    void lagCountsFromWhatTheReplicaReceivedWhenThePrimaryReportedLess() {
      // The primary last reported 9 MB, but the replica already received 10 MB: the primary is at
      // least there (Patroni's latest_end_lsn), so replay at 8 MB is 2 MB behind.
      Observation pg2 = Scene.cluster().primary("pg1", 9 * MB).replica("pg2", 10 * MB, 8 * MB).witness("w1")
          .as("pg2").observe();
      assertThat(status(pg2, "/replica", "lag=1MB")).isEqualTo(503);
      assertThat(status(pg2, "/replica", "lag=2MB")).isEqualTo(200);
    }

    @Test
    void withNoPrimaryTheLagFilterCannotFailAsInPatroni() {
      Observation pg2 = usual().noPrimary().as("pg2").observe();
      assertThat(status(pg2, "/replica", "lag=1")).isEqualTo(200);
    }

    @Test
    void noloadbalanceTagAnswers503() {
      Observation pg2 = usual().tags("pg2", new Tags(false, true, false, 1, Map.of())).as("pg2").observe();
      assertThat(status(pg2, "/replica")).isEqualTo(503);
      assertThat(reason(pg2, "/replica")).contains("noloadbalance");
    }

    @Test
    void tagFiltersMustMatchExactly() {
      Observation pg2 = usual().tags("pg2", new Tags(true, false, false, 1, Map.of("dc", "east"))).as("pg2").observe();
      assertThat(status(pg2, "/replica", "tag_dc=east")).isEqualTo(200);
      assertThat(status(pg2, "/replica", "tag_dc=west")).isEqualTo(503);
      assertThat(status(pg2, "/replica", "tag_rack=r1")).isEqualTo(503);
      assertThat(status(pg2, "/replica", "tag_nofailover=true")).isEqualTo(200);
      assertThat(status(pg2, "/replica", "tag_dc=east", "tag_nofailover=false")).isEqualTo(503);
    }

    @Test
    void replicationStateFilter() {
      assertThat(status(usual().as("pg2").observe(), "/replica", "replication_state=streaming")).isEqualTo(200);
      Observation lagging = usual().notStreaming("pg2").as("pg2").observe();
      assertThat(status(lagging, "/replica", "replication_state=streaming")).isEqualTo(503);
      assertThat(status(lagging, "/replica")).isEqualTo(200);
    }

    @Test
    void aWitnessThePrimaryACandidateAndAStoppedReplicaAnswer503() {
      assertThat(status(usual().as("w1").observe(), "/replica")).isEqualTo(503);
      assertThat(status(usual().as("pg1").observe(), "/replica")).isEqualTo(503);
      assertThat(status(usual().as("pg2").role(LocalRole.CANDIDATE).observe(), "/replica")).isEqualTo(503);
      assertThat(status(usual().as("pg2").database(DatabaseStatus.of(DatabaseState.STOPPED, "")).observe(), "/replica"))
          .isEqualTo(503);
      assertThat(status(usual().as("pg2").role(LocalRole.STARTING).observe(), "/replica")).isEqualTo(503);
    }
  }

  @Nested
  class ReadOnlyAndSynchronous {
    @Test
    void readOnlyIsThePrimaryOrAHealthyReplica() {
      assertThat(status(usual().as("pg1").observe(), "/read-only")).isEqualTo(200);
      assertThat(status(usual().as("pg2").observe(), "/read-only")).isEqualTo(200);
      assertThat(status(usual().as("w1").observe(), "/read-only")).isEqualTo(503);
      assertThat(status(usual().as("pg2").observe(), "/read-only", "lag=1MB")).isEqualTo(503);
    }

    @Test
    void noloadbalanceKeepsAReplicaButNotThePrimaryOutOfReadOnly() {
      Tags nlb = new Tags(false, true, false, 1, Map.of());
      assertThat(status(usual().tags("pg2", nlb).as("pg2").observe(), "/read-only")).isEqualTo(503);
      assertThat(status(usual().tags("pg1", nlb).as("pg1").observe(), "/read-only")).isEqualTo(200);
    }

    @Test
    void synchronousAndAsynchronousFollowTheRecordedSynchronousSet() {
      Observation sync = usual().synchronous("pg2").as("pg2").observe();
      Observation async = usual().as("pg2").observe();
      assertThat(status(sync, "/synchronous")).isEqualTo(200);
      assertThat(status(sync, "/sync")).isEqualTo(200);
      assertThat(status(sync, "/asynchronous")).isEqualTo(503);
      assertThat(status(async, "/sync")).isEqualTo(503);
      assertThat(status(async, "/async")).isEqualTo(200);
      assertThat(status(async, "/async", "lag=1MB")).isEqualTo(503);
      assertThat(status(usual().as("pg1").observe(), "/sync")).isEqualTo(503);
      assertThat(status(usual().as("pg1").observe(), "/async")).isEqualTo(503);
    }

    @Test
    void readOnlySyncIsThePrimaryOrASynchronousStandby() {
      assertThat(status(usual().as("pg1").observe(), "/read-only-sync")).isEqualTo(200);
      assertThat(status(usual().synchronous("pg2").as("pg2").observe(), "/read-only-sync")).isEqualTo(200);
      assertThat(status(usual().as("pg2").observe(), "/read-only-sync")).isEqualTo(503);
    }
  }

  @Nested
  class HealthLivenessReadiness {
    @Test
    void healthIsARunningDatabaseOrARunningWitness() {
      assertThat(status(usual().as("pg1").observe(), "/health")).isEqualTo(200);
      assertThat(status(usual().as("pg2").observe(), "/health")).isEqualTo(200);
      assertThat(status(usual().as("w1").observe(), "/health")).isEqualTo(200);
      assertThat(status(usual().as("pg2").database(DatabaseStatus.of(DatabaseState.STOPPED, "")).observe(), "/health"))
          .isEqualTo(503);
      assertThat(status(usual().as("pg2").noDatabaseYet().observe(), "/health")).isEqualTo(503);
      assertThat(status(usual().as("w1").role(LocalRole.STARTING).observe(), "/health")).isEqualTo(503);
    }

    @Test
    void livenessFailsOnceTheAgentLoopStopsCyclingUnlessPaused() {
      assertThat(status(usual().as("pg2").observe(), "/liveness")).isEqualTo(200);
      assertThat(status(usual().as("pg2").sinceLastCycle(Duration.ofSeconds(11)).observe(), "/liveness")).isEqualTo(503);
      assertThat(status(usual().paused().as("pg2").sinceLastCycle(Duration.ofSeconds(11)).observe(), "/liveness"))
          .isEqualTo(200);
      assertThat(status(usual().as("pg2").role(LocalRole.STOPPED).observe(), "/liveness")).isEqualTo(503);
    }

    @Test
    void readinessIsServingOrStreamingWithinTheMaximumLag() {
      ClusterSettings oneMb = ClusterSettings.DEFAULT.withMaximumLagOnFailover(MB);
      assertThat(status(usual().as("pg1").observe(), "/readiness")).isEqualTo(200);
      assertThat(status(usual().promoting().as("pg1").observe(), "/readiness")).isEqualTo(503);
      // replay is 2 MB behind, received is not behind at all
      assertThat(status(usual().settings(oneMb).as("pg2").observe(), "/readiness")).isEqualTo(503);
      assertThat(status(usual().settings(oneMb).as("pg2").observe(), "/readiness", "mode=write")).isEqualTo(200);
      assertThat(status(usual().settings(oneMb).as("pg2").observe(), "/readiness", "lag=4MB")).isEqualTo(200);
      assertThat(status(usual().notStreaming("pg2").as("pg2").observe(), "/readiness", "lag=4MB")).isEqualTo(503);
      assertThat(status(usual().as("w1").observe(), "/readiness")).isEqualTo(200);
    }
  }

  @Test
  void unknownPathsAnswer503AsInPatroni() {
    assertThat(HealthCheck.forPath("/replicas")).isEmpty();
    assertThat(status(usual().as("pg1").observe(), "/no-such-check")).isEqualTo(503);
    assertThat(status(usual().as("pg1").observe(), "/quorum")).isEqualTo(503);
  }

  @Test
  void everyPathBelongsToExactlyOneCheck() {
    List<String> all = Arrays.stream(HealthCheck.values()).flatMap(c -> c.paths().stream()).toList();
    assertThat(all).doesNotHaveDuplicates();
  }

  @Test
  void unreadableQueriesAreRefusedNotIgnored() {
    assertThatThrownBy(() -> HealthCheck.Query.parse(params("lag=lots"))).hasMessageContaining("lag");
    assertThatThrownBy(() -> HealthCheck.Query.parse(params("lag="))).hasMessageContaining("lag");
    assertThatThrownBy(() -> HealthCheck.Query.parse(params("lag=1PB"))).hasMessageContaining("unit");
    assertThatThrownBy(() -> HealthCheck.Query.parse(params("mode=fast"))).hasMessageContaining("mode");
    assertThat(HealthCheck.Query.parse(params("lag=16MB", "cachebuster=1")).maxLag()).hasValue(16 * MB);
  }
}
