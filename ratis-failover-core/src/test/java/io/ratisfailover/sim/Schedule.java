package io.ratisfailover.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A complete, reproducible simulation input: the seed for message latencies and timers, each
 * member's clock rate, and the faults. {@link #toString()} and {@link #parse} round-trip, so a
 * failing schedule printed by a property can be replayed exactly.
 *
 * @param seed seeds every random choice the simulation makes besides the faults
 * @param clockRates one per member, each within the drift the run allows
 * @param synchronous whether the cluster runs with {@code synchronous_mode: on}, where every
 *     acknowledged commit must survive every failover (S4)
 * @param watchdog whether each host has a watchdog that fences its database when the agent stops
 *     keeping it alive ({@link SimWatchdog}); without one, a dead or frozen agent's database stays
 *     writable for as long as the agent is gone
 */
public record Schedule(long seed, List<Double> clockRates, List<Fault> faults, boolean synchronous, boolean watchdog) {
  public Schedule {
    clockRates = List.copyOf(clockRates);
    List<Fault> sorted = new ArrayList<>(faults);
    sorted.sort(null);
    faults = List.copyOf(sorted);
  }

  /** An asynchronous cluster on hosts with a watchdog. */
  public Schedule(long seed, List<Double> clockRates, List<Fault> faults) {
    this(seed, clockRates, faults, false, true);
  }

  /** When the last fault is over. */
  public long healedAtMillis(long notBefore) {
    long end = notBefore;
    for (Fault f : faults) {
      end = Math.max(end, f.endMillis());
    }
    return end;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("seed=").append(seed).append(" rates=");
    for (int i = 0; i < clockRates.size(); i++) {
      b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.5f", clockRates.get(i)));
    }
    b.append(" sync=").append(synchronous ? "on" : "off");
    b.append(" watchdog=").append(watchdog ? "on" : "off");
    b.append(" faults=");
    for (int i = 0; i < faults.size(); i++) {
      b.append(i == 0 ? "" : ";").append(faults.get(i));
    }
    return b.toString();
  }

  private static final Pattern FORMAT = Pattern.compile("seed=(-?\\d+) rates=([0-9.,]+)(?: sync=(on|off))?(?: watchdog=(on|off))? faults=(.*)");
  private static final Pattern FAULT = Pattern.compile("([a-z]+)\\(([^)]*)\\)");

  /** Reads back what {@link #toString()} printed. */
  public static Schedule parse(String text) {
    Matcher m = FORMAT.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a schedule: " + text);
    }
    List<Double> rates = Arrays.stream(m.group(2).split(",")).map(Double::parseDouble).toList();
    List<Fault> faults = new ArrayList<>();
    Matcher f = FAULT.matcher(m.group(5));
    while (f.find()) {
      String[] a = f.group(2).split(",");
      faults.add(switch (f.group(1)) {
        case "crash" -> new Fault.Crash(i(a[0]), l(a[1]), l(a[2]));
        case "agentcrash" -> new Fault.AgentCrash(i(a[0]), l(a[1]), l(a[2]), l(a[3]));
        case "slowlink" -> new Fault.SlowLink(i(a[0]), i(a[1]), l(a[2]), l(a[3]), i(a[4]));
        case "slowin" -> new Fault.SlowInbound(i(a[0]), l(a[1]), l(a[2]), i(a[3]));
        case "slowreplies" -> new Fault.SlowReplies(l(a[0]), l(a[1]), i(a[2]));
        case "noappends" -> new Fault.AppendsBlocked(i(a[0]), l(a[1]), l(a[2]));
        case "snapshot" -> new Fault.SnapshotInstall(i(a[0]), l(a[1]));
        case "wipe" -> new Fault.StorageLoss(i(a[0]), l(a[1]), l(a[2]));
        case "deaf" -> new Fault.Deaf(i(a[0]), l(a[1]), l(a[2]));
        case "dbcrash" -> new Fault.DatabaseCrash(i(a[0]), l(a[1]));
        case "dbhang" -> new Fault.DatabaseHang(i(a[0]), l(a[1]), l(a[2]));
        case "pause" -> new Fault.Pause(i(a[0]), l(a[1]), l(a[2]));
        case "partition" -> new Fault.Partition(side(a[0]), l(a[1]), l(a[2]));
        case "oneway" -> new Fault.OneWay(i(a[0]), i(a[1]), l(a[2]), l(a[3]));
        case "flap" -> new Fault.Flap(i(a[0]), l(a[1]), l(a[2]), i(a[3]));
        case "delay" -> new Fault.Delay(l(a[0]), l(a[1]), i(a[2]), i(a[3]));
        case "loss" -> new Fault.Loss(l(a[0]), l(a[1]), Double.parseDouble(a[2]));
        case "duplicate" -> new Fault.Duplicate(l(a[0]), l(a[1]), Double.parseDouble(a[2]));
        case "leaderchange" -> new Fault.LeaderChange(l(a[0]));
        case "switchover" -> new Fault.Switchover(i(a[0]), l(a[1]));
        default -> throw new IllegalArgumentException("unknown fault " + f.group(1));
      });
    }
    return new Schedule(Long.parseLong(m.group(1)), rates, faults, "on".equals(m.group(3)), !"off".equals(m.group(4)));
  }

  private static Set<Integer> side(String s) {
    Set<Integer> side = new HashSet<>();
    for (String n : s.split("\\+")) {
      side.add(i(n));
    }
    return side;
  }

  private static int i(String s) {
    return Integer.parseInt(s.trim());
  }

  private static long l(String s) {
    return Long.parseLong(s.trim());
  }
}
