package io.ratisfailover.internal.state;

import java.util.List;
import java.util.Objects;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * A sender's signature on a request: the exact bytes it signed (the encoded origin and command the
 * request was decoded from), the signature, and its certificate chain (DER, its own first).
 * Verified by {@link SignatureCheck} when the request is applied.
 */
public record Seal(ByteString signedCommand, ByteString signature, List<ByteString> certificates) {
  public Seal {
    Objects.requireNonNull(signedCommand, "signedCommand");
    Objects.requireNonNull(signature, "signature");
    certificates = List.copyOf(certificates);
  }

  /** What the signature covers: the domain, the cluster and the command bytes, so no signed request counts for another cluster. */
  public static byte[] signedBytes(String clusterName, ByteString command) {
    byte[] prefix = ("ratis-failover command v1\n" + clusterName + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] out = new byte[prefix.length + command.size()];
    System.arraycopy(prefix, 0, out, 0, prefix.length);
    command.copyTo(out, prefix.length);
    return out;
  }
}
