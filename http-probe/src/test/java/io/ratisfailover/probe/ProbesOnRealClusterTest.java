package io.ratisfailover.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratisfailover.MemberId;
import io.ratisfailover.Timing;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real members (Raft on loopback, agents, in-memory databases) each with its probe: the
 * answers routers see, and a switchover asked for over HTTP through the witness.
 */
class ProbesOnRealClusterTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;
  private LocalCluster cluster;
  private final Map<String, ProbeServer> probes = new LinkedHashMap<>();

  @AfterEach
  void stop() {
    probes.values().forEach(ProbeServer::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  private Http http(String member) {
    return new Http(probes.get(member).url());
  }

  private String describe() {
    return probes.keySet().stream().map(m -> m + " /primary=" + http(m).status("OPTIONS", "/primary")
        + " /replica=" + http(m).status("OPTIONS", "/replica")).collect(Collectors.joining(", "))
        + "; " + cluster.describe();
  }

  /** The state {@code observer}'s {@code /cluster} gives {@code member}; empty when it cannot be read. */
  private String stateSeenBy(String observer, String member) {
    try {
      for (JsonNode m : json(http(observer).get("/cluster")).path("members")) {
        if (m.path("name").asText().equals(member)) {
          return m.path("state").asText();
        }
      }
    } catch (Exception e) {
      // not answering yet
    }
    return "";
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  @Test
  void exactlyOneDataMemberAnswersPrimaryAndASwitchoverOverHttpMovesIt() throws Exception {
    cluster = LocalCluster.threeMembers("probe-it", dir, Timing.defaults()).startAll();
    for (String id : List.of("pg1", "pg2", "w1")) {
      probes.put(id, ProbeServer.start(cluster.member(id), ProbeConfig.builder().host("127.0.0.1").port(0).build()));
    }
    Await.until("one member to serve as primary and the other to replicate", WAIT,
        () -> (http("pg1").status("OPTIONS", "/primary") == 200) != (http("pg2").status("OPTIONS", "/primary") == 200)
            && (http("pg1").status("OPTIONS", "/replica") == 200) != (http("pg2").status("OPTIONS", "/replica") == 200),
        this::describe);
    String primary = http("pg1").status("OPTIONS", "/primary") == 200 ? "pg1" : "pg2";
    String replica = primary.equals("pg1") ? "pg2" : "pg1";
    for (String path : List.of("/primary", "/replica", "/read-only", "/leader")) {
      assertThat(http("w1").status("OPTIONS", path)).as("witness " + path).isEqualTo(503);
    }
    assertThat(http("w1").status("GET", "/health")).isEqualTo(200);
    assertThat(http(primary).status("GET", "/leader")).isEqualTo(200);
    assertThat(http(replica).status("GET", "/read-only")).isEqualTo(200);
    Await.until("the replica to be ready", WAIT, () -> http(replica).status("GET", "/readiness") == 200, this::describe);
    // The switchover below is checked against the witness's copy of the state, which learns of the
    // replica's streaming from its next report, up to a loop_wait after the replica itself knows.
    Await.until("the witness to see the replica streaming", WAIT,
        () -> stateSeenBy("w1", replica).equals("streaming"), this::describe);

    JsonNode members = json(http("w1").get("/cluster")).path("members");
    assertThat(members).hasSize(3);
    Map<String, String> roles = new LinkedHashMap<>();
    members.forEach(m -> roles.put(m.path("name").asText(), m.path("role").asText()));
    assertThat(roles).containsEntry(primary, "leader").containsEntry(replica, "replica").containsEntry("w1", "witness");

    HttpResponse<String> switched = http("w1").send("POST", "/switchover",
        "{\"leader\": \"" + primary + "\", \"candidate\": \"" + replica + "\"}");
    assertThat(switched.statusCode()).as(switched.body()).isEqualTo(200);
    assertThat(json(switched).path("message").asText()).isEqualTo("Successfully switched over to \"" + replica + "\"");
    Await.until("the new primary to answer 200 and the old one 503", WAIT,
        () -> http(replica).status("OPTIONS", "/primary") == 200 && http(primary).status("OPTIONS", "/primary") == 503,
        this::describe);

    JsonNode history = json(http("w1").get("/history"));
    assertThat(history.get(history.size() - 1).path("cause").asText()).isEqualTo("switchover");
    assertThat(history.get(history.size() - 1).path("new_leader").asText()).isEqualTo(replica);
    assertThat(http("w1").get("/metrics").body()).contains("ratis_failover_switchovers_total{name=\"w1\",scope=\"probe-it\"} 1.0");

    HttpResponse<String> wrongLeader = http(replica).send("POST", "/switchover",
        "{\"leader\": \"" + primary + "\", \"candidate\": \"" + replica + "\"}");
    assertThat(wrongLeader.statusCode()).isEqualTo(412);
    assertThat(json(wrongLeader).path("error").asText()).contains("leader name does not match");
    HttpResponse<String> stranger = http(replica).send("POST", "/switchover",
        "{\"leader\": \"" + replica + "\", \"candidate\": \"pg9\"}");
    assertThat(stranger.statusCode()).isEqualTo(412);

    assertThat(http(primary).send("PATCH", "/config", "{\"pause\": true, \"maximum_lag_on_failover\": \"4MB\"}")
        .statusCode()).isEqualTo(200);
    Await.until("every member to see the pause", WAIT, () -> probes.keySet().stream()
        .allMatch(m -> http(m).get("/config").body().contains("\"pause\":true")), this::describe);
    assertThat(json(http("w1").get("/config")).path("maximum_lag_on_failover").asLong()).isEqualTo(4 << 20);
    assertThat(http(replica).send("PATCH", "/config", "{\"pause\": false}").statusCode()).isEqualTo(200);
  }

  @Test
  void aKilledMemberIsListedAsUnreachableOnceItsReportsStop() throws Exception {
    cluster = LocalCluster.threeMembers("probe-gone", dir, Timing.defaults()).startAll();
    probes.put("w1", ProbeServer.start(cluster.member("w1"), ProbeConfig.builder().host("127.0.0.1").port(0).build()));
    Await.until("every member listed as running or streaming", WAIT, () -> {
      Map<String, String> states = states();
      return states.size() == 3 && states.values().stream().allMatch(s -> s.equals("running") || s.equals("streaming"));
    }, this::describe);
    String primary = Await.value("a serving primary", WAIT, () -> cluster.servingPrimary().map(m -> m.id().value()).orElse(null));
    String standby = primary.equals("pg1") ? "pg2" : "pg1";
    long killed = System.nanoTime();
    cluster.kill(MemberId.of(standby));
    Await.until(standby + " listed as unreachable", WAIT, () -> "unreachable".equals(states().get(standby)),
        () -> states() + "; " + describe());
    // Not before its last report is a ttl old: a member that merely skipped a beat is not gone.
    assertThat(Duration.ofNanos(System.nanoTime() - killed)).isGreaterThanOrEqualTo(Timing.defaults().ttl().minus(
        Timing.defaults().loopWait()));
  }

  /**
   * Each member's state in the witness's {@code /cluster}; none when the request failed (a poll that
   * timed out on a loaded machine is "not yet", and the wait's own deadline still bounds it).
   */
  private Map<String, String> states() {
    Map<String, String> states = new LinkedHashMap<>();
    try {
      json(http("w1").get("/cluster")).path("members")
          .forEach(m -> states.put(m.path("name").asText(), m.path("state").asText()));
    } catch (Exception e) {
      System.out.println("GET /cluster on w1 failed: " + e);
    }
    return states;
  }
}
