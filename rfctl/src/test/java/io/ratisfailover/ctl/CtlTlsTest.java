package io.ratisfailover.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rfctl against an HTTPS member API that trusts a throw-away CA and requires client certificates. */
class CtlTlsTest {
  @TempDir
  static Path dir;
  HttpsServer server;
  String url;
  final List<String> requests = new CopyOnWriteArrayList<>();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();
  PrintStream stderr;
  PrintStream stdout;

  @BeforeAll
  static void makeCertificates() throws Exception {
    Assumptions.assumeTrue(openssl("version"), "the openssl command is needed to make test certificates");
    String curve = "ec_paramgen_curve:prime256v1";
    Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1\n");
    assertThat(openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", curve, "-nodes", "-keyout", "ca.key", "-out",
        "ca.pem", "-days", "2", "-subj", "/CN=rfctl-test-ca")).isTrue();
    for (String who : new String[] {"server", "client"}) {
      assertThat(openssl("req", "-newkey", "ec", "-pkeyopt", curve, "-nodes", "-keyout", who + ".key", "-out",
          who + ".csr", "-subj", "/CN=" + who)).isTrue();
      assertThat(openssl("x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
          "-out", who + ".pem", "-days", "2", "-extfile", "server.ext")).isTrue();
    }
  }

  private static boolean openssl(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      return false;
    }
    try {
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } finally {
      p.destroyForcibly();
    }
  }

  @BeforeEach
  void start() throws IOException {
    SSLContext serverTls = new ClientTls(Optional.of(dir.resolve("ca.pem")), Optional.of(dir.resolve("server.pem")),
        Optional.of(dir.resolve("server.key"))).context();
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(serverTls) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters p = serverTls.getDefaultSSLParameters();
        p.setNeedClientAuth(true);
        params.setSSLParameters(p);
      }
    });
    server.createContext("/", exchange -> {
      requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
      byte[] reply = "{\"scope\": \"orders\", \"members\": []}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, reply.length);
      exchange.getResponseBody().write(reply);
      exchange.close();
    });
    server.start();
    url = "https://127.0.0.1:" + server.getAddress().getPort();
    stderr = System.err;
    stdout = System.out;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void stop() {
    System.setErr(stderr);
    System.setOut(stdout);
    server.stop(0);
  }

  @Test
  void withTheCaAndAClientCertificateRfctlSpeaksHttps() {
    assertThat(Ctl.run("--url", url, "--cacert", dir.resolve("ca.pem").toString(), "--cert",
        dir.resolve("client.pem").toString(), "--key", dir.resolve("client.key").toString(), "list"))
        .as(err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(requests).containsExactly("GET /cluster");
  }

  @Test
  void withoutTheCaOrTheCertificateItFailsInOneLine() {
    assertThat(Ctl.run("--url", url, "list")).isEqualTo(1);
    assertThat(Ctl.run("--url", url, "--cacert", dir.resolve("ca.pem").toString(), "list")).isEqualTo(1);
    assertThat(Ctl.run("--url", url, "--cacert", dir.resolve("ca.pem").toString(), "--cert",
        dir.resolve("client.pem").toString(), "list")).isEqualTo(1);
    String lines = err.toString(StandardCharsets.UTF_8);
    assertThat(lines.lines()).hasSize(3).allMatch(l -> l.startsWith("rfctl: "));
    assertThat(lines).contains("--cert and --key go together");
    assertThat(requests).isEmpty();
  }
}
