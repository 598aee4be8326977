package io.ratisfailover.node.config;

import io.ratisfailover.HostPort;
import io.ratisfailover.probe.HaproxyPush;
import io.ratisfailover.probe.ProbeConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code api:} — where the member's HTTP API (health checks, status, admin) listens, and how admin
 * calls authenticate. Health checks stay open; admin calls need the basic-auth credentials, and with
 * {@code tls.verify_client} a client certificate too.
 *
 * @param listen {@code host:port} to listen on
 * @param connectAddress {@code host:port} the others and the command-line tool use; {@code listen} when unset
 * @param username admin user; with {@code password}, required for admin calls
 * @param password a secret: {@code env:NAME}, {@code file:/path} or the value itself
 * @param primaryHoldOff how long after the previous primary went silent a new primary keeps answering
 *     503 on {@code /primary}, so that a router drops the previous primary first: HAProxy's
 *     {@code inter + (fall - 1) x fastinter}; none when unset
 * @param allowUnauthenticatedAdmin {@code true} to run admin endpoints with neither a password nor
 *     client certificates on an address other hosts can reach; refused otherwise
 * @param maxConnectionsPerClient connections one client address may hold (default 128); more are
 *     closed at once, so one host cannot starve the health checks of the others
 * @param haproxy tell HAProxy's runtime API directly when this member starts or stops being the
 *     primary; HAProxy's health checks alone when unset
 * @param warmUp {@code false} to skip the few seconds of read-only checks the API sends itself when it
 *     starts, so that routers' first checks already meet the warm latency; on when unset, except on a witness
 */
