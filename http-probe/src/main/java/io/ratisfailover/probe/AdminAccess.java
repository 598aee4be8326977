package io.ratisfailover.probe;

import io.ratisfailover.ClusterMember;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Who may call the admin endpoints: the client certificate and the basic credentials the configuration asks for. */
final class AdminAccess {
  // Logged under ProbeApi, as before the split: operators filter the API's lines by that name.
  private static final Logger log = LoggerFactory.getLogger(ProbeApi.class);

  private final ClusterMember member;
  private final ProbeConfig config;
  private final JsonBodies bodies;
  private final Optional<byte[]> credentialDigest;
  private final LogThrottle authFailures;

  /** @param ticker monotonic nanoseconds, for throttling log lines */
  AdminAccess(ClusterMember member, ProbeConfig config, JsonBodies bodies, LongSupplier ticker) {
    this.member = member;
    this.config = config;
    this.bodies = bodies;
    this.credentialDigest = config.auth().map(a -> sha256(a.username() + ":" + a.password()));
    this.authFailures = new LogThrottle(Duration.ofSeconds(10), ticker);
  }

  /**
   * Basic credentials (when configured) and, with {@code client_auth: OPTIONAL}, a verified client
   * certificate. Credentials are compared as SHA-256 digests with {@link MessageDigest#isEqual},
   * which takes the same time wherever they differ.
   */
  Optional<Answer> check(ProbeRequest r) {
    boolean certNeeded = config.tls().map(t -> t.clientAuth() != ProbeConfig.ClientAuth.NONE).orElse(false);
    if (certNeeded && !r.clientCertificate()) {
      authFailures.log(note -> log.warn("member {}: admin request {} without a client certificate refused{}",
          member.id(), r, note));
      return Optional.of(bodies.error(403, "a verified client certificate is required for " + r.method() + " " + r.path()));
    }
    Set<String> allowed = config.tls().map(ProbeConfig.Tls::allowedClientNames).orElse(Set.of());
    if (!allowed.isEmpty() && r.clientNames().stream().noneMatch(allowed::contains)) {
      authFailures.log(note -> log.warn("member {}: admin request {} refused: client certificate names {} not allowed{}",
          member.id(), r, r.clientNames(), note));
      return Optional.of(bodies.error(403, "the client certificate's names " + r.clientNames()
          + " are not in api.tls.allowed_client_names"));
    }
    if (credentialDigest.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> presented = r.authorization().flatMap(AdminAccess::basicCredentials);
    if (presented.isEmpty()) {
      String why = r.authorization().isEmpty() ? "authentication required: send HTTP basic credentials"
          : "malformed Authorization header: expected 'Basic <base64 of user:password>'";
      authFailures.log(note -> log.warn("member {}: admin request {} refused: {}{}", member.id(), r,
          r.authorization().isEmpty() ? "no credentials" : "malformed credentials", note));
      return Optional.of(unauthorized(why));
    }
    if (!MessageDigest.isEqual(credentialDigest.get(), sha256(presented.get()))) {
      authFailures.log(note -> log.warn("member {}: admin request {} refused: wrong credentials{}", member.id(), r,
          note));
      return Optional.of(unauthorized("wrong username or password"));
    }
    return Optional.empty();
  }

  private static Optional<String> basicCredentials(String header) {
    String h = header.strip();
    if (h.length() < 6 || !h.regionMatches(true, 0, "Basic ", 0, 6)) {
      return Optional.empty();
    }
    try {
      String decoded = new String(Base64.getDecoder().decode(h.substring(6).strip()), StandardCharsets.UTF_8);
      return decoded.indexOf(':') > 0 ? Optional.of(decoded) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private Answer unauthorized(String message) {
    return bodies.error(401, message).withHeader("WWW-Authenticate", "Basic realm=\"ratis-failover\", charset=\"UTF-8\"");
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
