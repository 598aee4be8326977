package io.ratisfailover.internal.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM files of a {@code raft.tls} setting, for the transport and for command signing
 * alike; each problem is one line naming the file.
 */
public final class PemFiles {
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

  private PemFiles() {}

  public static List<X509Certificate> certificates(Path file, String what) {
    byte[] bytes = read(file, what);
    // The JDK would try a key as a certificate and report "signed fields invalid".
    if (!new String(bytes, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
      throw new IllegalArgumentException("raft TLS " + what + " file " + file + " holds no PEM certificate");
    }
    try {
      List<X509Certificate> certificates = new ArrayList<>();
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      factory.generateCertificates(new ByteArrayInputStream(bytes)).forEach(c -> certificates.add((X509Certificate) c));
      return certificates;
    } catch (CertificateException e) {
      throw new IllegalArgumentException("raft TLS " + what + " file " + file + " is not a PEM certificate: "
          + e.getMessage(), e);
    }
  }

  public static PrivateKey privateKey(Path file, X509Certificate leaf) {
    String text = new String(read(file, "key"), StandardCharsets.US_ASCII);
    Matcher m = PEM.matcher(text);
    if (!m.find()) {
      throw new IllegalArgumentException("raft TLS key file " + file + " holds no PEM block");
    }
    String label = m.group(1);
    if (!label.equals("PRIVATE KEY")) {
      throw new IllegalArgumentException("raft TLS key file " + file + " is '" + label
          + "', not an unencrypted PKCS#8 'PRIVATE KEY': convert it with openssl pkcs8 -topk8 -nocrypt -in "
          + file + " -out <new file>");
    }
    byte[] der = Base64.getMimeDecoder().decode(m.group(2));
    String algorithm = leaf.getPublicKey().getAlgorithm();
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("raft TLS key file " + file + " is not a PKCS#8 " + algorithm
          + " key, the certificate's key type: " + e.getMessage(), e);
    }
  }

  private static byte[] read(Path file, String what) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      String why = e instanceof NoSuchFileException ? "does not exist"
          : e instanceof AccessDeniedException ? "is not readable by this user" : "cannot be read: " + e.getMessage();
      throw new IllegalArgumentException("raft TLS " + what + " file " + file + " " + why, e);
    }
  }
}
