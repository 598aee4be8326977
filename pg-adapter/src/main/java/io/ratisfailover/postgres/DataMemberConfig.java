package io.ratisfailover.postgres;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.RaftLeaderPreference;
import io.ratisfailover.RaftTls;
import io.ratisfailover.SettingException;
import io.ratisfailover.Tags;
import io.ratisfailover.Timing;
import io.ratisfailover.spi.DatabaseAdapter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a data member needs: its place in the cluster and its PostgreSQL server. Immutable;
 * {@link #builder()} rejects inconsistent values with a {@link SettingException} naming the field:
 * every rule of {@link FailoverMember.Builder} (checked by that builder itself) and the two that
 * tie the member to its server. The sidecar's configuration file is read into this type, so the
 * rules hold there too, reported under the file's keys.
 *
 * @param clusterName the cluster's name; the same on every member
 * @param member this member's id: the Raft peer id, the standby's application_name and slot name
 * @param peers every voting member of the cluster, this one included
 * @param storageDirectory where the Raft log lives; outside the data directory
 * @param timing lease, loop and timeout settings; the same on every member
 * @param initialSettings the cluster settings a new cluster starts with
 * @param tags this member's tags
 * @param apiUrl where this member's HTTP API answers, if it has one
 * @param raftBindHost the host the Raft server listens on, if not the one in its peer address
 * @param raftTls this member's Raft TLS files; empty only when the builder was told {@code insecureRaft()}
 * @param postgres the local PostgreSQL server
 * @param snapshotEvery snapshot the state every this many Raft entries ({@link FailoverMember.Builder#snapshotEvery})
 * @param raftLeaderPreference which members should lead Raft ({@link FailoverMember.Builder#raftLeaderPreference})
 */
public record DataMemberConfig(String clusterName, MemberId member, List<Peer> peers, Path storageDirectory,
    Timing timing, ClusterSettings initialSettings, Tags tags, String apiUrl, Optional<String> raftBindHost,
    Optional<RaftTls> raftTls, PostgresConfig postgres, long snapshotEvery, RaftLeaderPreference raftLeaderPreference) {

  public DataMemberConfig {
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(member, "member");
    peers = List.copyOf(peers);
    Objects.requireNonNull(storageDirectory, "storageDirectory");
    Objects.requireNonNull(timing, "timing");
    Objects.requireNonNull(initialSettings, "initialSettings");
    Objects.requireNonNull(tags, "tags");
    Objects.requireNonNull(apiUrl, "apiUrl");
    Objects.requireNonNull(raftBindHost, "raftBindHost");
    Objects.requireNonNull(raftTls, "raftTls");
    Objects.requireNonNull(postgres, "postgres");
    Objects.requireNonNull(raftLeaderPreference, "raftLeaderPreference");
  }

  /**
   * A member builder holding every setting of this configuration and {@code database}; add what a
   * configuration does not carry (a fencer, a watchdog, role listeners) and build it.
   */
  public FailoverMember.Builder memberBuilder(DatabaseAdapter database) {
    return memberBuilder(clusterName, member, peers, storageDirectory, timing, initialSettings, tags, apiUrl,
        raftBindHost.orElse(null), raftTls.orElse(null), raftTls.isEmpty(), snapshotEvery, raftLeaderPreference)
        .database(database);
  }

  private static FailoverMember.Builder memberBuilder(String clusterName, MemberId member, List<Peer> peers,
      Path storageDirectory, Timing timing, ClusterSettings initialSettings, Tags tags, String apiUrl,
      String raftBindHost, RaftTls raftTls, boolean insecureRaft, long snapshotEvery, RaftLeaderPreference preference) {
    FailoverMember.Builder b = FailoverMember.builder().clusterName(clusterName).memberId(member).peers(peers)
        .storageDirectory(storageDirectory).timing(timing).initialSettings(initialSettings).tags(tags).apiUrl(apiUrl)
        .snapshotEvery(snapshotEvery).raftLeaderPreference(preference);
    if (raftBindHost != null) {
      b.raftBindHost(raftBindHost);
    }
    if (raftTls != null) {
      b.raftTls(raftTls);
    }
    if (insecureRaft) {
      b.insecureRaft();
    }
    return b;
  }

  /**
   * Why the Raft storage and the data directory cannot be where they are, if they cannot: one
   * inside the other would be lost to the first clone or rewind.
   */
  private static Optional<String> storageConflict(Path raftStorage, Path dataDirectory) {
    Path storage = raftStorage.toAbsolutePath().normalize();
    Path data = dataDirectory.toAbsolutePath().normalize();
    if (storage.startsWith(data) || data.startsWith(storage)) {
      return Optional.of("the Raft storage " + storage + " and the data directory " + data
          + " must not contain each other: clones and rewinds rewrite the data directory");
    }
    return Optional.empty();
  }

  /** Why the adapter's status timeout does not fit inside the agent's, if it does not. */
  private static Optional<String> statusTimeoutConflict(PostgresConfig postgres, Timing timing) {
    if (postgres.statusTimeout().compareTo(timing.statusTimeout()) >= 0) {
      return Optional.of("the adapter's status timeout (" + postgres.statusTimeout().toMillis()
          + " ms) must be below the agent's (timing status timeout, " + timing.statusTimeout().toMillis()
          + " ms), so that a hung server is reported as such rather than as a timed-out call");
    }
    return Optional.empty();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Mutable only until {@link #build()}. */
  public static final class Builder {
    private String clusterName;
    private MemberId member;
    private final List<Peer> peers = new ArrayList<>();
    private Path storageDirectory;
    private Timing timing = Timing.defaults();
    private ClusterSettings initialSettings = ClusterSettings.DEFAULT;
    private Tags tags = Tags.DEFAULT;
    private String apiUrl = "";
    private String raftBindHost;
    private RaftTls raftTls;
    private boolean insecureRaft;
    private PostgresConfig postgres;
    private long snapshotEvery = FailoverMember.Builder.DEFAULT_SNAPSHOT_EVERY;
    private RaftLeaderPreference raftLeaderPreference = RaftLeaderPreference.STANDBY;

    private Builder() {}

    public Builder clusterName(String value) { this.clusterName = value; return this; }
    public Builder member(String value) { this.member = MemberId.of(value); return this; }
    public Builder member(MemberId value) { this.member = value; return this; }
    public Builder peers(List<Peer> value) { peers.clear(); peers.addAll(value); return this; }
    public Builder storageDirectory(Path value) { this.storageDirectory = value; return this; }
    public Builder timing(Timing value) { this.timing = value; return this; }
    public Builder initialSettings(ClusterSettings value) { this.initialSettings = value; return this; }
    public Builder tags(Tags value) { this.tags = value; return this; }
    public Builder apiUrl(String value) { this.apiUrl = value; return this; }
    public Builder raftBindHost(String value) { this.raftBindHost = value; return this; }
    /** Mutual TLS on every Raft connection ({@link io.ratisfailover.FailoverMember.Builder#raftTls}). */
    public Builder raftTls(RaftTls value) { this.raftTls = Objects.requireNonNull(value, "raftTls"); return this; }
    /** No TLS on the Raft port ({@link io.ratisfailover.FailoverMember.Builder#insecureRaft}). */
    public Builder insecureRaft() { this.insecureRaft = true; return this; }
    public Builder postgres(PostgresConfig value) { this.postgres = value; return this; }
    /** {@link FailoverMember.Builder#snapshotEvery}; default 1000. */
    public Builder snapshotEvery(long entries) { this.snapshotEvery = entries; return this; }
    /** {@link FailoverMember.Builder#raftLeaderPreference}; default {@code STANDBY}. */
    public Builder raftLeaderPreference(RaftLeaderPreference value) { this.raftLeaderPreference = value; return this; }

    /** @throws SettingException naming the first missing or inconsistent setting */
    public DataMemberConfig build() {
      // The member's own rules, checked by the builder that will run it.
      memberBuilder(clusterName, member, peers, storageDirectory, timing, initialSettings, tags, apiUrl, raftBindHost,
          raftTls, insecureRaft, snapshotEvery, raftLeaderPreference).check();
      Peer self = peers.stream().filter(p -> p.id().equals(member)).findFirst().orElseThrow();
      if (self.kind() != MemberKind.DATA) {
        throw SettingException.worded("peers", "member " + member + " is a witness, not a data member");
      }
      if (postgres == null) {
        throw SettingException.worded("postgres", "postgres is required for data member " + member);
      }
      Path storage = storageDirectory.toAbsolutePath().normalize();
      storageConflict(storage, postgres.dataDirectory()).ifPresent(problem -> {
        throw SettingException.at("storageDirectory", problem);
      });
      statusTimeoutConflict(postgres, timing).ifPresent(problem -> {
        throw SettingException.at("postgres.statusTimeout", problem);
      });
      return new DataMemberConfig(clusterName, member, peers, storage, timing, initialSettings, tags, apiUrl,
          Optional.ofNullable(raftBindHost), Optional.ofNullable(raftTls), postgres, snapshotEvery, raftLeaderPreference);
    }
  }
}
