package io.ratisfailover;

import java.util.regex.Pattern;

/**
 * The name of a cluster member. It doubles as the Raft peer id, the PostgreSQL
 * {@code application_name} of a standby and the base of its replication slot name, so it is
 * restricted to characters all three accept.
 */
public record MemberId(String value) implements Comparable<MemberId> {
  private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  public MemberId {
    if (value == null || !VALID.matcher(value).matches()) {
      throw new IllegalArgumentException("member id '" + value
          + "' is invalid: use 1 to 63 lowercase letters, digits, '-' or '_', starting with a letter or digit");
    }
  }

  public static MemberId of(String value) {
    return new MemberId(value);
  }

  @Override
  public int compareTo(MemberId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
