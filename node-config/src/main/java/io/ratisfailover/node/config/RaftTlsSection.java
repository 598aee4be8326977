package io.ratisfailover.node.config;

import io.ratisfailover.MemberId;
import io.ratisfailover.RaftTls;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code raft.tls:} — the PEM files of this member's Raft identity: its certificate (common name =
 * the member id; subject alternative names = the host or IP address of its {@code raft} address),
 * its unencrypted PKCS#8 key, and the cluster's own CA. Every Raft connection is then mutual TLS
 * against that CA.
 */
public record RaftTlsSection(String certificate, String key, String ca) {

  /**
   * Resolves {@code <at>.tls} and {@code <at>.insecure}: the checked TLS files, or empty when the
   * configuration says, explicitly, that the Raft port runs without TLS.
   */
  public static Optional<RaftTls> resolve(String at, RaftTlsSection tls, Boolean insecure, MemberId member) {
    boolean off = insecure != null && insecure;
    if (tls == null && !off) {
      throw ConfigException.at(at + ".tls", "is required: this member's certificate, key and cluster CA for mutual"
          + " TLS on the Raft port (or " + at + ".insecure: true where nobody else can reach that port)");
    }
    if (tls != null && off) {
      throw ConfigException.at(at + ".insecure", "is true but " + at + ".tls is set too; choose one");
    }
    if (off) {
      return Optional.empty();
    }
    RaftTls files = new RaftTls(Path.of(Values.required(at + ".tls.certificate", tls.certificate())),
        Path.of(Values.required(at + ".tls.key", tls.key())), Path.of(Values.required(at + ".tls.ca", tls.ca())));
    return Optional.of(Values.checked(at + ".tls", () -> files.check(member)));
  }
}
