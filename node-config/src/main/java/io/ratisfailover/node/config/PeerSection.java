package io.ratisfailover.node.config;

import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** One entry of {@code peers:} — {@code {id: pg1, kind: data, raft: 10.0.0.1:7001}}. */
public record PeerSection(String id, String kind, String raft) {

  /**
   * The whole {@code peers:} list. A member id or a Raft address listed twice is a configuration
   * error named here in one line, rather than a stack trace from the Raft layer later.
   *
   * @param at where the list is in the file, for messages
   */
  public static List<Peer> toPeers(String at, List<PeerSection> sections) {
    List<Peer> peers = new ArrayList<>();
    Map<MemberId, Integer> ids = new HashMap<>();
    Map<String, MemberId> addresses = new HashMap<>();
    for (int i = 0; i < sections.size(); i++) {
      String here = at + "[" + i + "]";
      Peer p = sections.get(i).toPeer(here);
      Integer first = ids.putIfAbsent(p.id(), i);
      if (first != null) {
        throw ConfigException.at(here, "member id " + p.id() + " is listed twice (also " + at + "[" + first + "])");
      }
      MemberId owner = addresses.putIfAbsent(p.raftAddress(), p.id());
      if (owner != null) {
        throw ConfigException.at(here, "raft address " + p.raftAddress() + " is also " + owner + "'s");
      }
      peers.add(p);
    }
    return peers;
  }

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
