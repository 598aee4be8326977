package io.ratisfailover.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.RaftTls;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.node.config.Callbacks;
import io.ratisfailover.node.config.ConfigException;
import io.ratisfailover.postgres.PgPool;
import io.ratisfailover.postgres.BackupConfig;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.probe.HaproxyPush;
import io.ratisfailover.testing.TestPki;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SidecarConfigTest {
  static final String GOOD = """
      cluster: orders
      member: pg1
      peers:
        - {id: pg1, kind: data, raft: 10.0.0.1:7001}
        - {id: pg2, kind: data, raft: 10.0.0.2:7001}
        - {id: w1, kind: witness, raft: 10.0.0.3:7001}
      raft: {storage: /var/lib/rf/pg1, insecure: true}
      settings: {synchronous_mode: "on"}
      tags: {failover_priority: 2, custom: {dc: east}}
      api: {listen: 0.0.0.0:8008, connect_address: 10.0.0.1:8008, username: admin, password: env:API_PW,
            primary_hold_off: 2s}
      postgresql:
        data_dir: /var/lib/postgresql/15/orders
        listen: 0.0.0.0:5432
        connect_address: 10.0.0.1:5432
        superuser: {username: postgres, password: env:SU_PW}
        replication: {username: replicator, password: env:REPL_PW}
        parameters: {max_connections: "200"}
        client_networks: [10.0.0.0/24]
      """;
  static final Map<String, String> ENV = Map.of("API_PW", "a", "SU_PW", "s3cr3t-su", "REPL_PW", "r");

  @Test
  void aGoodFileDescribesTheMemberAndItsDatabase() {
    SidecarConfig.Plan plan = SidecarConfig.parse("sidecar.yml", GOOD, ENV);
    assertThat(plan.member().value()).isEqualTo("pg1");
    assertThat(plan.data().initialSettings().synchronousMode()).isEqualTo(SynchronousMode.ON);
    assertThat(plan.data().tags().failoverPriority()).isEqualTo(2);
    assertThat(plan.data().tags().custom()).containsEntry("dc", "east");
    assertThat(plan.data().apiUrl()).isEqualTo("http://10.0.0.1:8008");
    assertThat(plan.probe().port()).isEqualTo(8008);
    assertThat(plan.probe().auth()).isPresent();
    assertThat(plan.probe().primaryHoldOff()).isEqualTo(Duration.ofSeconds(2));
    assertThat(plan.postgres().dataDirectory()).isEqualTo(Path.of("/var/lib/postgresql/15/orders"));
    assertThat(plan.postgres().connectHost()).isEqualTo("10.0.0.1");
    assertThat(plan.postgres().superuser().password()).isEqualTo("s3cr3t-su");
    assertThat(plan.postgres().superuser().toString()).doesNotContain("s3cr3t");
  }

  @Test
  void problemsNameTheirKey() {
    assertProblem(GOOD.replace("member: pg1", "member: w1"), "sidecar.yml: peers: member w1 is a witness");
    assertProblem(GOOD.replace("env:SU_PW", "env:MISSING"),
        "sidecar.yml: postgresql.superuser.password: environment variable MISSING is not set");
    assertProblem(GOOD.replace("listen: 0.0.0.0:5432", "listen: 0.0.0.0"), "sidecar.yml: postgresql.listen:");
    assertProblem(GOOD.replace("connect_address: 10.0.0.1:5432", "connect_address: 10.0.0.1:6432"),
        "sidecar.yml: postgresql.connect_address: port 6432 differs");
    assertProblem(GOOD.replace("max_connections", "port"), "sidecar.yml: postgresql:");
    assertProblem(GOOD.replace("data_dir:", "datadir:"), "sidecar.yml: unknown key 'postgresql.datadir'");
    // DataMemberConfig's rules hold here too (issue 12, item 2): both were accepted before.
    assertProblem(GOOD.replace("storage: /var/lib/rf/pg1", "storage: /var/lib/postgresql/15/orders/raft"),
        "sidecar.yml: raft.storage: the Raft storage /var/lib/postgresql/15/orders/raft and the data directory"
            + " /var/lib/postgresql/15/orders must not contain each other");
    assertProblem(GOOD.replace("data_dir: /var/lib/postgresql/15/orders", "data_dir: /var/lib/postgresql/15/orders\n  status_timeout: 5s"),
        "sidecar.yml: postgresql.status_timeout: the adapter's status timeout (5000 ms) must be below the agent's");
    assertProblem(GOOD.replace("raft: {storage: /var/lib/rf/pg1, insecure: true}", ""), "sidecar.yml: raft: is required");
  }

  @Test
  void callbacksAreCommandsSplitIntoWordsWithATimeout() {
    SidecarConfig.Plan plan = SidecarConfig.parse("sidecar.yml",
        GOOD + "callbacks: {on_role_change: /bin/echo --vip 10.0.0.9, on_stop: logger, timeout: 5s}\n", ENV);
    assertThat(plan.callbacks().command(Callbacks.Action.ON_ROLE_CHANGE)).contains(List.of("/bin/echo", "--vip", "10.0.0.9"));
    assertThat(plan.callbacks().command(Callbacks.Action.ON_STOP)).contains(List.of("logger"));
    assertThat(plan.callbacks().command(Callbacks.Action.ON_START)).isEmpty();
    assertThat(plan.callbacks().timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(SidecarConfig.parse("sidecar.yml", GOOD, ENV).callbacks()).isEqualTo(Callbacks.NONE);
    assertThat(SidecarConfig.parse("sidecar.yml", GOOD + "callbacks: {on_start: /bin/true}\n", ENV).callbacks().timeout())
        .isEqualTo(Duration.ofSeconds(30));
    assertProblem(GOOD + "callbacks: {on_role_change: /no/such/vip-script}\n",
        "sidecar.yml: callbacks.on_role_change: /no/such/vip-script does not exist or is not executable");
    assertProblem(GOOD + "callbacks: {on_start: \"  \"}\n", "sidecar.yml: callbacks.on_start: is empty");
    assertProblem(GOOD + "callbacks: {on_start: /bin/true, timeout: 0s}\n", "sidecar.yml: callbacks.timeout: timeout must be positive");
    assertProblem(GOOD + "callbacks: {on_promote: /bin/true}\n", "sidecar.yml: unknown key 'callbacks.on_promote'");
  }

  @Test
  void aPgPoolIsToldThroughPcpWithThisMembersBackendNumber(@TempDir Path dir) throws Exception {
    Path pass = java.nio.file.Files.writeString(dir.resolve("pcppass"), "10.0.0.9:9898:rfailover:pw\n");
    SidecarConfig.Plan plan = SidecarConfig.parse("sidecar.yml", GOOD + "pgpool: {pcp_host: 10.0.0.9, pcp_user: rfailover,"
        + " pcp_password_file: " + pass + ", node_id: 1, timeout: 5s}\n", ENV);
    assertThat(plan.pgpool()).contains(new SidecarConfig.PgPoolPlan(new PgPool.Config("10.0.0.9", 9898, "rfailover", pass,
        Duration.ofSeconds(5), java.util.Optional.empty()), 1));
    assertThat(SidecarConfig.parse("sidecar.yml", GOOD, ENV).pgpool()).isEmpty();
    String pgpool = "pgpool: {pcp_host: 10.0.0.9, pcp_user: rfailover, pcp_password_file: " + pass;
    assertProblem(GOOD + pgpool + "}\n", "sidecar.yml: pgpool.node_id: is required");
    assertProblem(GOOD + pgpool.replace("pcp_host: 10.0.0.9, ", "") + ", node_id: 0}\n", "sidecar.yml: pgpool.pcp_host: is required");
    assertProblem(GOOD + pgpool.replace(pass.toString(), "/no/such/pcppass") + ", node_id: 0}\n",
        "sidecar.yml: pgpool.pcp_password_file: /no/such/pcppass is not a readable file");
    assertProblem(GOOD + pgpool + ", node_id: 0, pcp_port: 0}\n", "sidecar.yml: pgpool: pgpool.pcp_port must be between 1 and 65535, got 0");
    assertProblem(GOOD + pgpool + ", node_id: 0, timeout: soon}\n", "sidecar.yml: pgpool.timeout: 'soon' is not a duration");
  }

  @Test
  void theRaftPortNeedsTlsFilesOrAnExplicitInsecureFlag(@TempDir Path dir) {
    RaftTls pg1 = TestPki.create(dir, "orders-ca").issue("pg1");
    String tls = "raft: {storage: /var/lib/rf/pg1, tls: {certificate: %s, key: %s, ca: %s}}".formatted(
        pg1.certificate(), pg1.key(), pg1.ca());
    String insecure = "raft: {storage: /var/lib/rf/pg1, insecure: true}";
    assertThat(SidecarConfig.parse("sidecar.yml", GOOD.replace(insecure, tls), ENV).data().raftTls()).contains(pg1);
    assertThat(SidecarConfig.parse("sidecar.yml", GOOD, ENV).data().raftTls()).isEmpty();
    assertProblem(GOOD.replace(insecure, "raft: {storage: /var/lib/rf/pg1}"), "sidecar.yml: raft.tls: is required:"
        + " this member's certificate, key and cluster CA for mutual TLS on the Raft port (or raft.insecure: true where"
        + " nobody else can reach that port)");
    assertProblem(GOOD.replace(insecure, tls.replace("}}", "}, insecure: true}")),
        "sidecar.yml: raft.insecure: is true but raft.tls is set too; choose one");
    assertProblem(GOOD.replace(insecure, tls.replace("ca: ", "cb: ")), "sidecar.yml: unknown key 'raft.tls.cb'");
    assertProblem(GOOD.replace(insecure, tls.replace(pg1.key().toString(), pg1.ca().toString())),
        "sidecar.yml: raft.tls: raft TLS key file " + pg1.ca() + " is 'CERTIFICATE', not an unencrypted PKCS#8");
    assertProblem(GOOD.replace(insecure, tls).replace("member: pg1", "member: pg2"),
        "sidecar.yml: raft.tls: raft TLS certificate " + pg1.certificate() + " is issued to CN=pg1, not to member pg2");
  }

  @Test
  void adminOpenToTheNetworkWithoutAuthenticationIsRefusedUnlessAllowed() {
    String open = GOOD.replace(", username: admin, password: env:API_PW", "");
    assertProblem(open, "sidecar.yml: api.allow_unauthenticated_admin: admin endpoints on 0.0.0.0 would be open to anyone");
    assertThat(SidecarConfig.parse("sidecar.yml", open.replace("primary_hold_off: 2s", "primary_hold_off: 2s,"
        + " allow_unauthenticated_admin: true"), ENV).probe().auth()).isEmpty();
    assertThat(SidecarConfig.parse("sidecar.yml", open.replace("listen: 0.0.0.0:8008", "listen: 127.0.0.1:8008"), ENV)
        .probe().auth()).isEmpty();
  }

  @Test
  void apiLimitsAndTheClientCertificateAllowListAreConfigurable() {
    SidecarConfig.Plan plan = SidecarConfig.parse("sidecar.yml", GOOD.replace("primary_hold_off: 2s",
        "primary_hold_off: 2s, max_connections_per_client: 16"), ENV);
    assertThat(plan.probe().maxConnectionsPerClient()).isEqualTo(16);
    assertProblem(GOOD.replace("primary_hold_off: 2s", "primary_hold_off: 2s, max_connections_per_client: 0"),
        "sidecar.yml: api: probe.max_connections_per_client must be at least 1");
  }

  @Test
  void theApiWarmsItselfUpUnlessTurnedOff() {
    assertThat(SidecarConfig.parse("sidecar.yml", GOOD, ENV).probe().warmUp()).isFalse();
    assertThat(SidecarConfig.parse("sidecar.yml", GOOD.replace("primary_hold_off: 2s", "primary_hold_off: 2s, warm_up: true"),
        ENV).probe().warmUp()).isTrue();
  }

  @Test
  void haproxyPushIsConfiguredUnderTheApi() {
    SidecarConfig.Plan plan = SidecarConfig.parse("sidecar.yml", GOOD.replace("primary_hold_off: 2s",
        "primary_hold_off: 2s,\n      haproxy: {runtime_api: [unix:/run/haproxy/admin.sock, '10.0.0.9:9999'],"
            + " backend: postgres_primary, servers: {pg1: db1}, timeout: 300ms}"), ENV);
    HaproxyPush push = plan.probe().haproxyPush().orElseThrow();
    assertThat(push.runtimeApis()).extracting(Object::toString)
        .containsExactly("unix:/run/haproxy/admin.sock", "10.0.0.9:9999");
    assertThat(push.serverOf("pg1")).isEqualTo("db1");
    assertThat(push.serverOf("pg2")).isEqualTo("pg2");
    assertThat(push.timeout()).isEqualTo(Duration.ofMillis(300));
    assertThat(SidecarConfig.parse("sidecar.yml", GOOD, ENV).probe().haproxyPush()).isEmpty();
    assertProblem(GOOD.replace("primary_hold_off: 2s", "primary_hold_off: 2s, haproxy: {runtime_api: [haproxy], backend: b}"),
        "sidecar.yml: api.haproxy.runtime_api[0]: 'haproxy' is neither unix:/path nor host:port");
    assertProblem(GOOD.replace("primary_hold_off: 2s", "primary_hold_off: 2s, haproxy: {runtime_api: [/s], backend: 'b; x'}"),
        "sidecar.yml: api.haproxy: probe.haproxy.backend must be an HAProxy name");
    assertProblem(GOOD.replace("primary_hold_off: 2s", "primary_hold_off: 2s, haproxy: {runtime_api: [/s]}"),
        "sidecar.yml: api.haproxy.backend: is required");
  }

  @Test
  void postgresTlsBetweenMembersIsConfigurable() {
    String yaml = GOOD.replace("client_networks: [10.0.0.0/24]", "client_networks: [10.0.0.0/24]\n"
        + "  ssl: {certificate: /etc/rf/server.pem, key: /etc/rf/server.key, ca: /etc/rf/ca.pem}");
    PostgresConfig.Ssl ssl = SidecarConfig.parse("sidecar.yml", yaml, ENV).postgres().ssl().orElseThrow();
    assertThat(ssl.verify()).isEqualTo(PostgresConfig.Verify.VERIFY_FULL);
    assertThat(ssl.ca()).isEqualTo(Path.of("/etc/rf/ca.pem"));
    assertProblem(yaml.replace("ca: /etc/rf/ca.pem}", "ca: /etc/rf/ca.pem, verify: require}"),
        "sidecar.yml: postgresql.ssl.verify: 'require' is not one of verify-full, verify-ca");
    assertProblem(yaml.replace("key: /etc/rf/server.key, ", ""), "sidecar.yml: postgresql.ssl.key: is required");
  }

  @Test
  void aPeerListedTwiceIsOneLineNamingIt() {
    assertProblem(GOOD.replace("- {id: pg2, kind: data, raft: 10.0.0.2:7001}",
        "- {id: pg2, kind: data, raft: 10.0.0.2:7001}\n  - {id: pg2, kind: data, raft: 10.0.0.4:7001}"),
        "sidecar.yml: peers[2]: member id pg2 is listed twice");
    assertProblem(GOOD.replace("raft: 10.0.0.2:7001", "raft: 10.0.0.1:7001"),
        "sidecar.yml: peers[1]: raft address 10.0.0.1:7001 is also pg1's");
  }

  private static void assertProblem(String yaml, String expected) {
    assertThatThrownBy(() -> SidecarConfig.parse("sidecar.yml", yaml, ENV)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(expected);
  }

  @Test
  void theWatchdogDeviceIsOffAndThePostmasterGuardOnByDefault() {
    WatchdogSettings w = SidecarConfig.parse("sidecar.yml", GOOD, ENV).watchdog();
    assertThat(w.mode()).isEqualTo(WatchdogSettings.Mode.OFF);
    assertThat(w.postmasterGuard()).isTrue();
    // Unquoted, YAML reads off as false.
    assertThat(SidecarConfig.parse("sidecar.yml", GOOD + "watchdog: {mode: off, postmaster_guard: false}\n", ENV).watchdog())
        .satisfies(x -> assertThat(x.mode()).isEqualTo(WatchdogSettings.Mode.OFF))
        .satisfies(x -> assertThat(x.postmasterGuard()).isFalse());
  }

  @Test
  void theDeviceResetsTheHostSafetyMarginBeforeTheLeaseEnds() {
    // conservative: ttl 10 s, lease_margin 1 s: a 9 s lease, less a 4 s margin: a 5 s device timeout.
    WatchdogSettings w = SidecarConfig.parse("sidecar.yml", GOOD + """
        timing: {profile: conservative}
        watchdog: {mode: required, device: /dev/watchdog1, safety_margin: 4s}
        """, ENV).watchdog();
    assertThat(w.mode()).isEqualTo(WatchdogSettings.Mode.REQUIRED);
    assertThat(w.device()).isEqualTo(Path.of("/dev/watchdog1"));
    assertThat(w.deviceTimeout()).isEqualTo(Duration.ofSeconds(5));
    // A keep-alive with the lease's end at least the device timeout away resets no sooner than the lease ends...
    assertThat(w.allowsKeepAlive(Duration.ofMillis(5000))).isTrue();
    assertThat(w.allowsKeepAlive(Duration.ofMillis(8900))).isTrue();
    // ...one whose renewal was answered more than ~safety_margin after it was sent would reset after it: skipped.
    assertThat(w.allowsKeepAlive(Duration.ofMillis(4999))).isFalse();
    // Whole seconds, rounded down: a 3.5 s margin still gives 5 s.
    assertThat(SidecarConfig.parse("sidecar.yml", GOOD + """
        timing: {profile: conservative}
        watchdog: {mode: automatic, safety_margin: 3500ms}
        """, ENV).watchdog().deviceTimeout()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void aWatchdogDeviceNeedsATtlItsSecondsFitIn() {
    // default timing: a 2.5 s lease less Patroni's 5 s margin leaves nothing; a 500 ms margin leaves 2 s.
    assertProblem(GOOD + "watchdog: {mode: automatic}\n", "sidecar.yml: watchdog.safety_margin: the device timeout");
    assertThat(SidecarConfig.parse("sidecar.yml", GOOD + "watchdog: {mode: automatic, safety_margin: 500ms}\n", ENV)
        .watchdog().deviceTimeout()).isEqualTo(Duration.ofSeconds(2));
    // conservative with Patroni's 5 s margin: 4 s, no more than loop_wait + rpc_timeout (4 s): one slow renewal would reset the host.
    assertProblem(GOOD + "timing: {profile: conservative}\nwatchdog: {mode: required}\n",
        "sidecar.yml: watchdog.safety_margin: the device timeout ttl - lease_margin - safety_margin (9000 ms - 5000 ms, in whole seconds: 4 s) must exceed loop_wait + rpc_timeout (4000 ms)");
    assertProblem(GOOD + "watchdog: {mode: sometimes}\n", "sidecar.yml: watchdog.mode: 'sometimes' is not one of off, automatic, required");
    assertProblem(GOOD + "timing: {profile: conservative}\nwatchdog: {mode: required, safety_margin: 4}\n",
        "sidecar.yml: watchdog.safety_margin: '4' is not a duration");
  }

  /**
   * Scalars are taken as written where text is expected: an object mapper read {@code 0.90} as 0.9;
   * a key given twice is refused instead of the last one silently winning.
   */
  @Test
  void valuesKeepTheirTextAndAKeyGivenTwiceIsRefused() {
    String yaml = GOOD.replace("parameters: {max_connections: \"200\"}",
        "parameters: {max_connections: 200, checkpoint_completion_target: 0.90, unix_socket_permissions: 0770}");
    assertThat(SidecarConfig.parse("sidecar.yml", yaml, ENV).postgres().serverParameters())
        .containsEntry("max_connections", "200").containsEntry("checkpoint_completion_target", "0.90")
        .containsEntry("unix_socket_permissions", "0770");
    assertProblem(GOOD.replace("member: pg1", "member: pg1\nmember: pg2"), "sidecar.yml: invalid YAML at line 3: Duplicate field 'member'");
    assertProblem(GOOD.replace("insecure: true", "insecure: maybe"), "sidecar.yml: raft.insecure: expected true or false");
    assertProblem(GOOD.replace("failover_priority: 2", "failover_priority: high"), "sidecar.yml: tags.failover_priority: expected a number");
    assertProblem(GOOD.replace("client_networks: [10.0.0.0/24]", "client_networks: 10.0.0.0/24"),
        "sidecar.yml: postgresql.client_networks: expected a list");
    assertProblem(GOOD.replace("custom: {dc: east}", "custom: {dc: [east]}"), "sidecar.yml: tags.custom.dc: expected a text value");
    assertProblem("just text\n", "sidecar.yml: the file: expected a mapping of keys");
  }

  @Test
  void aBackupSectionManagesArchivingAndNamesReplicaAndBootstrapMethods() {
    String yaml = GOOD.replace("parameters: {max_connections: \"200\"}",
        "parameters: {max_connections: \"200\", unix_socket_directories: /var/run/postgresql}") + """
        backup:
          tool: pgbackrest
          stanza: orders
          config: /etc/pgbackrest/pgbackrest.conf
          replica_methods: [pgbackrest, basebackup]
          bootstrap: {method: pgbackrest, target_name: before-upgrade}
        """;
    BackupConfig b = SidecarConfig.parse("sidecar.yml", yaml, ENV).postgres().backup().orElseThrow();
    assertThat(b.stanza()).isEqualTo("orders");
    assertThat(b.configFile()).contains(Path.of("/etc/pgbackrest/pgbackrest.conf"));
    assertThat(b.replicaMethods()).containsExactly(BackupConfig.ReplicaMethod.BACKUP_TOOL,
        BackupConfig.ReplicaMethod.BASEBACKUP);
    assertThat(b.bootstrap()).contains(new BackupConfig.RecoveryTarget(BackupConfig.RecoveryTarget.Kind.NAME,
        "before-upgrade"));

    assertThatThrownBy(() -> SidecarConfig.parse("sidecar.yml", yaml.replace("[pgbackrest, basebackup]", "[walg]"), ENV))
        .hasMessageContaining("backup.replica_methods").hasMessageContaining("'walg' is not one of pgbackrest, basebackup");
    assertThatThrownBy(() -> SidecarConfig.parse("sidecar.yml", yaml.replace("target_name: before-upgrade",
        "target_name: a, target_lsn: 0/1"), ENV)).hasMessageContaining("name at most one of");
    assertThatThrownBy(() -> SidecarConfig.parse("sidecar.yml", yaml.replace("max_connections: \"200\"",
        "archive_command: /bin/true"), ENV)).hasMessageContaining("archive_command is set by the adapter for the backup tool");
    assertThatThrownBy(() -> SidecarConfig.parse("sidecar.yml", GOOD.replace("max_connections: \"200\"",
        "restore_command: /bin/true"), ENV)).hasMessageContaining("restore_command is set by the adapter only when a backup");
  }
}
