package io.ratisfailover.node.config;

import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;

/** One entry of {@code peers:} — {@code {id: pg1, kind: data, raft: 10.0.0.1:7001}}. */
public record PeerSection(String id, String kind, String raft) {
  public Peer toPeer(String at) {
    MemberId member = Values.checked(at + ".id", () -> MemberId.of(Values.required(at + ".id", id)));
    String k = Values.required(at + ".kind", kind);
    MemberKind memberKind;
    switch (k) {
      case "data": memberKind = MemberKind.DATA; break;
      case "witness": memberKind = MemberKind.WITNESS; break;
      default: throw ConfigException.at(at + ".kind", "'" + k + "' is not one of data, witness");
    }
    return Values.checked(at + ".raft", () -> new Peer(member, memberKind, Values.required(at + ".raft", raft)));
  }
}
