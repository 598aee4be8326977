package io.ratisfailover.internal.ratis;

import io.ratisfailover.MemberId;
import io.ratisfailover.RaftTls;
import io.ratisfailover.internal.auth.PemFiles;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.security.TlsConf;

/**
 * How this member's Raft connections are secured, as the Ratis parameters every server and client
 * of the member is built with. With TLS, the files of a {@link RaftTls} are read and checked once,
 * when the member is built, so that a wrong file is one line naming it and not a handshake failure
 * deep inside gRPC later; then the server, admin and client gRPC channels all run mutual TLS
 * against the cluster CA: a connection is accepted only from a certificate that CA signed, and a
 * peer is trusted only when its certificate chains to that CA and names the host (or IP address)
 * we dialled in its subject alternative names (gRPC checks the name; Ratis does not turn it off).
 */
public final class RaftTlsParameters {
  /** Null without TLS. */
  private final GrpcTlsConfig config;

  private RaftTlsParameters(GrpcTlsConfig config) {
    this.config = config;
  }

  /** Plain gRPC: anyone who reaches the Raft port is a voter-grade administrator of the cluster. */
  public static RaftTlsParameters insecure() {
    return new RaftTlsParameters(null);
  }

  /**
   * Reads and checks the files: the CA and the certificate are PEM, the key PEM PKCS#8 and the
   * certificate's, and the certificate chains to the CA, is valid at {@code now} and names
   * {@code member} as its common name (the member it may speak for).
   *
   * @throws IllegalArgumentException in one line naming the file and what is wrong with it
   */
  public static RaftTlsParameters load(RaftTls tls, MemberId member, Instant now) {
    List<X509Certificate> cas = PemFiles.certificates(tls.ca(), "CA");
    List<X509Certificate> chain = PemFiles.certificates(tls.certificate(), "certificate");
    X509Certificate leaf = chain.get(0);
    PrivateKey key = PemFiles.privateKey(tls.key(), leaf);
    requireMatch(key, leaf, tls);
    requireValidAt(now, leaf, tls.certificate());
    requireChainedTo(chain, cas, tls, now);
    Optional<String> name = commonName(leaf);
    if (!name.filter(member.value()::equals).isPresent()) {
      throw new IllegalArgumentException("raft TLS certificate " + tls.certificate() + " is issued to CN="
          + name.orElse("(none)") + ", not to member " + member);
    }
    GrpcTlsConfig config = GrpcTlsConfig.newBuilder()
        .setPrivateKey(new TlsConf.PrivateKeyConf(key))
        .setKeyCertificates(new TlsConf.CertificatesConf(chain))
        .setTrustCertificates(new TlsConf.CertificatesConf(cas))
        .setMutualTls(true)
        .build();
    return new RaftTlsParameters(config);
  }

  public boolean secure() {
    return config != null;
  }

  private static Optional<String> commonName(X509Certificate certificate) {
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return Optional.of(String.valueOf(rdn.getValue()));
        }
      }
      return Optional.empty();
    } catch (InvalidNameException e) {
      return Optional.empty();
    }
  }

  /**
   * Fresh parameters for one Ratis server or client builder: the same mutual TLS configuration
   * for the server-to-server, admin and client channels, so every connection this member makes
   * or accepts presents and demands a certificate from the cluster CA. Ratis' gRPC factory uses
   * the general TLS configuration for each channel that has none of its own; setting it once
   * (rather than per channel, which would be equivalent) builds one SSL context per factory
   * instead of four, which shortens a start on a busy host by seconds.
   */
  public Parameters parameters() {
    Parameters p = new Parameters();
    if (config != null) {
      GrpcConfigKeys.TLS.setConf(p, config);
    }
    return p;
  }

  /** Signs a random challenge with the key and checks it with the certificate's public key. */
  private static void requireMatch(PrivateKey key, X509Certificate leaf, RaftTls tls) {
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    boolean matches;
    try {
      String algorithm = signatureAlgorithm(key.getAlgorithm());
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(leaf.getPublicKey());
      verifier.update(challenge);
      matches = verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      matches = false;
    }
    if (!matches) {
      throw new IllegalArgumentException("raft TLS key " + tls.key() + " does not belong to the certificate "
          + tls.certificate());
    }
  }

  private static String signatureAlgorithm(String keyAlgorithm) {
    switch (keyAlgorithm) {
      case "EC": return "SHA256withECDSA";
      case "RSA": return "SHA256withRSA";
      case "EdDSA":
      case "Ed25519":
      case "Ed448": return "EdDSA";
      default: throw new IllegalArgumentException("raft TLS keys of type " + keyAlgorithm
          + " are not supported; use an EC (P-256), RSA or Ed25519 key");
    }
  }

  private static void requireValidAt(Instant now, X509Certificate leaf, Path file) {
    try {
      leaf.checkValidity(Date.from(now));
    } catch (CertificateException e) {
      throw new IllegalArgumentException("raft TLS certificate " + file + " is not valid now (valid from "
          + leaf.getNotBefore().toInstant() + " until " + leaf.getNotAfter().toInstant() + ")", e);
    }
  }

  /** PKIX path validation against the CA file's certificates alone, as the TLS peers will check it. */
  private static void requireChainedTo(List<X509Certificate> chain, List<X509Certificate> cas, RaftTls tls,
      Instant now) {
    Set<TrustAnchor> anchors = new HashSet<>();
    cas.forEach(ca -> anchors.add(new TrustAnchor(ca, null)));
    // A certificate file may end with the CA itself; the path stops below the anchor.
    List<X509Certificate> path = chain.stream().filter(c -> !cas.contains(c)).toList();
    try {
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(now));
      CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
    } catch (CertPathValidatorException e) {
      throw new IllegalArgumentException("raft TLS certificate " + tls.certificate() + " is not signed by the CA in "
          + tls.ca() + " (" + e.getMessage() + ")", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("raft TLS certificate " + tls.certificate() + " cannot be checked against "
          + tls.ca() + ": " + e.getMessage(), e);
    }
  }
}