public record ApiSection(String listen, String connectAddress, String username, String password, TlsSection tls,
    String primaryHoldOff, Boolean allowUnauthenticatedAdmin, Integer maxConnectionsPerClient, HaproxySection haproxy,
    Boolean warmUp) {

  /** No {@code api:} section at all. */
  public static final ApiSection NONE = new ApiSection(null, null, null, null, null, null, null, null, null, null);

  /**
   * {@code api.haproxy:} — HAProxy's runtime API ({@code stats socket ... level admin}).
   *
   * @param runtimeApi one address per HAProxy: {@code unix:/path} (or an absolute path) or {@code host:port}
   * @param backend the backend (or {@code listen} section) that routes to the primary
   * @param servers HAProxy server name per member id, for members whose server is not named after them
   * @param timeout bound on one push to one HAProxy; 500 ms when unset
   */
  public record HaproxySection(List<String> runtimeApi, String backend, Map<String, String> servers, String timeout) {

    HaproxyPush toPush(String at) {
      List<String> apis = Values.required(at + ".runtime_api", runtimeApi);
      List<HaproxyPush.RuntimeApi> parsed = new java.util.ArrayList<>();
      for (int i = 0; i < apis.size(); i++) {
        String api = apis.get(i);
        parsed.add(Values.checked(at + ".runtime_api[" + i + "]", () -> HaproxyPush.RuntimeApi.parse(api)));
      }
      Duration t = Values.duration(at + ".timeout", timeout);
      return Values.checked(at, () -> new HaproxyPush(parsed, Values.required(at + ".backend", backend),
          servers == null ? Map.of() : servers, t == null ? HaproxyPush.DEFAULT_TIMEOUT : t));
    }
  }

  /**
   * {@code api.tls:} — PEM files, as Patroni's {@code restapi.certfile}, {@code keyfile},
   * {@code cafile}; {@code verify_client} is {@code none}, {@code optional} (admin calls only) or
   * {@code required}; {@code allowed_client_names} limits admin calls to client certificates with
   * one of these common or alternative names.
   */
  public record TlsSection(String certificate, String key, String keyPassword, String clientCa, String verifyClient,
      List<String> allowedClientNames) {}

  /** The URL published to the other members and used by the command-line tool. */
  public String url() {
    String address = connectAddress != null ? connectAddress : listen;
    return address == null ? "" : (tls != null ? "https://" : "http://") + address;
  }

  /**
   * The probe's configuration.
   *
   * @param at where this section is in the file, for messages
   * @param listenAt the address to listen on when it is not this section's own {@code listen}
   */
  public ProbeConfig toProbeConfig(String at, String listenAt, Map<String, String> env) {
    return toProbeConfig(at, listenAt, env, true);
  }

  /**
   * The probe's configuration; {@code warmUpWhenUnset} says whether the API warms itself up when
   * {@code warm_up} is not set (the witness passes {@code false}: routers never check it).
   */
  public ProbeConfig toProbeConfig(String at, String listenAt, Map<String, String> env, boolean warmUpWhenUnset) {
    String address = Values.required(at + ".listen", listenAt != null ? listenAt : listen);
    HostPort hp = Values.checked(at + ".listen", () -> HostPort.parse(address, "listen address"));
    ProbeConfig.Builder b = ProbeConfig.builder().host(hp.host()).port(hp.port()).warmUp(warmUp != null ? warmUp : warmUpWhenUnset);
    if (username != null || password != null) {
      b.auth(Values.required(at + ".username", username),
          Values.required(at + ".password", Values.secret(at + ".password", password, env)));
    }
    if (maxConnectionsPerClient != null) {
      b.maxConnectionsPerClient(maxConnectionsPerClient);
    }
    Duration holdOff = Values.duration(at + ".primary_hold_off", primaryHoldOff);
    if (holdOff != null) {
      b.primaryHoldOff(holdOff);
    }
    if (haproxy != null) {
      b.haproxyPush(haproxy.toPush(at + ".haproxy"));
    }
    if (tls != null) {
      ProbeConfig.ClientAuth verify;
      String v = tls.verifyClient() == null ? (tls.clientCa() == null ? "none" : "optional") : tls.verifyClient();
      switch (v) {
        case "none": verify = ProbeConfig.ClientAuth.NONE; break;
        case "optional": verify = ProbeConfig.ClientAuth.OPTIONAL; break;
        case "required": verify = ProbeConfig.ClientAuth.REQUIRE; break;
        default: throw ConfigException.at(at + ".tls.verify_client", "'" + v + "' is not one of none, optional, required");
      }
      ProbeConfig.ClientAuth clientAuth = verify;
      b.tls(Values.checked(at + ".tls", () -> new ProbeConfig.Tls(
          Path.of(Values.required(at + ".tls.certificate", tls.certificate())),
          Path.of(Values.required(at + ".tls.key", tls.key())),
          Optional.ofNullable(Values.secret(at + ".tls.key_password", tls.keyPassword(), env)),
          Optional.ofNullable(tls.clientCa()).map(Path::of), clientAuth,
          tls.allowedClientNames() == null ? Set.of() : Set.copyOf(tls.allowedClientNames()))));
    }
    ProbeConfig probe = Values.checked(at, b::build);
    boolean authenticated = probe.auth().isPresent()
        || probe.tls().map(t -> t.clientAuth() != ProbeConfig.ClientAuth.NONE).orElse(false);
    if (!authenticated && !Boolean.TRUE.equals(allowUnauthenticatedAdmin) && !isLoopback(hp.host())) {
      throw ConfigException.at(at + ".allow_unauthenticated_admin", "admin endpoints on " + hp.host()
          + " would be open to anyone who reaches it: set " + at + ".username and " + at + ".password (or "
          + at + ".tls.verify_client), listen on a loopback address, or set " + at
          + ".allow_unauthenticated_admin: true");
    }
    return probe;
  }

  /** Only for literal addresses and {@code localhost}: a config check must not wait on DNS. */
  private static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!host.matches("[0-9.]+|[0-9A-Fa-f:.\\[\\]]*:[0-9A-Fa-f:.\\[\\]]*")) {
      return false;
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
