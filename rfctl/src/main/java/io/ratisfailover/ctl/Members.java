package io.ratisfailover.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The members {@code GET /cluster} lists, as the commands that act on several of them need them. */
final class Members {
  private Members() {}

  /** One member of {@code /cluster}; {@code host} and {@code port} are its PostgreSQL's, empty on a witness. */
  record Member(String name, String role, String kind, Optional<String> host, Optional<String> port, String apiUrl,
      JsonNode document) {
    boolean isData() {
      return kind.isEmpty() ? !role.equals("witness") : kind.equals("data");
    }

    boolean isPrimary() {
      return role.equals("leader") || role.equals("primary") || role.equals("promoted");
    }

    /** The base of its API (what {@code api_url} names without Patroni's {@code /patroni}). */
    String api() {
      if (apiUrl.isEmpty()) {
        throw new CtlException("member " + name + " publishes no API URL");
      }
      return apiUrl.replaceAll("/patroni$", "");
    }

    /** {@code host:port}, with an IPv6 address in brackets as URLs want it. */
    String hostPort() {
      String h = host.orElseThrow(() -> new CtlException("member " + name + " publishes no PostgreSQL address"));
      return (h.contains(":") ? "[" + h + "]" : h) + ":" + port.orElse("5432");
    }
  }

  static List<Member> of(JsonNode cluster) {
    List<Member> out = new ArrayList<>();
    for (JsonNode m : cluster.path("members")) {
      out.add(new Member(Ctl.text(m, "name"), Ctl.text(m, "role"), Ctl.text(m, "kind"),
          Optional.of(Ctl.text(m, "host")).filter(h -> !h.isEmpty()),
          Optional.of(Ctl.text(m, "port")).filter(p -> !p.isEmpty()), Ctl.text(m, "api_url"), m));
    }
    return out;
  }

  /** The named members, in the order named; every data member when none is named. */
  static List<Member> selected(JsonNode cluster, List<String> names) {
    List<Member> all = of(cluster);
    if (names == null || names.isEmpty()) {
      return all.stream().filter(Member::isData).toList();
    }
    List<Member> out = new ArrayList<>();
    for (String name : names) {
      out.add(all.stream().filter(m -> m.name().equals(name)).findFirst()
          .orElseThrow(() -> new CtlException("the cluster has no member " + name)));
    }
    return out;
  }

  /** The data members whose PostgreSQL address is published. */
  static List<Member> databases(JsonNode cluster) {
    List<Member> out = of(cluster).stream().filter(m -> m.isData() && m.host().isPresent()).toList();
    if (out.isEmpty()) {
      throw new CtlException("no data member publishes a PostgreSQL address yet");
    }
    return out;
  }
}
