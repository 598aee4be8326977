package io.ratisfailover.probe;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One HTTP request as the API needs it, copied out of Netty's buffers so it can wait in a queue or
 * cross to an admin thread without reference counting.
 *
 * @param method the HTTP method, upper case
 * @param path the decoded path without query, a trailing slash removed ({@code /} stays)
 * @param query decoded query parameters
 * @param authorization the {@code Authorization} header, if any
 * @param contentType the {@code Content-Type} header, if any
 * @param clientCertificate over TLS, whether the client presented a certificate that verified;
 *     always false over plain HTTP
 * @param clientNames the verified client certificate's common name and subject alternative names;
 *     empty without one
 * @param body the request body, possibly empty
 * @param remote the client's address, for logs
 */
record ProbeRequest(String method, String path, Map<String, List<String>> query, Optional<String> authorization,
    Optional<String> contentType, boolean clientCertificate, Set<String> clientNames, byte[] body, String remote) {

  ProbeRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(authorization, "authorization");
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(remote, "remote");
    query = Map.copyOf(query);
    clientNames = Set.copyOf(clientNames);
  }

  /** HEAD and OPTIONS are answered with the status only, as Patroni does for HAProxy. */
  boolean statusOnly() {
    return method.equals("HEAD") || method.equals("OPTIONS");
  }

  boolean isRead() {
    return method.equals("GET") || statusOnly();
  }

  /** Whether the body is declared JSON ({@code application/json}, parameters such as a charset allowed). */
  boolean declaresJson() {
    return contentType.map(t -> {
      int semicolon = t.indexOf(';');
      return (semicolon < 0 ? t : t.substring(0, semicolon)).strip().equalsIgnoreCase("application/json");
    }).orElse(false);
  }

  @Override
  public String toString() {
    // Never the Authorization header, never the body (it may hold anything).
    return method + " " + path + (query.isEmpty() ? "" : " " + query.keySet()) + " from " + remote;
  }
}
