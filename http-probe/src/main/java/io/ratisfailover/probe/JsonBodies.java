package io.ratisfailover.probe;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ratisfailover.MemberId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * JSON in and out of the API: request bodies read strictly (duplicate keys and unknown keys
 * refused, each as a 400 naming it) and answers written with a JSON body, for a member's API and
 * for the clusters port ({@link FleetApi}).
 */
final class JsonBodies {
  private final JsonFactory factory = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  Answer json(int status, JsonNode body, String reason) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = factory.createGenerator(out)) {
      JsonTrees.write(body, g);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write JSON", e);
    }
    return new Answer(status, Answer.JSON, out.toByteArray(), Map.of(), false, reason);
  }

  Answer error(int status, String message) {
    return json(status, Documents.error(message), message);
  }

  Answer notAllowed(ProbeRequest r, String allow) {
    return error(405, r.method() + " is not allowed on " + r.path() + "; use " + allow).withHeader("Allow", allow);
  }

  JsonNode readJson(ProbeRequest r) throws BadRequest {
    if (r.body().length == 0) {
      throw new BadRequest(error(400, "a JSON body is required"));
    }
    try (JsonParser p = factory.createParser(r.body())) {
      return JsonTrees.read(p);
    } catch (JsonProcessingException e) {
      throw new BadRequest(error(400, "the body is not valid JSON: " + e.getOriginalMessage()));
    } catch (IOException e) {
      throw new BadRequest(error(400, "the body could not be read: " + e.getMessage()));
    }
  }

  /** The body as a JSON object with only {@code allowed} keys; empty is fine when {@code optional}. */
  ObjectNode jsonObject(ProbeRequest r, boolean optional, Set<String> allowed) throws BadRequest {
    if (r.body().length == 0 && optional) {
      return JsonNodeFactory.instance.objectNode();
    }
    JsonNode node = readJson(r);
    if (!node.isObject()) {
      throw new BadRequest(error(400, "the body must be a JSON object"));
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw new BadRequest(error(400, "unknown key '" + name + "'" + (allowed.isEmpty() ? "; this request takes none"
            : "; expected " + String.join(", ", allowed.stream().sorted().toList()))));
      }
    }
    return (ObjectNode) node;
  }

  static Optional<String> text(ObjectNode body, String key) {
    JsonNode v = body.get(key);
    return v == null || v.isNull() || (v.isTextual() && v.asText().isEmpty()) ? Optional.empty() : Optional.of(v.asText());
  }

  Optional<MemberId> memberName(ObjectNode body, String key) throws BadRequest {
    JsonNode v = body.get(key);
    if (v == null || v.isNull() || (v.isTextual() && v.asText().isEmpty())) {
      return Optional.empty();
    }
    if (!v.isTextual()) {
      throw new BadRequest(error(400, key + " must be a member name (a string), got " + JsonTrees.text(v)));
    }
    try {
      return Optional.of(MemberId.of(v.asText()));
    } catch (IllegalArgumentException e) {
      throw new BadRequest(error(400, key + ": " + e.getMessage()));
    }
  }
}
