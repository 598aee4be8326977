package io.ratisfailover.probe;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may call the admin endpoints of a member's API or of the clusters port: the client certificate
 * and the basic credentials the configuration asks for.
 */
final class AdminAccess {
  // Logged under ProbeApi, as before the split: operators filter the API's lines by that name.
  private static final Logger log = LoggerFactory.getLogger(ProbeApi.class);

  private final ProbeConfig config;
  private final String who;
  private final BiFunction<Integer, String, Answer> error;
  private final Optional<byte[]> credentialDigest;
  private final LogThrottle authFailures;

  /**
   * @param who names the API in log lines, for example "member pg1"
   * @param error builds the one-line error answers
   */
  AdminAccess(ProbeConfig config, LongSupplier ticker, String who, BiFunction<Integer, String, Answer> error) {
    this.config = config;
    this.who = who;
    this.error = error;
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
      authFailures.log(note -> log.warn("{}: admin request {} without a client certificate refused{}",
          who, r, note));
      return Optional.of(error.apply(403, "a verified client certificate is required for " + r.method() + " " + r.path()));
    }
    Set<String> allowed = config.tls().map(ProbeConfig.Tls::allowedClientNames).orElse(Set.of());
    if (!allowed.isEmpty() && r.clientNames().stream().noneMatch(allowed::contains)) {
      authFailures.log(note -> log.warn("{}: admin request {} refused: client certificate names {} not allowed{}",
          who, r, r.clientNames(), note));
      return Optional.of(error.apply(403, "the client certificate's names " + r.clientNames()
          + " are not in api.tls.allowed_client_names"));
    }
    if (credentialDigest.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> presented = r.authorization().flatMap(AdminAccess::basicCredentials);
    if (presented.isEmpty()) {
      String why = r.authorization().isEmpty() ? "authentication required: send HTTP basic credentials"
          : "malformed Authorization header: expected 'Basic <base64 of user:password>'";
      authFailures.log(note -> log.warn("{}: admin request {} refused: {}{}", who, r,
          r.authorization().isEmpty() ? "no credentials" : "malformed credentials", note));
      return Optional.of(unauthorized(why));
    }
    if (!MessageDigest.isEqual(credentialDigest.get(), sha256(presented.get()))) {
      authFailures.log(note -> log.warn("{}: admin request {} refused: wrong credentials{}", who, r,
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
    return error.apply(401, message).withHeader("WWW-Authenticate", "Basic realm=\"ratis-failover\", charset=\"UTF-8\"");
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
