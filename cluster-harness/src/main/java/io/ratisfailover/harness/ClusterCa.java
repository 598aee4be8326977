package io.ratisfailover.harness;

import io.ratisfailover.RaftTls;
import io.ratisfailover.testing.TestPki;
import java.nio.file.Path;

/**
 * A throw-away CA for a cluster the demo, the chaos harness or a benchmark starts: each member gets
 * a certificate for its Raft address, and its configuration the {@code raft.tls} that names it.
 */
public final class ClusterCa {
  private final TestPki pki;

  private ClusterCa(TestPki pki) {
    this.pki = pki;
  }

  /** A new CA for {@code cluster}, its files under {@code dir}. */
  public static ClusterCa create(Path dir, String cluster) {
    return new ClusterCa(TestPki.create(dir, cluster + "-ca"));
  }

  /** The YAML flow map for {@code raft.tls} of {@code member}, whose certificate is valid for {@code host}. */
  public String tlsYaml(String member, String host) {
    RaftTls tls = pki.issue(member, host);
    return "{certificate: " + tls.certificate() + ", key: " + tls.key() + ", ca: " + tls.ca() + "}";
  }
}
