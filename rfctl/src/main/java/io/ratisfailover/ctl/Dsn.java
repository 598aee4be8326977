package io.ratisfailover.ctl;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Multi-host connection strings over the data members: the client tries each host and keeps the
 * one in the wanted role, so it follows the primary without a proxy. Standbys are read-only and a
 * fenced primary is stopped, so only the serving primary ever accepts a read-write session.
 */
final class Dsn {
  /** Which servers a client should settle on. */
  enum Target {
    primary("read-write", "primary"),
    replica("standby", "secondary"),
    any("any", "any");

    final String libpq;
    final String pgjdbc;

    Target(String libpq, String pgjdbc) {
      this.libpq = libpq;
      this.pgjdbc = pgjdbc;
    }
  }

  private Dsn() {}

  /** libpq's keyword form: {@code host=a,b port=x,y dbname=d target_session_attrs=read-write}. */
  static String libpq(List<Members.Member> members, Target target, String dbname, Optional<String> user) {
    String hosts = members.stream().map(m -> m.host().orElseThrow()).collect(Collectors.joining(","));
    String ports = members.stream().map(m -> m.port().orElse("5432")).collect(Collectors.joining(","));
    StringBuilder b = new StringBuilder("host=").append(quote(hosts)).append(" port=").append(ports)
        .append(" dbname=").append(quote(dbname));
    user.ifPresent(u -> b.append(" user=").append(quote(u)));
    return b.append(" target_session_attrs=").append(target.libpq).toString();
  }

  /** pgjdbc's URL: {@code jdbc:postgresql://a:p,b:q/db?targetServerType=primary}. */
  static String jdbc(List<Members.Member> members, Target target, String dbname, Optional<String> user) {
    String hosts = members.stream().map(Members.Member::hostPort).collect(Collectors.joining(","));
    StringBuilder b = new StringBuilder("jdbc:postgresql://").append(hosts).append("/").append(encode(dbname))
        .append("?targetServerType=").append(target.pgjdbc);
    if (target == Target.replica) {
      // Spread reads over the standbys instead of always the first listed.
      b.append("&loadBalanceHosts=true");
    }
    user.ifPresent(u -> b.append("&user=").append(encode(u)));
    return b.toString();
  }

  /** A libpq value, in single quotes with {@code \} and {@code '} escaped when it needs them. */
  static String quote(String value) {
    if (!value.isEmpty() && value.chars().noneMatch(c -> c == ' ' || c == '\'' || c == '\\')) {
      return value;
    }
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
