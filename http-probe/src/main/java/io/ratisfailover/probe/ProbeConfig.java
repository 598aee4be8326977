package io.ratisfailover.probe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How the HTTP probe listens, whom it lets change things, and what it tolerates from clients.
 * Built only through {@link #builder()}, whose {@code build()} names the first field it rejects.
 *
 * @param host the address to listen on; {@code 127.0.0.1} unless set
 * @param port the port to listen on; 0 picks a free one (see {@link ProbeServer#port()})
 * @param auth HTTP basic credentials that admin requests (POST, PATCH, PUT, DELETE) must carry;
 *     empty leaves them open, like Patroni without {@code restapi.authentication}. Health checks,
 *     status, metrics and other reads never need them.
 * @param tls serve HTTPS, optionally verifying client certificates; empty for plain HTTP
 * @param maxInitialLineBytes longest request line accepted; longer gets 414
 * @param maxHeaderBytes largest header block accepted; larger gets 431
 * @param maxBodyBytes largest request body accepted; larger gets 413
 * @param requestTimeout a request (TLS handshake included) must arrive whole within this time of
 *     its first byte, or of the connection opening: slow clients are cut off, not waited for
 * @param idleTimeout a kept-alive connection with no request for this long is closed
 * @param maxConnections connections beyond this many are closed at once, so a flood of idle or
 *     slow connections cannot exhaust file descriptors
 * @param ioThreads event-loop threads answering requests; health checks never wait on anything else
 * @param adminThreads threads running admin requests (they block until the cluster answers)
 * @param adminQueue admin requests that may wait for a thread; more are refused with 503
 * @param adminTimeout how long a switchover, failover, restart or reload may take before the
 *     answer is 503 "status unknown" (it may still complete)
 * @param livenessThreshold {@code /liveness} answers 503 once the member's agent loop has not
 *     completed a cycle for this long (it cycles at least every {@code loop_wait})
 * @param primaryHoldOff a new primary keeps answering 503 on {@code /primary} until the previous
 *     primary has been silent there this long (counted from the end of its lease or its release,
 *     as the election bounds it), so that routers mark the previous primary down first; zero (the
 *     default) answers 200 at once. To keep HAProxy from ever listing two servers UP during a
 *     switchover, set it to the time HAProxy takes to mark a server down: {@code inter + (fall - 1)
 *     x fastinter}
 * @param haproxyPush tell HAProxy's runtime API directly when this member starts or stops
 *     answering 200 on {@code /primary}; empty (the default) leaves it to HAProxy's health checks
 * @param warmUp right after binding, send a few thousand read-only health checks to the probe's own
 *     listener (seconds at most, in the background, outside the limits and the metrics), so that a
 *     fresh JVM answers routers' checks at its warm latency sooner; off unless set (the programs'
 *     {@code api.warm_up: true})
 */
public record ProbeConfig(String host, int port, Optional<BasicAuth> auth, Optional<Tls> tls,
    int maxInitialLineBytes, int maxHeaderBytes, int maxBodyBytes, Duration requestTimeout, Duration idleTimeout,
    int maxConnections, int maxConnectionsPerClient, int ioThreads, int adminThreads, int adminQueue, Duration adminTimeout,
    Duration livenessThreshold, Duration primaryHoldOff, Optional<HaproxyPush> haproxyPush, boolean warmUp) {

  public ProbeConfig {
    Objects.requireNonNull(host, "probe.host");
    Objects.requireNonNull(auth, "probe.auth");
    Objects.requireNonNull(tls, "probe.tls");
    Objects.requireNonNull(requestTimeout, "probe.request_timeout");
    Objects.requireNonNull(idleTimeout, "probe.idle_timeout");
    Objects.requireNonNull(adminTimeout, "probe.admin_timeout");
    Objects.requireNonNull(livenessThreshold, "probe.liveness_threshold");
    Objects.requireNonNull(primaryHoldOff, "probe.primary_hold_off");
    Objects.requireNonNull(haproxyPush, "probe.haproxy");
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * How long a primary handing over in a switchover should answer 503 on {@code /primary} while it
   * still takes writes (the member's {@code switchoverDrain}): a third of the hold-off, so that most
   * of what routers need to drop the old primary passes while writes still work. HAProxy cuts its
   * sessions no sooner than {@code (fall - 1) x fastinter} after the first 503, a third of
   * {@code inter + (fall - 1) x fastinter} with the recommended {@code fall 2} and {@code inter 2 x
   * fastinter}; a longer drain would turn that cut into lost time. Zero with a push, which drops the
   * server the moment the answer changes.
   */
  public Duration switchoverDrain() {
    return haproxyPush.isPresent() ? Duration.ZERO : primaryHoldOff.dividedBy(3);
  }

  /** The scheme clients use: {@code https} with TLS, else {@code http}. */
  public String scheme() {
    return tls.isPresent() ? "https" : "http";
  }

  /**
   * Credentials for HTTP basic authentication. {@link #toString()} never shows the password, so a
   * config can be logged.
   */
  public record BasicAuth(String username, String password) {
    public BasicAuth {
      if (username == null || username.isEmpty() || username.indexOf(':') >= 0) {
        throw new IllegalArgumentException("probe.auth.username must be non-empty and contain no ':'");
      }
      if (password == null || password.isEmpty()) {
        throw new IllegalArgumentException("probe.auth.password must be non-empty");
      }
    }

    @Override
    public String toString() {
      return "BasicAuth[username=" + username + ", password=***]";
    }
  }

  /** Which requests must present a client certificate that {@link Tls#clientCa()} signed. */
  public enum ClientAuth {
    /** None: any TLS client may connect. */
    NONE,
    /**
     * Admin requests only (Patroni's {@code verify_client: optional}): health checks from routers
     * that have no certificate still work, while changes need one.
     */
    OPTIONAL,
    /** Every connection (Patroni's {@code verify_client: required}). */
    REQUIRE
  }

  /**
   * HTTPS settings, with PEM files as Patroni's {@code restapi.certfile}, {@code keyfile} and
   * {@code cafile}. {@link #toString()} never shows the key password.
   *
   * @param certificateChain PEM certificate chain, this server's certificate first
   * @param privateKey PEM PKCS#8 private key
   * @param keyPassword the private key's password, if it is encrypted
   * @param clientCa PEM certificates that sign acceptable client certificates
   * @param clientAuth which requests need a client certificate
   * @param allowedClientNames when not empty, admin requests need a client certificate whose
   *     common name or a subject alternative name (DNS, IP, email, URI) is one of these: the CA
   *     may sign certificates for more than the operators
   */
  public record Tls(Path certificateChain, Path privateKey, Optional<String> keyPassword, Optional<Path> clientCa,
      ClientAuth clientAuth, Set<String> allowedClientNames) {

    /** Any certificate {@code clientCa} signed will do. */
    public Tls(Path certificateChain, Path privateKey, Optional<String> keyPassword, Optional<Path> clientCa,
        ClientAuth clientAuth) {
      this(certificateChain, privateKey, keyPassword, clientCa, clientAuth, Set.of());
    }

    public Tls {
      allowedClientNames = Set.copyOf(Objects.requireNonNull(allowedClientNames, "probe.tls.allowed_client_names"));
      if (!allowedClientNames.isEmpty() && clientAuth == ClientAuth.NONE) {
        throw new IllegalArgumentException("probe.tls.allowed_client_names needs client certificates: set client_auth"
            + " to OPTIONAL or REQUIRE");
      }
      requireReadable("probe.tls.certificate_chain", certificateChain);
      requireReadable("probe.tls.private_key", privateKey);
      Objects.requireNonNull(keyPassword, "probe.tls.key_password");
      Objects.requireNonNull(clientCa, "probe.tls.client_ca");
      Objects.requireNonNull(clientAuth, "probe.tls.client_auth");
      clientCa.ifPresent(p -> requireReadable("probe.tls.client_ca", p));
      if (clientAuth != ClientAuth.NONE && clientCa.isEmpty()) {
        throw new IllegalArgumentException("probe.tls.client_auth " + clientAuth
            + " needs probe.tls.client_ca to verify client certificates against");
      }
    }

    @Override
    public String toString() {
      return "Tls[certificateChain=" + certificateChain + ", privateKey=" + privateKey + ", keyPassword="
          + keyPassword.map(p -> "***").orElse("none") + ", clientCa=" + clientCa + ", clientAuth=" + clientAuth
          + ", allowedClientNames=" + allowedClientNames + "]";
    }

    private static void requireReadable(String field, Path file) {
      if (file == null) {
        throw new IllegalArgumentException(field + " is required");
      }
      if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
        throw new IllegalArgumentException(field + " " + file + " is not a readable file");
      }
    }
  }

  /** Mutable only until {@link #build()}; each setter takes the value the field will hold. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 8008;
    private BasicAuth auth;
    private Tls tls;
    private int maxInitialLineBytes = 4096;
    private int maxHeaderBytes = 8192;
    private int maxBodyBytes = 64 * 1024;
    private Duration requestTimeout = Duration.ofSeconds(5);
    private Duration idleTimeout = Duration.ofSeconds(30);
    private int maxConnections = 1024;
    private int maxConnectionsPerClient = 128;
    private int ioThreads = 2;
    private int adminThreads = 2;
    private int adminQueue = 8;
    private Duration adminTimeout = Duration.ofSeconds(30);
    private Duration livenessThreshold = Duration.ofSeconds(10);
    private Duration primaryHoldOff = Duration.ZERO;
    private HaproxyPush haproxyPush;
    private boolean warmUp;

    private Builder() {}

    public Builder host(String value) { this.host = value; return this; }
    /** Patroni's default REST API port is 8008; tests and embedders pass 0 for a free port. */
    public Builder port(int value) { this.port = value; return this; }
    public Builder auth(String username, String password) { this.auth = new BasicAuth(username, password); return this; }
    public Builder auth(BasicAuth value) { this.auth = value; return this; }
    public Builder tls(Tls value) { this.tls = value; return this; }
    public Builder maxInitialLineBytes(int value) { this.maxInitialLineBytes = value; return this; }
    public Builder maxHeaderBytes(int value) { this.maxHeaderBytes = value; return this; }
    public Builder maxBodyBytes(int value) { this.maxBodyBytes = value; return this; }
    public Builder requestTimeout(Duration value) { this.requestTimeout = value; return this; }
    public Builder idleTimeout(Duration value) { this.idleTimeout = value; return this; }
    public Builder maxConnections(int value) { this.maxConnections = value; return this; }
    public Builder maxConnectionsPerClient(int value) { this.maxConnectionsPerClient = value; return this; }
    public Builder ioThreads(int value) { this.ioThreads = value; return this; }
    public Builder adminThreads(int value) { this.adminThreads = value; return this; }
    public Builder adminQueue(int value) { this.adminQueue = value; return this; }
    public Builder adminTimeout(Duration value) { this.adminTimeout = value; return this; }
    public Builder livenessThreshold(Duration value) { this.livenessThreshold = value; return this; }
    public Builder primaryHoldOff(Duration value) { this.primaryHoldOff = value; return this; }
    public Builder haproxyPush(HaproxyPush value) { this.haproxyPush = value; return this; }
    public Builder warmUp(boolean value) { this.warmUp = value; return this; }

    /** @throws IllegalArgumentException naming the first field whose value is impossible */
    public ProbeConfig build() {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("probe.host must not be empty");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("probe.port must be between 0 and 65535, got " + port);
      }
      requireAtLeast("probe.max_initial_line_bytes", maxInitialLineBytes, 256);
      requireAtLeast("probe.max_header_bytes", maxHeaderBytes, 1024);
      requireAtLeast("probe.max_body_bytes", maxBodyBytes, 1024);
      requireAtLeast("probe.max_connections", maxConnections, 1);
      requireAtLeast("probe.max_connections_per_client", maxConnectionsPerClient, 1);
      requireAtLeast("probe.io_threads", ioThreads, 1);
      requireAtLeast("probe.admin_threads", adminThreads, 1);
      requireAtLeast("probe.admin_queue", adminQueue, 0);
      requirePositive("probe.request_timeout", requestTimeout);
      requirePositive("probe.idle_timeout", idleTimeout);
      requirePositive("probe.admin_timeout", adminTimeout);
      requirePositive("probe.liveness_threshold", livenessThreshold);
      if (primaryHoldOff == null || primaryHoldOff.isNegative() || primaryHoldOff.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("probe.primary_hold_off must be between 0 and 1 minute, got " + primaryHoldOff);
      }
      return new ProbeConfig(host, port, Optional.ofNullable(auth), Optional.ofNullable(tls), maxInitialLineBytes,
          maxHeaderBytes, maxBodyBytes, requestTimeout, idleTimeout, maxConnections, maxConnectionsPerClient, ioThreads, adminThreads,
          adminQueue, adminTimeout, livenessThreshold, primaryHoldOff, Optional.ofNullable(haproxyPush), warmUp);
    }

    private static void requireAtLeast(String field, int value, int min) {
      if (value < min) {
        throw new IllegalArgumentException(field + " must be at least " + min + ", got " + value);
      }
    }

    private static void requirePositive(String field, Duration value) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(field + " must be a positive duration, got " + value);
      }
    }
  }
}
