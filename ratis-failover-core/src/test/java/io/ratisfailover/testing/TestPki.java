package io.ratisfailover.testing;

import io.ratisfailover.RaftTls;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority for a test or demo cluster: {@link #create} writes the CA
 * (P-256) under a directory, and {@link #issue} a member certificate whose common name is the member
 * id, valid for TLS server and client use on 127.0.0.1 and localhost. Files are PEM, keys PKCS#8,
 * key files mode 0600 where the file system supports it. {@link #createWithIntermediate} issues
 * through an intermediate CA instead, as many organisations' PKIs do.
 */
public final class TestPki {
  private static final Duration VALIDITY = Duration.ofDays(7);
  private final Path dir;
  private final KeyPair issuerKeys;
  private final X509Certificate issuer;
  /** What a member's certificate file holds after its own certificate: the intermediate, if any. */
  private final List<X509Certificate> chainAboveMember;
  private final AtomicLong serial = new AtomicLong(2);

  private TestPki(Path dir, KeyPair issuerKeys, X509Certificate issuer, List<X509Certificate> chainAboveMember) {
    this.dir = dir;
    this.issuerKeys = issuerKeys;
    this.issuer = issuer;
    this.chainAboveMember = List.copyOf(chainAboveMember);
  }

  /** A new CA named {@code name}, written to {@code dir/ca.pem} (the key stays in memory). */
  public static TestPki create(Path dir, String name) {
    try {
      KeyPair keys = newKeys();
      return new TestPki(dir, keys, root(dir, name, keys, 0), List.of());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create a test CA", e);
    }
  }

  /**
   * A root CA named {@code rootName}, written alone to {@code dir/ca.pem}, and under it an
   * intermediate CA named {@code intermediateName} (both keys stay in memory) that issues the
   * member certificates: each member's certificate file holds its certificate, then the
   * intermediate's, so that peers who trust only the root can build the chain.
   */
  public static TestPki createWithIntermediate(Path dir, String rootName, String intermediateName) {
    try {
      KeyPair rootKeys = newKeys();
      X509Certificate root = root(dir, rootName, rootKeys, 1);
      KeyPair keys = newKeys();
      X509v3CertificateBuilder b = builder(X500Name.getInstance(root.getSubjectX500Principal().getEncoded()),
          BigInteger.TWO, new X500Name("CN=" + intermediateName), keys);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      X509Certificate intermediate = sign(b, rootKeys);
      return new TestPki(dir, keys, intermediate, List.of(intermediate));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create a test CA with an intermediate", e);
    }
  }

  /** A self-signed CA allowing {@code pathLength} intermediates below it, written to {@code dir/ca.pem}. */
  private static X509Certificate root(Path dir, String name, KeyPair keys, int pathLength)
      throws IOException, GeneralSecurityException, OperatorCreationException {
    Files.createDirectories(dir);
    X500Name subject = new X500Name("CN=" + name);
    X509v3CertificateBuilder b = builder(subject, BigInteger.ONE, subject, keys);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLength));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    X509Certificate ca = sign(b, keys);
    writePem(dir.resolve("ca.pem"), ca);
    return ca;
  }

  public Path caFile() {
    return dir.resolve("ca.pem");
  }

  /** A certificate for {@code member} signed by this CA: {@code dir/<member>.pem} and {@code .key}. */
  public RaftTls issue(String member) {
    return issue(member, "127.0.0.1", "localhost");
  }

  /**
   * Like {@link #issue(String)}, valid only for {@code hosts}: IP addresses or DNS names, the
   * subject alternative names a peer dialling this member checks.
   */
  public RaftTls issue(String member, String... hosts) {
    GeneralName[] names = new GeneralName[hosts.length];
    for (int i = 0; i < hosts.length; i++) {
      boolean ip = hosts[i].matches("[0-9.]+") || hosts[i].contains(":");
      names[i] = new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, hosts[i]);
    }
    try {
      KeyPair keys = newKeys();
      X509v3CertificateBuilder b = builder(X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
          BigInteger.valueOf(serial.getAndIncrement()), new X500Name("CN=" + member), keys);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      X509Certificate certificate = sign(b, issuerKeys);
      Path cert = dir.resolve(member + ".pem");
      Path key = dir.resolve(member + ".key");
      List<Object> chain = new ArrayList<>();
      chain.add(certificate);
      chain.addAll(chainAboveMember);
      writePem(cert, chain.toArray());
      writePem(key, new JcaPKCS8Generator(keys.getPrivate(), null).generate());
      key.toFile().setReadable(false, false);
      key.toFile().setReadable(true, true);
      return new RaftTls(cert, key, caFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot issue a test certificate for " + member, e);
    }
  }

  private static KeyPair newKeys() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    return g.generateKeyPair();
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, BigInteger serial, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, serial, Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(VALIDITY)), subject, keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuerKeys)
      throws GeneralSecurityException, OperatorCreationException {
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
  }

  private static void writePem(Path file, Object... values) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(text)) {
      for (Object value : values) {
        w.writeObject(value);
      }
    }
    Files.writeString(file, text.toString());
  }
}
