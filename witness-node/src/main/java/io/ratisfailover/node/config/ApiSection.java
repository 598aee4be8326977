package io.ratisfailover.node.config;

/**
 * {@code api:} — where the member's HTTP API (health checks, status, admin) listens, and how admin
 * calls authenticate. Health checks stay open; admin calls need the basic-auth credentials, and with
 * {@code tls.client_ca} a client certificate too.
 *
 * @param listen {@code host:port} to listen on
 * @param connectAddress {@code host:port} the others and the command-line tool use; {@code listen} when unset
 * @param username admin user; with {@code password}, required for admin calls
 * @param password a secret: {@code env:NAME}, {@code file:/path} or the value itself
 */
public record ApiSection(String listen, String connectAddress, String username, String password, TlsSection tls) {

  /** The URL published to the other members and used by the command-line tool. */
  public String url() {
    String address = connectAddress != null ? connectAddress : listen;
    return address == null ? "" : (tls != null ? "https://" : "http://") + address;
  }

  /** {@code api.tls:} — PEM files. */
  public record TlsSection(String certificate, String key, String clientCa) {}
}
