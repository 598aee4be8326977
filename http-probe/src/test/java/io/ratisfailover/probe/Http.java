package io.ratisfailover.probe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/** A real HTTP client (the JDK's) pointed at one probe, with short timeouts so a hang fails the test. */
final class Http {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private final HttpClient client;
  private final String base;
  private Optional<String> auth = Optional.empty();

  Http(String base) {
    this(base, HttpClient.newBuilder().connectTimeout(TIMEOUT).build());
  }

  Http(String base, SSLContext tls) {
    this(base, HttpClient.newBuilder().connectTimeout(TIMEOUT).sslContext(tls).build());
  }

  private Http(String base, HttpClient client) {
    this.base = base;
    this.client = client;
  }

  /** Sends these basic credentials from now on. */
  Http as(String user, String password) {
    auth = Optional.of("Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
        .getBytes(StandardCharsets.UTF_8)));
    return this;
  }

  Http withAuthorization(String header) {
    auth = Optional.of(header);
    return this;
  }

  HttpResponse<String> get(String path) {
    return send("GET", path, null);
  }

  /** Sends {@code body} (none when null); changes are sent as JSON, as the API requires. */
  HttpResponse<String> send(String method, String path, String body) {
    boolean change = body != null || method.equals("POST") || method.equals("PATCH") || method.equals("PUT");
    return send(method, path, body, change ? "application/json" : null);
  }

  /** Sends {@code body} with this {@code Content-Type}, or without the header when null. */
  HttpResponse<String> send(String method, String path, String body, String contentType) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    auth.ifPresent(a -> b.header("Authorization", a));
    try {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The status only, or -1 when the request fails (connection refused, reset). */
  int status(String method, String path) {
    try {
      return send(method, path, null).statusCode();
    } catch (UncheckedIOException e) {
      return -1;
    }
  }
}
