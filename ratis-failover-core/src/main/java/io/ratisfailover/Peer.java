package io.ratisfailover;

/**
 * A voting member of the Raft group, as every member's configuration lists it.
 *
 * @param id the member's id
 * @param kind data member or witness
 * @param raftAddress {@code host:port} where the member's Raft server listens
 */
public record Peer(MemberId id, MemberKind kind, String raftAddress) {
  public Peer {
    if (id == null || kind == null) {
      throw new IllegalArgumentException("peer id and kind are required");
    }
    HostPort.parse(raftAddress, "raft address of peer " + id);
  }

  public static Peer data(String id, String raftAddress) {
    return new Peer(MemberId.of(id), MemberKind.DATA, raftAddress);
  }

  public static Peer witness(String id, String raftAddress) {
    return new Peer(MemberId.of(id), MemberKind.WITNESS, raftAddress);
  }
}
