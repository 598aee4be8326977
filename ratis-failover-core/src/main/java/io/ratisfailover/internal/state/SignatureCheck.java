package io.ratisfailover.internal.state;

import io.ratisfailover.MemberId;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * Whether a request comes from the member it names (invariant A1 in docs/design.md §4; §9): in a
 * cluster bootstrapped with a CA, its seal must carry a certificate chain issued by that CA whose
 * subject common name is the member, and a signature by that certificate's key over exactly the
 * request's bytes and the cluster name.
 *
 * <p>Deterministic, like everything applied: it reads the CA from the replicated state, never from
 * local files, and it reads no clock. Validity dates are therefore not checked here; expiry and
 * revocation are the TLS handshake's business (a member whose certificate expired cannot connect).
 * What a chain verifies to depends only on its bytes and the CA, so verified chains are remembered.
 */
public final class SignatureCheck {
  private static final int REMEMBERED_CHAINS = 64;
  /** Extensions whose meaning this check honours; any other critical one makes a certificate unusable. */
  private static final Set<String> UNDERSTOOD = Set.of("2.5.29.15", "2.5.29.17", "2.5.29.19", "2.5.29.37");

  /** A chain's verdict: the key and member it vouches for, or why it vouches for nobody. */
  private record Verdict(Optional<PublicKey> key, String member, String refusal) {}

  private record ChainKey(ClusterCa ca, List<ByteString> chain) {}

