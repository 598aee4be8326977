package io.ratisfailover.probe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;

/** JSON answers, errors as one line ({@code {"error": "..."}}), for both probe APIs. */
final class JsonAnswers {
  private final ObjectMapper mapper = new ObjectMapper();

  Answer json(int status, JsonNode body, String reason) {
    try {
      return new Answer(status, Answer.JSON, mapper.writeValueAsBytes(body), Map.of(), false, reason);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON", e);
    }
  }

  Answer error(int status, String message) {
    return json(status, Documents.error(message), message);
  }

  Answer notAllowed(ProbeRequest r, String allow) {
    return error(405, r.method() + " is not allowed on " + r.path() + "; use " + allow).withHeader("Allow", allow);
  }
}
