package io.ratisfailover.probe;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away certificate authority with a server certificate for 127.0.0.1 and a client
 * certificate (CN operator, DNS name ops.example.com), made with the {@code openssl} command (each run stopped by its PID if it hangs).
 * Public for the probe benchmark's HTTPS runs.
 */
public final class Certificates {
  private static final Duration OPENSSL_TIMEOUT = Duration.ofSeconds(30);
  public final Path ca;
  public final Path serverCert;
  public final Path serverKey;
  final Path clientCert;
  final Path clientKey;

  private Certificates(Path dir) {
    ca = dir.resolve("ca.pem");
    serverCert = dir.resolve("server.pem");
    serverKey = dir.resolve("server.key");
    clientCert = dir.resolve("client.pem");
    clientKey = dir.resolve("client.key");
  }

  public static boolean opensslAvailable() {
    try {
      return run(Path.of("."), List.of("openssl", "version")) == 0;
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  public static Certificates create(Path dir) {
    Certificates c = new Certificates(dir);
    String curve = "ec_paramgen_curve:prime256v1";
    openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", curve, "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=probe-test-ca");
    write(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl(dir, "req", "-newkey", "ec", "-pkeyopt", curve, "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1");
    openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
    openssl(dir, "req", "-newkey", "ec", "-pkeyopt", curve, "-nodes", "-keyout", "client.key", "-out", "client.csr",
        "-subj", "/CN=operator");
    write(dir.resolve("client.ext"), "subjectAltName=DNS:ops.example.com\n");
    openssl(dir, "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "client.pem", "-days", "2", "-extfile", "client.ext");
    return c;
  }

  /** A client that trusts the test CA and, with {@code withClientCertificate}, presents the client certificate. */
  public SSLContext clientContext(boolean withClientCertificate) {
    return clientContext(withClientCertificate, ca);
  }

  /** Like {@link #clientContext(boolean)}, trusting the CA in {@code serverCa} (of another {@code Certificates}). */
  SSLContext clientContext(boolean withClientCertificate, Path serverCa) {
    try {
      CertificateFactory x509 = CertificateFactory.getInstance("X.509");
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", x509.generateCertificate(new ByteArrayInputStream(Files.readAllBytes(serverCa))));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      KeyManagerFactory kmf = null;
      if (withClientCertificate) {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        Certificate cert = x509.generateCertificate(new ByteArrayInputStream(Files.readAllBytes(clientCert)));
        keys.setKeyEntry("client", pkcs8(clientKey), new char[0], new Certificate[] {cert});
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static PrivateKey pkcs8(Path pem) throws IOException, GeneralSecurityException {
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }

  private static void openssl(Path dir, String... args) {
    List<String> command = new ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args));
    int exit = run(dir, command);
    if (exit != 0) {
      throw new IllegalStateException("openssl " + String.join(" ", args) + " exited with " + exit);
    }
  }

  private static int run(Path dir, List<String> command) {
    Process p = null;
    try {
      p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(OPENSSL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(command + " did not finish within " + OPENSSL_TIMEOUT);
      }
      return p.exitValue();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
      }
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
