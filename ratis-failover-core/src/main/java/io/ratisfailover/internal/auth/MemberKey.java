package io.ratisfailover.internal.auth;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.MemberId;
import io.ratisfailover.RaftTls;
import io.ratisfailover.internal.state.ClusterCa;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Codec;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Origin;
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.internal.state.Seal;
import io.ratisfailover.internal.state.SignatureCheck;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * A member's signing identity, loaded from its {@link RaftTls} files: the private key (PEM,
 * unencrypted PKCS#8), its certificate chain and the cluster CA. It seals every request the member
 * sends; {@link SignatureCheck} verifies the seal when the request is applied. Loading checks
 * everything the state machine will check (the chain, the common name, the key), so a member with
 * the wrong files fails at start with one line instead of having every command refused.
 */
public final class MemberKey {
  private final String clusterName;
  private final PrivateKey key;
  private final String algorithm;
  private final List<ByteString> chain;
  private final ClusterCa ca;

  private MemberKey(String clusterName, PrivateKey key, String algorithm, List<ByteString> chain, ClusterCa ca) {
    this.clusterName = clusterName;
    this.key = key;
    this.algorithm = algorithm;
    this.chain = chain;
    this.ca = ca;
  }

  /** @throws IllegalArgumentException one line naming the file and what is wrong with it */
  public static MemberKey load(MemberId member, String clusterName, RaftTls tls) {
    List<X509Certificate> certificates = PemFiles.certificates(tls.certificate(), "certificate");
    List<X509Certificate> cas = PemFiles.certificates(tls.ca(), "CA");
    if (cas.size() != 1) {
      throw new IllegalArgumentException("raft.tls CA file " + tls.ca() + " holds " + cas.size()
          + " certificates; it must hold exactly the cluster CA");
    }
    X509Certificate leaf = certificates.get(0);
    String keyAlgorithm = leaf.getPublicKey().getAlgorithm();
    String algorithm = SignatureCheck.algorithm(keyAlgorithm).orElseThrow(() -> new IllegalArgumentException(
        "raft.tls certificate " + tls.certificate() + " has a " + keyAlgorithm + " key; use EC, RSA or Ed25519"));
    PrivateKey key = PemFiles.privateKey(tls.key(), leaf);
    try {
      List<ByteString> chain = new ArrayList<>();
      for (X509Certificate c : certificates) {
        // A certificate file may end with the CA itself, as the transport allows (RaftTlsParameters);
        // the seal carries the chain below it, which is what the state machine verifies against it.
        if (!c.equals(cas.get(0))) {
          chain.add(ByteString.copyFrom(c.getEncoded()));
        }
      }
      MemberKey loaded = new MemberKey(clusterName, key, algorithm, List.copyOf(chain), ClusterCa.of(cas.get(0).getEncoded()));
      loaded.requireAccepted(member, tls);
      return loaded;
    } catch (CertificateException e) {
      throw new IllegalArgumentException("raft.tls certificate " + tls.certificate() + " cannot be encoded: " + e.getMessage(), e);
    }
  }

  /** The cluster CA this member was configured with. */
  public ClusterCa ca() {
    return ca;
  }

  /** {@code command} from {@code origin}, sealed with this member's key. */
  public Request sign(Origin origin, Command command) {
    ByteString bytes = Codec.encodeForSigning(origin, command);
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(Seal.signedBytes(clusterName, bytes));
      return new Request(origin, command, Optional.of(new Seal(bytes, ByteString.copyFrom(signer.sign()), chain)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing a command with the raft.tls key failed: " + e.getMessage(), e);
    }
  }

  /** Signs a probe exactly as the state machine will see a real request, and checks it the same way. */
  private void requireAccepted(MemberId member, RaftTls tls) {
    Request probe = sign(new Origin(member, 1, 1, 0),
        new Command.Bootstrap(clusterName, List.of(), ClusterSettings.DEFAULT, Optional.of(ca)));
    Optional<String> refusal = new SignatureCheck().refusal(ClusterState.EMPTY, probe);
    if (refusal.filter(r -> r.endsWith("the signature does not verify")).isPresent()) {
      throw new IllegalArgumentException("raft.tls key " + tls.key() + " does not belong to certificate " + tls.certificate());
    }
    if (refusal.isPresent()) {
      String why = refusal.get().replaceFirst("^Bootstrap claiming to come from", "a command of");
      throw new IllegalArgumentException("raft.tls of member " + member + " (certificate " + tls.certificate()
          + ", key " + tls.key() + ", CA " + tls.ca() + ") would not be accepted: " + why);
    }
  }
}