  private final Map<ChainKey, Verdict> verdicts = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<ChainKey, Verdict> eldest) {
      return size() > REMEMBERED_CHAINS;
    }
  };

  /** The signature algorithm for a key, chosen by the verifier from the certificate, never by the sender. */
  public static Optional<String> algorithm(String keyAlgorithm) {
    switch (keyAlgorithm) {
      case "EC": return Optional.of("SHA256withECDSA");
      case "RSA": return Optional.of("SHA256withRSA");
      case "Ed25519":
      case "EdDSA": return Optional.of("Ed25519");
      default: return Optional.empty();
    }
  }

  /** Why {@code request} may not be applied to {@code state} as coming from its origin; empty when it may. */
  public Optional<String> refusal(ClusterState state, Request request) {
    Optional<ClusterCa> ca;
    String cluster;
    if (state.initialized()) {
      ca = state.ca();
      cluster = state.clusterName();
    } else if (request.command() instanceof Command.Bootstrap bootstrap) {
      ca = bootstrap.ca();
      cluster = bootstrap.clusterName();
    } else {
      return Optional.empty(); // refused anyway: not bootstrapped
    }
    if (ca.isEmpty()) {
      return Optional.empty(); // an unauthenticated cluster
    }
    MemberId claimed = request.origin().member();
    String what = request.command().getClass().getSimpleName() + " claiming to come from " + claimed;
    if (request.seal().isEmpty()) {
      return Optional.of(what + " is unsigned, and cluster " + cluster + " accepts only signed commands");
    }
    Seal seal = request.seal().get();
    Verdict verdict = verdict(ca.get(), seal.certificates());
    if (verdict.key().isEmpty()) {
      return Optional.of(what + " carries a certificate the cluster CA does not vouch for: " + verdict.refusal());
    }
    if (!verdict.member().equals(claimed.value())) {
      return Optional.of(what + " is signed with the certificate of " + verdict.member());
    }
    if (!covers(seal, request)) {
      return Optional.of(what + ": the signature covers another request");
    }
    PublicKey key = verdict.key().get();
    try {
      Signature verifier = Signature.getInstance(algorithm(key.getAlgorithm()).orElseThrow());
      verifier.initVerify(key);
      verifier.update(Seal.signedBytes(cluster, seal.signedCommand()));
      if (!verifier.verify(seal.signature().toByteArray())) {
        return Optional.of(what + ": the signature does not verify");
      }
    } catch (GeneralSecurityException e) {
      return Optional.of(what + ": the signature does not verify (" + e.getMessage() + ")");
    }
    return Optional.empty();
  }

  /** Whether the seal was made over exactly this origin and command (it always is when decoded from the log). */
  private static boolean covers(Seal seal, Request request) {
    try {
      Request covered = Codec.decodeSigned(seal.signedCommand());
      return covered.origin().equals(request.origin()) && covered.command().equals(request.command());
    } catch (Codec.MalformedMessageException e) {
      return false;
    }
  }

  private synchronized Verdict verdict(ClusterCa ca, List<ByteString> chain) {
    return verdicts.computeIfAbsent(new ChainKey(ca, chain), k -> verify(k.ca(), k.chain()));
  }

  private static Verdict verify(ClusterCa ca, List<ByteString> chain) {
    if (chain.isEmpty()) {
      return refused("no certificate");
    }
    X509Certificate anchor;
    List<X509Certificate> certificates = new ArrayList<>();
    try {
      anchor = parse(ca.der());
    } catch (GeneralSecurityException e) {
      return refused("the cluster's " + ca + " does not parse: " + e.getMessage());
    }
    try {
      for (ByteString der : chain) {
        certificates.add(parse(der));
      }
    } catch (GeneralSecurityException e) {
      return refused("a certificate does not parse: " + e.getMessage());
    }
    if (chain.size() - 1 > Math.max(anchor.getBasicConstraints(), 0)) {
      return refused("more intermediates than the cluster CA allows");
    }
    for (int i = 0; i < certificates.size(); i++) {
      X509Certificate c = certificates.get(i);
      X509Certificate issuer = i + 1 < certificates.size() ? certificates.get(i + 1) : anchor;
      String subject = c.getSubjectX500Principal().getName();
      if (c.getCriticalExtensionOIDs() != null && !UNDERSTOOD.containsAll(c.getCriticalExtensionOIDs())) {
        return refused(subject + " has a critical extension this check does not understand");
      }
      if (!c.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
        return refused(subject + " was issued by " + c.getIssuerX500Principal().getName() + ", not by "
            + issuer.getSubjectX500Principal().getName());
      }
      try {
        c.verify(issuer.getPublicKey());
      } catch (GeneralSecurityException e) {
        return refused(subject + " is not signed by " + issuer.getSubjectX500Principal().getName());
      }
      boolean leaf = i == 0;
      if (leaf && c.getBasicConstraints() >= 0) {
        return refused(subject + " is a CA certificate, not a member's");
      }
      if (!leaf && (c.getBasicConstraints() < 0 || c.getBasicConstraints() < i - 1)) {
        return refused(subject + " may not issue member certificates (basic constraints)");
      }
      boolean[] usage = c.getKeyUsage();
      if (usage != null && (leaf ? !usage[0] : !usage[5])) {
        return refused(subject + (leaf ? " may not sign (key usage)" : " may not sign certificates (key usage)"));
      }
    }
    X509Certificate member = certificates.get(0);
    if (algorithm(member.getPublicKey().getAlgorithm()).isEmpty()) {
      return refused("keys of type " + member.getPublicKey().getAlgorithm() + " cannot sign commands");
    }
    Optional<String> name = commonName(member);
    if (name.isEmpty()) {
      return refused(member.getSubjectX500Principal().getName() + " does not name exactly one member (common name)");
    }
    return new Verdict(Optional.of(member.getPublicKey()), name.get(), "");
  }

  /** The single common name of a certificate's subject: the member it speaks for. */
  public static Optional<String> commonName(X509Certificate certificate) {
    try {
      List<String> names = new ArrayList<>();
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          names.add(String.valueOf(rdn.getValue()));
        }
      }
      return names.size() == 1 ? Optional.of(names.get(0)) : Optional.empty();
    } catch (InvalidNameException e) {
      return Optional.empty();
    }
  }

  private static X509Certificate parse(ByteString der) throws GeneralSecurityException {
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der.toByteArray()));
  }

  private static Verdict refused(String why) {
    return new Verdict(Optional.empty(), "", why);
  }
}
