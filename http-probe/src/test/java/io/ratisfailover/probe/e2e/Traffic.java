package io.ratisfailover.probe.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What runs during an end-to-end failover: a writer that connects through HAProxy every 50 ms and
 * asks for one write, and a sampler that reads HAProxy's server states every 100 ms. Both record
 * with {@link System#nanoTime()}; both stop on {@link #close()}.
 */
final class Traffic implements AutoCloseable {
  /** One write attempt: which member took it, or why it failed. */
  record Write(long at, Optional<String> member, String outcome) {}

  /** One reading of HAProxy's states for the backend. */
  record Sample(long at, Map<String, String> states) {
    long up() {
      return states.values().stream().filter(s -> s.startsWith("UP")).count();
    }

    boolean isUp(String server) {
      return states.getOrDefault(server, "").startsWith("UP");
    }
  }

  private final ScheduledExecutorService threads = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "e2e-traffic");
    t.setDaemon(true);
    return t;
  });
  final List<Write> writes = new CopyOnWriteArrayList<>();
  final List<Sample> samples = new CopyOnWriteArrayList<>();

  Traffic(Haproxy haproxy, String proxy, int frontPort) {
    threads.scheduleWithFixedDelay(() -> writes.add(write(frontPort)), 0, 50, TimeUnit.MILLISECONDS);
    threads.scheduleAtFixedRate(() -> haproxy.serverStates(proxy)
        .ifPresent(states -> samples.add(new Sample(System.nanoTime(), states))), 0, 100, TimeUnit.MILLISECONDS);
  }

  static Write write(int port) {
    long at = System.nanoTime();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      s.setSoTimeout(1_000);
      s.getOutputStream().write("WRITE\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
      if (line != null && line.startsWith("OK ")) {
        return new Write(at, Optional.of(line.substring(3)), line);
      }
      return new Write(at, Optional.empty(), line == null ? "closed without an answer" : line);
    } catch (IOException e) {
      return new Write(at, Optional.empty(), e.toString());
    }
  }

  Optional<Write> firstWriteOn(String member, long after) {
    return writes.stream().filter(w -> w.at() >= after && w.member().filter(member::equals).isPresent()).findFirst();
  }

  Optional<Sample> firstSampleWithUp(String server, long after) {
    return samples.stream().filter(s -> s.at() >= after && s.isUp(server)).findFirst();
  }

  List<Sample> samplesWithTwoUp() {
    return samples.stream().filter(s -> s.up() > 1).toList();
  }

  @Override
  public void close() {
    threads.shutdownNow();
    try {
      threads.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
