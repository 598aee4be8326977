package io.ratisfailover.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * Talks to the members' HTTP API: tries each configured URL in turn until one answers, and turns
 * refusals into {@link CtlException}s that say what happened, in the member's own words.
 */
final class ApiClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<String> urls;
  private final Optional<String> authorization;
  private final HttpClient http;
  private final Duration timeout;

  /** @param tls for {@code https://} URLs: the CA to trust and the client certificate; the JDK's defaults when empty */
  ApiClient(List<String> urls, Optional<String> username, Optional<String> password, Duration timeout,
      Optional<SSLContext> tls) {
    this.urls = List.copyOf(urls);
    this.authorization = username.map(u -> "Basic " + Base64.getEncoder()
        .encodeToString((u + ":" + password.orElse("")).getBytes(StandardCharsets.UTF_8)));
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout);
    tls.ifPresent(builder::sslContext);
    this.http = builder.build();
    this.timeout = timeout;
  }

  /** A successful answer: its status and JSON body (empty object when the body is not JSON). */
  record Answer(String url, int status, JsonNode body) {}

  Answer get(String path) {
    return call("GET", path, null, null);
  }

  Answer send(String method, String path, Object body) {
    return call(method, path, body, null);
  }

  /** Sends to a specific member's API (restart, reinitialize act on the member they are sent to). */
  Answer sendTo(String baseUrl, String method, String path, Object body) {
    return call(method, path, body, baseUrl);
  }

  private Answer call(String method, String path, Object body, String only) {
    List<String> tried = new ArrayList<>();
    for (String base : only != null ? List.of(only) : urls) {
      String url = base.replaceAll("/+$", "") + path;
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
      authorization.ifPresent(a -> request.header("Authorization", a));
      try {
        if (!method.equals("GET")) {
          // The API refuses changes not declared JSON (a guard against cross-site form posts).
          request.header("Content-Type", "application/json");
        }
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = parse(response.body());
        if (response.statusCode() == 401) {
          throw new CtlException("wrong or missing credentials for " + base + " (HTTP 401); use --username and"
              + " --password or RFCTL_PASSWORD");
        }
        if (response.statusCode() == 403) {
          throw new CtlException(base + " refused the client certificate (HTTP 403): " + reason(json, response.body())
              + "; use --cert and --key");
        }
        if (response.statusCode() >= 400 && !path.startsWith("/primary")) {
          throw new CtlException(method + " " + path + " refused by " + base + " (HTTP " + response.statusCode() + "): "
              + reason(json, response.body()));
        }
        return new Answer(base, response.statusCode(), json);
      } catch (IOException e) {
        tried.add(base + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CtlException("interrupted");
      } catch (IllegalArgumentException e) {
        throw new CtlException("'" + base + "' is not a URL such as http://10.0.0.1:8008");
      }
    }
    throw new CtlException("no member answered: " + String.join("; ", tried));
  }

  private static JsonNode parse(String body) {
    try {
      return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
    } catch (IOException e) {
      return JSON.createObjectNode().put("message", body);
    }
  }

  private static String reason(JsonNode json, String raw) {
    for (String key : List.of("error", "message", "reason")) {
      if (json.hasNonNull(key)) {
        return json.get(key).asText();
      }
    }
    return raw == null || raw.isBlank() ? "no reason given" : raw.strip();
  }
}
