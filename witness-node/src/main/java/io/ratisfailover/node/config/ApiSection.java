package io.ratisfailover.node.config;

/**
 * {@code api:} — where the member's HTTP API (health checks, status, admin) listens, and how admin
 * calls authenticate. Health checks stay open; admin calls need the basic-auth credentials, and with
 * {@code tls.client_ca} a client certificate too.
 *
 * @param listen {@code host:port}
 * @param username admin user; with {@code password}, required for admin calls
 * @param password a secret: {@code env:NAME}, {@code file:/path} or the value itself
 */
public record ApiSection(String listen, String username, String password, TlsSection tls) {

  /** {@code api.tls:} — PEM files. */
  public record TlsSection(String certificate, String key, String clientCa) {}
}
