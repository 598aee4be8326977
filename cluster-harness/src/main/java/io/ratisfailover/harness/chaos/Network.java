package io.ratisfailover.harness.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The chaos cluster's network: one namespace per node (the observer that drives and watches,
 * HAProxy, each member), each with a veth into a bridge that lives in a namespace of its own, so
 * nothing of the host's network changes. Cutting a member off installs an nftables table in the
 * member's namespace that drops everything on its link except the observer's traffic: the member
 * and its PostgreSQL are gone for the cluster, HAProxy and clients, while the observer still sees
 * whether it believes it is primary and accepts writes. Losing packets is nftables too; slowing a
 * member's links takes a {@link LinkProxy} the member's peers are redirected through.
 */
public final class Network implements AutoCloseable {
  static final String SUBNET = "10.199.0.";
  static final String OBSERVER = "obs";
  static final String HAPROXY = "hap";
  /**
   * Every run's namespaces are named {@code rfchaos-<pid>-<node>} after the process that built them,
   * so that runs side by side (a benchmark beside the test suite) keep their own; each namespace is a
   * network of its own, so they may all use the same addresses.
   */
  private static final String FAMILY = "rfchaos-";
  /** Tells the child process that runs inside the observer's namespace which network it is in. */
  static final String PREFIX_PROPERTY = "chaos.network";

  private final String prefix;
  private final Map<String, String> addresses = new LinkedHashMap<>();

  private Network(String prefix) {
    this.prefix = prefix;
  }

  /**
   * A network named after this process. Addresses: the observer .2, HAProxy .3, then the members
   * from .10 in the order given.
   */
  public static Network create(List<String> members) throws IOException {
    removeLeftovers();
    Network n = new Network(FAMILY + ProcessHandle.current().pid());
    n.assign(members);
    try {
      n.build();
    } catch (IOException | RuntimeException e) {
      n.close();
      throw e;
    }
    return n;
  }

  /**
   * The network {@link #create} built with the same members, from inside one of its namespaces, in
   * a process started with {@link #childProperty}.
   */
  public static Network attach(List<String> members) {
    String prefix = System.getProperty(PREFIX_PROPERTY);
    if (prefix == null || !prefix.startsWith(FAMILY)) {
      throw new IllegalStateException("not started inside a chaos network: no -D" + PREFIX_PROPERTY);
    }
    Network n = new Network(prefix);
    n.assign(members);
    return n;
  }

  /** The JVM option that lets a child process inside this network {@link #attach} to it. */
  String childProperty() {
    return "-D" + PREFIX_PROPERTY + "=" + prefix;
  }

  /** What names this run's namespaces and cgroups apart from other runs'. */
  String prefix() {
    return prefix;
  }

  private void assign(List<String> members) {
    addresses.put(OBSERVER, SUBNET + 2);
    addresses.put(HAPROXY, SUBNET + 3);
    int host = 10;
    for (String m : members) {
      addresses.put(m, SUBNET + host++);
    }
  }

