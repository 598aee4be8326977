package io.ratisfailover;

import io.ratisfailover.internal.ratis.RaftTlsParameters;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;

/**
 * The files that put a member on its cluster's authenticated Raft channel: its own certificate
 * (PEM, the chain up to but excluding the CA), its private key (PEM, PKCS#8) and the cluster CA
 * (PEM). Every Raft connection is mutual TLS against that CA only, so the CA should be dedicated to
 * the cluster. The certificate's subject common name is the member id it may speak for.
 */
public record RaftTls(Path certificate, Path key, Path ca) {
  public RaftTls {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ca, "ca");
  }

  /**
   * Reads and checks the files as {@link FailoverMember.Builder#build()} does, so that a program
   * can report them with its other configuration errors: readable PEM, an unencrypted PKCS#8 key
   * that belongs to the certificate, a certificate valid now (by the system clock), signed by the
   * CA and issued to {@code member} (its common name).
   *
   * @return this
   * @throws IllegalArgumentException in one line naming the file and what is wrong with it
   */
  public RaftTls check(MemberId member) {
    RaftTlsParameters.load(this, member, Clock.systemUTC().instant());
    return this;
  }
}
