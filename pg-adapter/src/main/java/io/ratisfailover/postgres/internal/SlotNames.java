package io.ratisfailover.postgres.internal;

import io.ratisfailover.MemberId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Replication slot names for members. Slot names allow only {@code [a-z0-9_]} and 63 characters,
 * member ids also allow {@code -}: the name escapes {@code _} as {@code __} and {@code -} as
 * {@code _d}, so two members never share a slot, behind a prefix that marks the slots the adapter
 * owns (it never touches other slots). Overlong names end in a hash.
 */
public final class SlotNames {
  public static final String PREFIX = "rf_";
  private static final int MAX = 63;

  private SlotNames() {}

  public static String of(MemberId member) {
    StringBuilder b = new StringBuilder(PREFIX);
    for (char c : member.value().toCharArray()) {
      if (c == '_') {
        b.append("__");
      } else if (c == '-') {
        b.append("_d");
      } else {
        b.append(c);
      }
    }
    if (b.length() <= MAX) {
      return b.toString();
    }
    String hash = sha256(member.value()).substring(0, 16);
    return b.substring(0, MAX - hash.length() - 2) + "_h" + hash;
  }

  /** Whether the adapter created a slot of this name. */
  public static boolean ours(String slot) {
    return slot.startsWith(PREFIX);
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
