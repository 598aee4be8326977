package io.ratisfailover.spi;

import io.ratisfailover.MemberId;
import java.util.Map;
import java.util.Objects;

/**
 * The member a standby should follow, with the attributes its adapter published
 * (see {@link DatabaseAdapter#attributes()}), for example its host and port.
 */
public record Upstream(MemberId member, Map<String, String> attributes) {
  public Upstream {
    Objects.requireNonNull(member, "member");
    attributes = Map.copyOf(attributes);
  }
}
