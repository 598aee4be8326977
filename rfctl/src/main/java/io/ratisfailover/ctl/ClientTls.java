package io.ratisfailover.ctl;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * rfctl's HTTPS settings from PEM files, as curl takes them: {@code --cacert} for the members' CA
 * (the JDK's trust store when absent), {@code --cert} and {@code --key} for a client certificate
 * (the key unencrypted PKCS#8, {@code BEGIN PRIVATE KEY}).
 */
record ClientTls(Optional<Path> ca, Optional<Path> certificate, Optional<Path> key) {

  boolean configured() {
    return ca.isPresent() || certificate.isPresent();
  }

  /** @throws CtlException naming the file that cannot be used */
  SSLContext context() {
    if (certificate.isPresent() != key.isPresent()) {
      throw new CtlException("--cert and --key go together: give both or neither");
    }
    try {
      TrustManagerFactory tmf = null;
      if (ca.isPresent()) {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        int i = 0;
        for (Certificate c : certificates(ca.get())) {
          trust.setCertificateEntry("ca" + i++, c);
        }
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
      }
      KeyManagerFactory kmf = null;
      if (certificate.isPresent()) {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("client", privateKey(key.get()), new char[0],
            certificates(certificate.get()).toArray(new Certificate[0]));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new CtlException("cannot use the TLS files: " + e.getMessage());
    }
  }

  private static List<Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
    Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(read(pem)));
    if (all.isEmpty()) {
      throw new CtlException(pem + " holds no PEM certificate");
    }
    return List.copyOf(all);
  }

  private static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
    String text = new String(read(pem), StandardCharsets.US_ASCII);
    if (!text.contains("-----BEGIN PRIVATE KEY-----")) {
      throw new CtlException(pem + " is not an unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY); convert it with"
          + " openssl pkcs8 -topk8 -nocrypt");
    }
    String base64 = text.substring(text.indexOf("-----BEGIN PRIVATE KEY-----") + 27, text.indexOf("-----END PRIVATE KEY-----"))
        .replaceAll("\\s", "");
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64));
    for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        // not this algorithm: try the next
      }
    }
    throw new CtlException(pem + " holds neither an EC, an RSA nor an Ed25519 key");
  }

  private static byte[] read(Path file) throws IOException {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new CtlException("cannot read " + file + ": " + e.getMessage());
    }
  }
}
