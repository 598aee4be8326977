package io.ratisfailover;

import java.util.Map;
import java.util.TreeMap;

/**
 * Per-member tags with Patroni's meaning, plus free-form tags that routers can filter on
 * ({@code /replica?tag_dc=east}).
 *
 * @param noFailover never elect this member
 * @param noLoadBalance replica health checks answer 503 for this member
 * @param noSync never make this member a synchronous standby
 * @param failoverPriority among equally advanced candidates the higher one wins; 0 means never
 * @param custom free-form tags
 */
public record Tags(boolean noFailover, boolean noLoadBalance, boolean noSync, int failoverPriority,
    Map<String, String> custom) {
  public static final Tags DEFAULT = new Tags(false, false, false, 1, Map.of());

  public Tags {
    if (failoverPriority < 0) {
      throw new IllegalArgumentException("tags.failover_priority must not be negative: " + failoverPriority);
    }
    custom = Map.copyOf(new TreeMap<>(custom));
  }

  /** A member that may never become primary, by either tag. */
  public boolean excludedFromFailover() {
    return noFailover || failoverPriority == 0;
  }

  public Tags withNoFailover(boolean value) {
    return new Tags(value, noLoadBalance, noSync, failoverPriority, custom);
  }

  public Tags withNoSync(boolean value) {
    return new Tags(noFailover, noLoadBalance, value, failoverPriority, custom);
  }

  public Tags withFailoverPriority(int value) {
    return new Tags(noFailover, noLoadBalance, noSync, value, custom);
  }
}
