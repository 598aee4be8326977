package io.ratisfailover.probe;

import java.util.Map;
import java.util.Objects;

/**
 * What to send back: a status, and for requests that get one a body with its content type.
 *
 * @param headers extra response headers (for example {@code Allow}, {@code WWW-Authenticate})
 * @param close close the connection after this answer (the request may have left the stream in
 *     an unknown state)
 * @param reason why, in words, for debug logs; not sent
 */
record Answer(int status, String contentType, byte[] body, Map<String, String> headers, boolean close, String reason) {
  static final String JSON = "application/json";

  Answer {
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(reason, "reason");
    headers = Map.copyOf(headers);
  }

  static Answer statusOnly(int status, String reason) {
    return new Answer(status, "", new byte[0], Map.of(), false, reason);
  }

  Answer withHeader(String name, String value) {
    Map<String, String> h = new java.util.LinkedHashMap<>(headers);
    h.put(name, value);
    return new Answer(status, contentType, body, h, close, reason);
  }

  Answer closing() {
    return new Answer(status, contentType, body, headers, true, reason);
  }

  /** The same status and headers without a body, for HEAD and OPTIONS. */
  Answer withoutBody() {
    return new Answer(status, "", new byte[0], headers, close, reason);
  }
}