  private void build() throws IOException {
    String sw = namespace("sw");
    run("ip", "netns", "add", sw);
    run("ip", "-n", sw, "link", "add", "br0", "type", "bridge");
    run("ip", "-n", sw, "link", "set", "br0", "up");
    int i = 0;
    for (Map.Entry<String, String> node : addresses.entrySet()) {
      String ns = namespace(node.getKey());
      String port = "p" + i++;
      run("ip", "netns", "add", ns);
      run("ip", "-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns);
      run("ip", "-n", sw, "link", "set", port, "master", "br0", "up");
      run("ip", "-n", ns, "addr", "add", node.getValue() + "/24", "dev", "eth0");
      run("ip", "-n", ns, "link", "set", "eth0", "up");
      run("ip", "-n", ns, "link", "set", "lo", "up");
    }
  }

  public String address(String node) {
    String a = addresses.get(node);
    if (a == null) {
      throw new IllegalArgumentException("no node " + node + " in " + addresses.keySet());
    }
    return a;
  }

  /** The command prefix that runs a program in a node's network namespace (and nothing else changed). */
  public List<String> in(String node) {
    address(node);
    return List.of("nsenter", "--net=/run/netns/" + namespace(node));
  }

  /** Drops every packet on the member's link, except to and from the observer. */
  public void cut(String member) throws IOException {
    String rules = """
        table inet rfcut {
          chain in { type filter hook input priority 0; policy accept; iifname "eth0" ip saddr != %1$s drop; }
          chain out { type filter hook output priority 0; policy accept; oifname "eth0" ip daddr != %1$s drop; }
        }
        """.formatted(address(OBSERVER));
    nft(member, rules, "-f", "-");
  }

  public void heal(String member) throws IOException {
    nft(member, null, "delete", "table", "inet", "rfcut");
  }

  /**
   * Drops every packet arriving for the member's Raft {@code ports} (the service port and the link
   * proxy's, which nftables redirects the peers to) from anyone but the observer: connections into
   * the member's Raft server stop, while the member's own connections out (whose answers come from
   * the peers' ports) go on.
   */
  public void blockInbound(String member, int... ports) throws IOException {
    String list = String.join(", ", java.util.Arrays.stream(ports).mapToObj(Integer::toString).toList());
    String rules = """
        table inet rfblock {
          chain in { type filter hook input priority 0; policy accept; iifname "eth0" ip saddr != %s tcp dport { %s } drop; }
        }
        """.formatted(address(OBSERVER), list);
    nft(member, rules, "-f", "-");
  }

  public void unblockInbound(String member) throws IOException {
    nft(member, null, "delete", "table", "inet", "rfblock");
  }

  /** Drops {@code percent} of the packets arriving on the member's link at random, except the observer's. */
  public void lose(String member, int percent) throws IOException {
    String rules = """
        table inet rfloss {
          chain in { type filter hook input priority 0; policy accept; iifname "eth0" ip saddr != %s numgen random mod 100 < %d drop; }
        }
        """.formatted(address(OBSERVER), percent);
    nft(member, rules, "-f", "-");
  }

  public void stopLosing(String member) throws IOException {
    nft(member, null, "delete", "table", "inet", "rfloss");
  }

  /**
   * Redirects the connections other members open to the member's {@code ports} (keys) to a local
   * proxy listening on the mapped ports (values); the observer's and HAProxy's connections go direct.
   */
  public void throughProxy(String member, Map<Integer, Integer> ports) throws IOException {
    StringBuilder rules = new StringBuilder("table ip rflinks {\n  chain pre {\n"
        + "    type nat hook prerouting priority dstnat; policy accept;\n");
    ports.forEach((port, proxy) -> rules.append(String.format(Locale.ROOT,
        "    iifname \"eth0\" ip saddr != { %s, %s } tcp dport %d redirect to :%d;%n",
        address(OBSERVER), address(HAPROXY), port, proxy)));
    rules.append("  }\n}\n");
    nft(member, rules.toString(), "-f", "-");
  }

  /** Runs nft in the member's namespace, so its rules never touch the host's. */
  private void nft(String member, String stdin, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(in(member));
    cmd.add("nft");
    cmd.addAll(List.of(args));
    run(cmd, stdin);
  }

  @Override
  public void close() {
    for (String node : addresses.keySet()) {
      quietly("ip", "netns", "delete", namespace(node));
    }
    quietly("ip", "netns", "delete", namespace("sw"));
  }

  /** Deletes the namespaces of runs whose process is gone (killed before it could clean up). */
  private static void removeLeftovers() {
    Path netns = Path.of("/run/netns");
    if (!Files.isDirectory(netns)) {
      return;
    }
    try (var names = Files.list(netns)) {
      names.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(FAMILY) && !ownerAlive(n))
          .forEach(n -> quietly("ip", "netns", "delete", n));
    } catch (IOException e) {
      // nothing to clean
    }
  }

  /** Whether the process a namespace is named after still runs; a name of another form counts as gone. */
  private static boolean ownerAlive(String namespace) {
    String rest = namespace.substring(FAMILY.length());
    int dash = rest.indexOf('-');
    try {
      return dash > 0 && ProcessHandle.of(Long.parseLong(rest.substring(0, dash))).isPresent();
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private String namespace(String node) {
    return prefix + "-" + node;
  }

  private static void quietly(String... cmd) {
    try {
      run(List.of(cmd), null);
    } catch (IOException e) {
      // already gone
    }
  }

  static void run(String... cmd) throws IOException {
    run(List.of(cmd), null);
  }

  /** Runs a command to completion (10 s at most); a non-zero exit is an IOException with its output. */
  static void run(List<String> cmd, String stdin) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": no answer in 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + ": interrupted", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue() + (out.isEmpty() ? "" : ": " + out));
    }
  }
}
