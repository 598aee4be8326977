package io.ratisfailover.internal.state;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The certificate authority a cluster was bootstrapped with (DER), recorded in the replicated
 * state: every replica checks signatures against this, never against its own configuration, so
 * applying a command does not depend on a member's local files.
 */
public record ClusterCa(ByteString der) {
  public ClusterCa {
    Objects.requireNonNull(der, "der");
    if (der.isEmpty()) {
      throw new IllegalArgumentException("a CA certificate must not be empty");
    }
  }

  public static ClusterCa of(byte[] der) {
    return new ClusterCa(ByteString.copyFrom(der));
  }

  /** SHA-256 of the certificate, hex: what people compare and what logs show. */
  public String fingerprint() {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der.toByteArray()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  /** The first 16 hex digits of the fingerprint, enough to tell two CAs apart in a message. */
  public String shortFingerprint() {
    return fingerprint().substring(0, 16);
  }

  @Override
  public String toString() {
    return "CA sha256:" + shortFingerprint();
  }
}
