package io.ratisfailover.probe;

import static io.ratisfailover.probe.Scene.MB;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratisfailover.AdminRejectedException;
import io.ratisfailover.AdminRejectedException.Reason;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.NoQuorumException;
import io.ratisfailover.SwitchoverOutcome;
import io.ratisfailover.SynchronousMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** A running probe on a free loopback port, a real HTTP client, and a fake member behind it. */
class ProbeHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<AutoCloseable> open = new ArrayList<>();
  private FakeMember member;
  private ProbeServer server;

  /** Primary pg1 at 10 MB; pg2 received 10 MB and replayed 8 MB; witness w1. */
  private static Scene usual() {
    return Scene.cluster().primary("pg1", 10 * MB).replica("pg2", 10 * MB, 8 * MB).witness("w1");
  }

  private Http start(Scene.Viewer viewer, ProbeConfig.Builder config) {
    member = new FakeMember(viewer);
    server = ProbeServer.start(member, config.host("127.0.0.1").port(0).build());
    open.add(server);
    return new Http(server.url());
  }

  private Http start(Scene.Viewer viewer) {
    return start(viewer, ProbeConfig.builder());
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private static JsonNode json(HttpResponse<String> r) {
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + r.body(), e);
    }
  }

  private static String error(HttpResponse<String> r) {
    return json(r).path("error").asText();
  }

  @Nested
  class HealthChecks {
    @Test
    void servingPrimaryAnswers200ToGetHeadAndOptionsWithABodyOnlyForGet() {
      Http http = start(usual().as("pg1"));
      HttpResponse<String> get = http.get("/primary");
      assertThat(get.statusCode()).isEqualTo(200);
      assertThat(get.headers().firstValue("content-type")).hasValue("application/json");
      JsonNode body = json(get);
      assertThat(body.path("role").asText()).isEqualTo("primary");
      assertThat(body.path("state").asText()).isEqualTo("running");
      assertThat(body.path("patroni").path("name").asText()).isEqualTo("pg1");
      assertThat(body.path("check").path("status").asInt()).isEqualTo(200);
      HttpResponse<String> head = http.send("HEAD", "/primary", null);
      assertThat(head.statusCode()).isEqualTo(200);
      assertThat(head.body()).isEmpty();
      HttpResponse<String> options = http.send("OPTIONS", "/primary", null);
      assertThat(options.statusCode()).isEqualTo(200);
      assertThat(options.body()).isEmpty();
      assertThat(http.status("OPTIONS", "/")).isEqualTo(200);
      assertThat(http.status("GET", "/master/")).isEqualTo(200);
    }

    @Test
    void replicaAnswers503OnPrimaryAnd200OnReplicaWithAReasonInTheBody() {
      Http http = start(usual().as("pg2"));
      HttpResponse<String> primary = http.get("/primary");
      assertThat(primary.statusCode()).isEqualTo(503);
      assertThat(json(primary).path("check").path("reason").asText()).contains("not the primary");
      assertThat(http.status("OPTIONS", "/replica")).isEqualTo(200);
      assertThat(http.status("OPTIONS", "/replica?lag=1MB")).isEqualTo(503);
      assertThat(http.status("HEAD", "/replica?lag=16MB&tag_dc=east")).isEqualTo(503);
    }

    @Test
    void aLeaseThatLapsesTurnsPrimaryTo503AtOnce() {
      Scene scene = usual();
      Http http = start(scene.as("pg1"));
      assertThat(http.status("OPTIONS", "/primary")).isEqualTo(200);
      member.show(scene.as("pg1").leaseRemaining(Duration.ZERO));
      assertThat(http.status("OPTIONS", "/primary")).isEqualTo(503);
    }

    @Test
    void withAHoldOffANewPrimaryAnswers503UntilThePreviousPrimaryHasBeenSilentThatLong() {
      Scene scene = usual();
      Http http = start(scene.as("pg1").serving(false), ProbeConfig.builder().primaryHoldOff(Duration.ofMillis(300)));
      assertThat(http.status("OPTIONS", "/primary")).isEqualTo(503);
      // A switchover: the old primary released a moment ago.
      member.show(scene.as("pg1").predecessorSilent(Duration.ofMillis(100)));
      HttpResponse<String> held = http.get("/primary");
      assertThat(held.statusCode()).isEqualTo(503);
      assertThat(json(held).path("check").path("reason").asText()).contains("another 200 ms").contains("primary_hold_off");
      assertThat(json(held).path("serving_primary").asBoolean()).isFalse();
      member.show(scene.as("pg1").predecessorSilent(Duration.ofMillis(300)));
      assertThat(http.status("OPTIONS", "/primary")).isEqualTo(200);
    }

    @Test
    void afterACrashWhoseLeaseEndedLongerAgoThanTheHoldOffANewPrimaryAnswers200AtOnce() {
      Scene scene = usual();
      Http http = start(scene.as("pg1").serving(false), ProbeConfig.builder().primaryHoldOff(Duration.ofSeconds(2)));
      member.show(scene.as("pg1").predecessorSilent(Duration.ofMillis(2500)));
      assertThat(http.status("OPTIONS", "/primary")).isEqualTo(200);
    }

    @Test
    void aWitnessNeverAnswers200OnPrimaryOrReplica() {
      Http http = start(usual().as("w1"));
      for (String path : List.of("/", "/primary", "/leader", "/replica", "/read-only", "/sync", "/async")) {
        assertThat(http.status("GET", path)).as(path).isEqualTo(503);
      }
      assertThat(http.status("GET", "/health")).isEqualTo(200);
      assertThat(json(http.get("/patroni")).path("role").asText()).isEqualTo("witness");
    }

    @Test
    void unknownReadPathsAnswer503AndUnknownWritePaths404() {
      Http http = start(usual().as("pg1"));
      assertThat(http.status("GET", "/nope")).isEqualTo(503);
      assertThat(http.status("OPTIONS", "/replicas")).isEqualTo(503);
      HttpResponse<String> post = http.send("POST", "/nope", "{}");
      assertThat(post.statusCode()).isEqualTo(404);
      assertThat(error(post)).contains("no such endpoint");
    }

    @Test
    void anUnreadableLagIsA400NotAnUnlimitedLag() {
      Http http = start(usual().as("pg2"));
      HttpResponse<String> r = http.get("/replica?lag=lots");
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(error(r)).contains("lag");
      assertThat(http.status("OPTIONS", "/replica?lag=lots")).isEqualTo(400);
    }

    @Test
    void wrongMethodOnAHealthCheckIs405WithAllow() {
      Http http = start(usual().as("pg1"));
      HttpResponse<String> r = http.send("POST", "/primary", "{}");
      assertThat(r.statusCode()).isEqualTo(405);
      assertThat(r.headers().firstValue("allow")).hasValue("GET, HEAD, OPTIONS");
    }
  }

  @Nested
  class StatusDocuments {
    @Test
    void clusterHistoryConfigAndMetrics() {
      Http http = start(usual().synchronous("pg2").as("w1"));
      JsonNode cluster = json(http.get("/cluster"));
      assertThat(cluster.path("scope").asText()).isEqualTo("demo");
      assertThat(cluster.path("members")).hasSize(3);
      assertThat(cluster.path("members").get(0).path("role").asText()).isEqualTo("leader");
      assertThat(cluster.path("members").get(1).path("role").asText()).isEqualTo("sync_standby");
      assertThat(cluster.path("members").get(1).path("replay_lag").asLong()).isEqualTo(2 * MB);
      assertThat(cluster.path("members").get(2).path("role").asText()).isEqualTo("witness");

      JsonNode history = json(http.get("/history"));
      assertThat(history).hasSize(1);
      assertThat(history.get(0).path("new_leader").asText()).isEqualTo("pg1");

      JsonNode config = json(http.get("/config"));
      assertThat(config.path("maximum_lag_on_failover").asLong()).isEqualTo(1 << 20);
      assertThat(config.path("pause").asBoolean()).isFalse();

      HttpResponse<String> metrics = http.get("/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("content-type").orElse("")).startsWith("text/plain; version=0.0.4");
      assertThat(metrics.body()).contains("patroni_primary{name=\"w1\",scope=\"demo\"} 0")
          .contains("ratis_failover_epoch{name=\"w1\",scope=\"demo\"} 3")
          .contains("ratis_failover_role{name=\"w1\",role=\"witness\",scope=\"demo\"} 1");
    }

    @Test
    void headOnAStatusDocumentSendsTheStatusOnly() {
      Http http = start(usual().as("pg1"));
      HttpResponse<String> r = http.send("HEAD", "/cluster", null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEmpty();
    }
  }

  @Nested
  class Membership {
    @Test
    void addReplaceAndRemoveAnswerWithTheVotersAfterwards() {
      Http http = start(usual().as("pg1"));
      HttpResponse<String> added = http.send("POST", "/members",
          "{\"member\": \"w2\", \"kind\": \"witness\", \"raft_address\": \"10.0.0.9:7001\"}");
      assertThat(added.statusCode()).isEqualTo(200);
      assertThat(json(added).path("message").asText()).isEqualTo("Adding w2: done");
      assertThat(json(added).path("voters").toString()).isEqualTo("[\"pg1\",\"pg2\",\"w1\",\"w2\"]");
      HttpResponse<String> replaced = http.send("POST", "/members",
          "{\"member\": \"w3\", \"kind\": \"witness\", \"raft_address\": \"10.0.0.8:7001\", \"replaces\": \"w1\"}");
      assertThat(json(replaced).path("message").asText()).isEqualTo("Replacing w1 with w3: done");
      HttpResponse<String> removed = http.send("DELETE", "/members/w2", null);
      assertThat(removed.statusCode()).isEqualTo(200);
      assertThat(json(removed).path("voters").toString()).isEqualTo("[\"pg1\",\"pg2\",\"w1\"]");
      assertThat(member.calls).containsExactly("add member w2 WITNESS 10.0.0.9:7001", "replace member w1 with w3",
          "remove member w2");
    }

    @Test
    void aMalformedRequestIs400AndAWrongMethod405() {
      Http http = start(usual().as("pg1"));
      HttpResponse<String> noKind = http.send("POST", "/members", "{\"member\": \"w2\", \"raft_address\": \"h:1\"}");
      assertThat(noKind.statusCode()).isEqualTo(400);
      assertThat(error(noKind)).isEqualTo("give 'kind': data or witness, got ''");
      HttpResponse<String> badAddress = http.send("POST", "/members",
          "{\"member\": \"w2\", \"kind\": \"data\", \"raft_address\": \"nowhere\"}");
      assertThat(badAddress.statusCode()).isEqualTo(400);
      assertThat(http.send("PUT", "/members/w2", "{}").statusCode()).isEqualTo(405);
      assertThat(member.calls).isEmpty();
    }
  }

  @Nested
  class Switchover {
    @Test
    void switchoverToACandidateAnswers200NamingTheNewPrimary() {
      Http http = start(usual().as("pg1"));
      HttpResponse<String> r = http.send("POST", "/switchover", "{\"leader\": \"pg1\", \"candidate\": \"pg2\"}");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(json(r).path("message").asText()).isEqualTo("Successfully switched over to \"pg2\"");
      assertThat(json(r).path("epoch").asLong()).isEqualTo(4);
      assertThat(member.calls).containsExactly("switchover pg1 -> pg2");
    }

    @Test
    void switchoverWithoutLeaderIs400AsInPatroni() {
      Http http = start(usual().as("pg1"));
      HttpResponse<String> r = http.send("POST", "/switchover", "{\"candidate\": \"pg2\"}");
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(error(r)).contains("specific leader");
      assertThat(member.calls).isEmpty();
    }

    @Test
    void wrongLeaderNameIs412() {
      Http http = start(usual().as("pg1"));
      member.onSwitchover = req -> {
        throw new AdminRejectedException(Reason.NOT_PRIMARY, "leader name does not match: pg2 is not the primary");
      };
      HttpResponse<String> r = http.send("POST", "/switchover", "{\"leader\": \"pg2\", \"candidate\": \"pg1\"}");
      assertThat(r.statusCode()).isEqualTo(412);
      assertThat(error(r)).contains("leader name does not match");
    }

    @Test
    void unknownOrIneligibleCandidatesAre412AndMalformedNames400() {
      Http http = start(usual().as("pg1"));
      member.onSwitchover = req -> {
        throw new AdminRejectedException(Reason.UNKNOWN_MEMBER, "pg9 is not a member of cluster demo");
      };
      HttpResponse<String> unknown = http.send("POST", "/switchover", "{\"leader\": \"pg1\", \"candidate\": \"pg9\"}");
      assertThat(unknown.statusCode()).isEqualTo(412);
      assertThat(error(unknown)).contains("pg9 is not a member");
      HttpResponse<String> malformed = http.send("POST", "/switchover", "{\"leader\": \"pg1\", \"candidate\": \"PG 9\"}");
      assertThat(malformed.statusCode()).isEqualTo(400);
      assertThat(error(malformed)).contains("candidate");
      HttpResponse<String> notString = http.send("POST", "/switchover", "{\"leader\": 1}");
      assertThat(notString.statusCode()).isEqualTo(400);
    }

    @Test
    void sameSourceAndTargetIs400() {
      Http http = start(usual().as("pg1"));
      assertThat(http.send("POST", "/switchover", "{\"leader\": \"pg1\", \"candidate\": \"pg1\"}").statusCode())
          .isEqualTo(400);
    }

    @Test
    void scheduledSwitchoverIs202AndBadSchedulesAre400Or422() {
      Http http = start(usual().as("pg1"));
      member.onSwitchover = req -> SwitchoverOutcome.scheduledLater();
      String future = Instant.now().plus(Duration.ofHours(1)).toString();
      HttpResponse<String> ok = http.send("POST", "/switchover",
          "{\"leader\": \"pg1\", \"candidate\": \"pg2\", \"scheduled_at\": \"" + future + "\"}");
      assertThat(ok.statusCode()).isEqualTo(202);
      assertThat(json(ok).path("message").asText()).isEqualTo("Switchover scheduled");
      HttpResponse<String> noZone = http.send("POST", "/switchover",
          "{\"leader\": \"pg1\", \"scheduled_at\": \"2099-01-01T10:00:00\"}");
      assertThat(noZone.statusCode()).isEqualTo(400);
      assertThat(error(noZone)).contains("time zone");
      assertThat(http.send("POST", "/switchover", "{\"leader\": \"pg1\", \"scheduled_at\": \"2001-01-01T10:00:00Z\"}")
          .statusCode()).isEqualTo(422);
      assertThat(http.send("POST", "/switchover", "{\"leader\": \"pg1\", \"scheduled_at\": \"soon\"}").statusCode())
          .isEqualTo(422);
      assertThat(http.send("POST", "/switchover", "{\"leader\": \"pg1\", \"scheduled_at\": \"2099-01-01 10:00:00+02:00\"}")
          .statusCode()).isEqualTo(202);
    }

    @Test
    void failoverNeedsACandidateAndCannotBeScheduled() {
      Http http = start(usual().as("pg2"));
      assertThat(http.send("POST", "/failover", "{}").statusCode()).isEqualTo(400);
      assertThat(http.send("POST", "/failover", "{\"leader\": \"pg1\"}").statusCode()).isEqualTo(400);
      assertThat(http.send("POST", "/failover", "{\"candidate\": \"pg2\", \"scheduled_at\": \"2099-01-01T00:00:00Z\"}")
          .statusCode()).isEqualTo(400);
      HttpResponse<String> ok = http.send("POST", "/failover", "{\"candidate\": \"pg2\"}");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(json(ok).path("message").asText()).isEqualTo("Successfully failed over to \"pg2\"");
      assertThat(member.calls).containsExactly("failover -> pg2");
    }

    @Test
    void timeoutsAndLostQuorumAre503ConflictsAre409() {
      Http http = start(usual().as("pg1"));
      String body = "{\"leader\": \"pg1\", \"candidate\": \"pg2\"}";
      member.onSwitchover = req -> {
        throw new AdminRejectedException(Reason.TIMED_OUT, "no new primary within 30000 ms");
      };
      HttpResponse<String> timeout = http.send("POST", "/switchover", body);
      assertThat(timeout.statusCode()).isEqualTo(503);
      assertThat(error(timeout)).contains("status unknown");
      member.onSwitchover = req -> {
        throw new NoQuorumException("could not commit within 3500 ms", null);
      };
      assertThat(http.send("POST", "/switchover", body).statusCode()).isEqualTo(503);
      member.onSwitchover = req -> {
        throw new AdminRejectedException(Reason.CONFLICT, "a switchover is already pending");
      };
      assertThat(http.send("POST", "/switchover", body).statusCode()).isEqualTo(409);
    }

    @Test
    void inThePausedStateOnlyToANamedCandidateAndNeverScheduled() {
      Http http = start(usual().paused().as("pg1"));
      assertThat(http.send("POST", "/switchover", "{\"leader\": \"pg1\"}").statusCode()).isEqualTo(400);
      assertThat(http.send("POST", "/switchover",
          "{\"leader\": \"pg1\", \"candidate\": \"pg2\", \"scheduled_at\": \"2099-01-01T00:00:00Z\"}").statusCode())
          .isEqualTo(400);
      assertThat(http.send("POST", "/switchover", "{\"leader\": \"pg1\", \"candidate\": \"pg2\"}").statusCode())
          .isEqualTo(200);
    }

    @Test
    void cancellingWithNothingScheduledIs404() {
      Http http = start(usual().as("pg1"));
      assertThat(http.send("DELETE", "/switchover", null).statusCode()).isEqualTo(404);
      member.show(usual().switchoverScheduled("pg1", "pg2", Instant.parse("2099-01-01T00:00:00Z")).as("pg1"));
      HttpResponse<String> r = http.send("DELETE", "/switchover", null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(member.calls).containsExactly("cancel switchover");
    }
  }

  @Nested
  class BadBodies {
    @Test
    void badJsonWrongShapesAndUnknownKeysAre400WithAReason() {
      Http http = start(usual().as("pg1"));
      HttpResponse<String> notJson = http.send("POST", "/switchover", "{leader: pg1");
      assertThat(notJson.statusCode()).isEqualTo(400);
      assertThat(error(notJson)).contains("not valid JSON");
      assertThat(notJson.body()).doesNotContain("at com.").doesNotContain("Exception");
      assertThat(error(http.send("POST", "/switchover", "[1, 2]"))).contains("JSON object");
      assertThat(error(http.send("POST", "/switchover", ""))).contains("JSON body is required");
      assertThat(error(http.send("POST", "/switchover", "{\"leader\": \"pg1\", \"candiate\": \"pg2\"}")))
          .contains("unknown key 'candiate'");
      assertThat(error(http.send("POST", "/switchover", "{\"leader\": \"pg1\", \"leader\": \"pg2\"}")))
          .contains("Duplicate field");
      assertThat(member.calls).isEmpty();
    }

    @Test
    void anOversizedBodyIs413AndTheConnectionIsClosed() {
      Http http = start(usual().as("pg1"), ProbeConfig.builder().maxBodyBytes(1024));
      String big = "{\"leader\": \"" + "x".repeat(4096) + "\"}";
      HttpResponse<String> r = http.send("POST", "/switchover", big);
      assertThat(r.statusCode()).isEqualTo(413);
      assertThat(error(r)).contains("larger than 1024 bytes");
      assertThat(http.status("GET", "/primary")).isEqualTo(200);
    }
  }

  @Nested
  class Authentication {
    @Test
    void adminRequestsNeedTheRightCredentialsHealthChecksNone() {
      Http anonymous = start(usual().as("pg1"), ProbeConfig.builder().auth("admin", "s3cret"));
      String body = "{\"leader\": \"pg1\", \"candidate\": \"pg2\"}";
      HttpResponse<String> none = anonymous.send("POST", "/switchover", body);
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(none.headers().firstValue("www-authenticate").orElse("")).startsWith("Basic realm=");
      assertThat(error(none)).contains("authentication required");
      Http wrong = new Http(server.url()).as("admin", "guess");
      assertThat(wrong.send("POST", "/switchover", body).statusCode()).isEqualTo(401);
      Http wrongUser = new Http(server.url()).as("root", "s3cret");
      assertThat(wrongUser.send("POST", "/switchover", body).statusCode()).isEqualTo(401);
      Http garbled = new Http(server.url()).withAuthorization("Basic !!!not-base64");
      assertThat(error(garbled.send("POST", "/switchover", body))).contains("malformed Authorization");
      assertThat(member.calls).isEmpty();

      Http admin = new Http(server.url()).as("admin", "s3cret");
      assertThat(admin.send("POST", "/switchover", body).statusCode()).isEqualTo(200);
      assertThat(anonymous.status("GET", "/primary")).isEqualTo(200);
      assertThat(anonymous.status("GET", "/cluster")).isEqualTo(200);
      assertThat(anonymous.send("PATCH", "/config", "{\"pause\": true}").statusCode()).isEqualTo(401);
      assertThat(anonymous.send("DELETE", "/switchover", null).statusCode()).isEqualTo(401);
    }

    @Test
    void credentialsAreCheckedBeforeTheBodyIsRead() {
      Http anonymous = start(usual().as("pg1"), ProbeConfig.builder().auth("admin", "s3cret"));
      assertThat(anonymous.send("POST", "/switchover", "{not json").statusCode()).isEqualTo(401);
    }
  }

  @Nested
  class Config {
    @Test
    void patchMergesAndPausesAndAnswersTheNewConfig() {
      Http http = start(usual().as("pg1"));
      HttpResponse<String> r = http.send("PATCH", "/config",
          "{\"maximum_lag_on_failover\": \"2MB\", \"synchronous_mode\": true, \"pause\": true}");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(json(r).path("maximum_lag_on_failover").asLong()).isEqualTo(2 * MB);
      assertThat(json(r).path("synchronous_mode").asBoolean()).isTrue();
      assertThat(json(r).path("pause").asBoolean()).isTrue();
      assertThat(member.settings().synchronousMode()).isEqualTo(SynchronousMode.ON);
      assertThat(member.paused()).isTrue();
      assertThat(json(http.get("/config")).path("pause").asBoolean()).isTrue();
      assertThat(http.send("PATCH", "/config", "{\"pause\": false}").statusCode()).isEqualTo(200);
      assertThat(member.paused()).isFalse();
      assertThat(member.calls).containsExactly("update settings", "pause", "resume");
    }

    @Test
    void putResetsWhatItDoesNotName() {
      Http http = start(usual().as("pg1"));
      http.send("PATCH", "/config", "{\"maximum_lag_on_failover\": 5, \"synchronous_node_count\": 2}");
      assertThat(http.send("PUT", "/config", "{\"synchronous_node_count\": 3}").statusCode()).isEqualTo(200);
      assertThat(member.settings()).isEqualTo(ClusterSettings.DEFAULT.withSynchronousNodeCount(3));
    }

    @Test
    void invalidValuesAndUnknownKeysAre400NamingTheKey() {
      Http http = start(usual().as("pg1"));
      assertThat(error(http.send("PATCH", "/config", "{\"synchronous_node_count\": 0}")))
          .contains("synchronous_node_count");
      assertThat(error(http.send("PATCH", "/config", "{\"maximum_lag_on_failover\": \"much\"}")))
          .contains("maximum_lag_on_failover");
      assertThat(error(http.send("PATCH", "/config", "{\"ttl\": 30}"))).contains("static per member");
      assertThat(error(http.send("PATCH", "/config", "{\"bogus\": 1}"))).contains("unknown setting 'bogus'");
      assertThat(error(http.send("PATCH", "/config", "{}"))).contains("no settings given");
      assertThat(error(http.send("PATCH", "/config", "{\"synchronous_mode_strict\": true}")))
          .contains("needs synchronous_mode");
      assertThat(member.calls).isEmpty();
    }
  }

  @Nested
  class CrossSiteRequests {
    @Test
    void adminChangesWithoutAJsonContentTypeAre415AndChangeNothing() {
      // What a web page can send cross-site without a CORS preflight: a form, text/plain, or nothing.
      Http http = start(usual().as("pg1"));
      String body = "{\"leader\": \"pg1\", \"candidate\": \"pg2\"}";
      for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
        HttpResponse<String> r = http.send("POST", "/switchover", body, type);
        assertThat(r.statusCode()).as(type).isEqualTo(415);
        assertThat(error(r)).contains("Content-Type: application/json");
      }
      assertThat(http.send("POST", "/restart", null, null).statusCode()).isEqualTo(415);
      assertThat(http.send("PATCH", "/config", "{\"pause\": true}", "text/plain").statusCode()).isEqualTo(415);
      assertThat(member.calls).isEmpty();
      assertThat(http.send("POST", "/switchover", body, "Application/JSON; charset=utf-8").statusCode()).isEqualTo(200);
      assertThat(http.send("DELETE", "/switchover", null, null).statusCode()).isNotEqualTo(415);
    }
  }

  @Nested
  class DatabaseActions {
    @Test
    void restartReloadAndReinitialize() {
      Http http = start(usual().as("pg2"));
      assertThat(http.send("POST", "/restart", null).statusCode()).isEqualTo(200);
      assertThat(http.send("POST", "/restart", "{\"role\": \"primary\"}").statusCode()).isEqualTo(503);
      assertThat(http.send("POST", "/restart", "{\"role\": \"leader\"}").statusCode()).isEqualTo(400);
      assertThat(error(http.send("POST", "/restart", "{\"schedule\": \"2099-01-01T00:00:00Z\"}")))
          .contains("schedule is not supported");
      assertThat(http.send("POST", "/reload", null).statusCode()).isEqualTo(202);
      HttpResponse<String> reinit = http.send("POST", "/reinitialize", "{\"force\": true}");
      assertThat(reinit.statusCode()).isEqualTo(200);
      assertThat(json(reinit).path("message").asText()).isEqualTo("reinitialize started");
      assertThat(member.calls).containsExactly("restart", "reload", "reinitialize");
    }

    @Test
    void restartPendingRestartsOnlyAMemberWithAPendingRestart() {
      Http http = start(usual().as("pg2"));
      assertThat(error(http.send("POST", "/restart", "{\"restart_pending\": true}")))
          .contains("no restart is pending on member pg2");
      assertThat(member.calls).isEmpty();
      Http pending = start(usual().pendingRestart("pg2").as("pg2"));
      assertThat(pending.send("POST", "/restart", "{\"restart_pending\": true}").statusCode()).isEqualTo(200);
      assertThat(member.calls).containsExactly("restart");
    }

    @Test
    void aFailedRestartIs503WithTheCause() {
      Http http = start(usual().as("pg2"));
      member.onRestart = () -> CompletableFuture.failedFuture(new IllegalStateException("pg_ctl: server did not start"));
      HttpResponse<String> r = http.send("POST", "/restart", "{}");
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(error(r)).contains("server did not start");
    }

    @Test
    void aWitnessHasNoDatabaseToActOn() {
      Http http = start(usual().as("w1"));
      for (String path : List.of("/restart", "/reload", "/reinitialize")) {
        HttpResponse<String> r = http.send("POST", path, null);
        assertThat(r.statusCode()).as(path).isEqualTo(412);
        assertThat(error(r)).contains("witness");
      }
    }

    @Test
    void thePrimaryCannotBeReinitialized() {
      Http http = start(usual().as("pg1"));
      assertThat(http.send("POST", "/reinitialize", null).statusCode()).isEqualTo(503);
      assertThat(member.calls).isEmpty();
    }
  }

  @Nested
  class AdminThreads {
    @Test
    void aBlockedAdminRequestDelaysNeitherHealthChecksNorItsOwnConnectionsOrder() throws Exception {
      Http http = start(usual().as("pg1"), ProbeConfig.builder().adminThreads(1).adminQueue(0));
      CountDownLatch release = new CountDownLatch(1);
      member.onSwitchover = req -> {
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return SwitchoverOutcome.completed(io.ratisfailover.Epoch.of(4), io.ratisfailover.MemberId.of("pg2"));
      };
      ExecutorService client = Executors.newSingleThreadExecutor();
      try {
        Future<HttpResponse<String>> slow = client.submit(() ->
            http.send("POST", "/switchover", "{\"leader\": \"pg1\", \"candidate\": \"pg2\"}"));
        io.ratisfailover.testing.Await.until("the switchover to reach the member", Duration.ofSeconds(10),
            () -> !member.calls.isEmpty());
        // The only admin thread is taken and nothing may queue: a second admin request is refused ...
        HttpResponse<String> refused = new Http(server.url()).send("PATCH", "/config", "{\"pause\": true}");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(error(refused)).contains("too many admin requests");
        // ... while health checks are answered as usual.
        for (int i = 0; i < 20; i++) {
          assertThat(http.status("OPTIONS", "/primary")).isEqualTo(200);
        }
        release.countDown();
        assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      } finally {
        release.countDown();
        client.shutdownNow();
      }
    }
  }

  @Test
  void aSecondProbeOnTheSamePortFailsWithAClearMessage() {
    start(usual().as("pg1"));
    int port = server.port();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProbeServer.start(member,
        ProbeConfig.builder().host("127.0.0.1").port(port).build()))
        .isInstanceOf(ProbeStartException.class)
        .hasMessageContaining("127.0.0.1:" + port)
        .hasMessageContaining("already in use");
  }
}
