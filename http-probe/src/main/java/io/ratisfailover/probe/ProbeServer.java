package io.ratisfailover.probe;

import io.ratisfailover.ClusterMember;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.apache.ratis.thirdparty.io.netty.bootstrap.ServerBootstrap;
import org.apache.ratis.thirdparty.io.netty.channel.Channel;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelFuture;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelOption;
import org.apache.ratis.thirdparty.io.netty.channel.EventLoopGroup;
import org.apache.ratis.thirdparty.io.netty.channel.nio.NioEventLoopGroup;
import org.apache.ratis.thirdparty.io.netty.channel.socket.nio.NioServerSocketChannel;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.ClientAuth;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.OpenSsl;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslContext;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslContextBuilder;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslProvider;
import org.apache.ratis.thirdparty.io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP probe of one member: Patroni-compatible health checks, status, metrics and admin API.
 *
 * <pre>{@code
 * try (ProbeServer probe = ProbeServer.start(member, ProbeConfig.builder().host("10.0.0.1").port(8008)
 *     .auth("admin", secret).build())) {
 *   ...
 * }
 * }</pre>
 *
 * <p>Threads: one accepts connections, {@code io_threads} answer requests (health checks and
 * status straight from the member's in-memory views, never waiting on anything), and
 * {@code admin_threads} run admin requests, which wait for the cluster. None of them is the
 * member's agent thread, so no client, however slow or hostile, can delay the agent loop.
 */
public final class ProbeServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProbeServer.class);
  private static final long CLOSE_TIMEOUT_MILLIS = 5_000;

  /** Names the server in log lines: "member pg1", or "witness w1 clusters". */
  private final String name;
  /** The member a member probe answers for; empty on the clusters port. */
  private final Optional<ClusterMember> member;
  private final ProbeConfig config;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ThreadPoolExecutor admin;
  private final Channel channel;
  private final InetSocketAddress address;
  private final Optional<RouterPush> routerPush;
  private final OwnConnections own;
  private volatile Optional<SelfWarmUp> warmUp = Optional.empty();

  private ProbeServer(String name, Optional<ClusterMember> member, Listening l, Optional<RouterPush> routerPush) {
    this.name = name;
    this.member = member;
    this.routerPush = routerPush;
    this.own = l.own();
    this.config = l.config();
    this.boss = l.boss();
    this.workers = l.workers();
    this.admin = l.admin();
    this.channel = l.channel();
    this.address = (InetSocketAddress) channel.localAddress();
  }

  /** The threads and channel of a probe that listens, before it has a name. */
  private record Listening(ProbeConfig config, EventLoopGroup boss, EventLoopGroup workers, ThreadPoolExecutor admin,
      Channel channel, OwnConnections own) {}

  /** What answers on a probe port, given the admin executor and the open-connection count. */
  private interface EndpointFactory {
    Endpoint create(ThreadPoolExecutor admin, Supplier<Integer> openConnections);
  }

  /**
   * Listens on {@code config}'s address and answers for {@code member} until {@link #close()}.
   *
   * @throws ProbeStartException naming the address and the cause (port in use, address not local,
   *     TLS files unusable)
   */
  public static ProbeServer start(ClusterMember member, ProbeConfig config) {
    ProbeApi[] api = new ProbeApi[1];
    Listening l = listen("member " + member.id(), "ratis-failover-probe-" + member.id(), config, (admin, open) ->
        api[0] = new ProbeApi(member, config, admin, Clock.systemUTC(), System::nanoTime, open));
    Optional<RouterPush> push = config.haproxyPush().map(h -> new RouterPush(member, h,
        () -> api[0].observe().servingPrimary(), l.workers()));
    push.ifPresent(p -> {
      long tick = RouterPush.TICK.toNanos();
      l.workers().next().scheduleAtFixedRate(p::check, 0, tick, TimeUnit.NANOSECONDS);
    });
    ProbeServer server = new ProbeServer("member " + member.id(), Optional.of(member), l, push);
    log.info("member {} epoch {}: probe listening on {}://{}:{} (admin authentication {}, client certificates {})",
        member.id(), member.local().epoch(), config.scheme(), config.host(), server.port(),
        config.auth().isPresent() ? "on" : "off",
        config.tls().map(t -> t.clientAuth().name().toLowerCase(Locale.ROOT)).orElse("none"));
    if (config.warmUp()) {
      server.warmUp(SelfWarmUp.Budget.DEFAULT);
    }
    return server;
  }

  /**
   * Listens on {@code config}'s address for every cluster of {@code directory}: {@code GET /clusters},
   * each cluster's member API under {@code /cluster/{name}/} and {@code POST /clusters/reload}.
   *
   * @param name names this API in log lines, for example "witness w1"
   * @throws ProbeStartException as {@link #start}
   */
  public static ProbeServer startFleet(String name, ClusterDirectory directory, ProbeConfig config) {
    Listening l = listen(name, "ratis-failover-clusters", config, (admin, open) ->
        new FleetApi(directory, config, admin, Clock.systemUTC(), System::nanoTime, open));
    ProbeServer server = new ProbeServer(name, Optional.empty(), l, Optional.empty());
    log.info("{}: clusters API listening on {}://{}:{} (admin authentication {})", name, config.scheme(), config.host(),
        server.port(), config.auth().isPresent() || config.tls().isPresent() ? "on" : "off");
    return server;
  }

  private static Listening listen(String name, String threads, ProbeConfig config, EndpointFactory endpoint) {
    Optional<SslContext> tls = sslContext(config);
    ThreadPoolExecutor admin = new ThreadPoolExecutor(config.adminThreads(), config.adminThreads(), 30,
        TimeUnit.SECONDS, config.adminQueue() == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(config.adminQueue()),
        new DefaultThreadFactory(threads + "-admin", true), new ThreadPoolExecutor.AbortPolicy());
    admin.allowCoreThreadTimeOut(true);
    EventLoopGroup boss = new NioEventLoopGroup(1, new DefaultThreadFactory(threads + "-accept", true));
    EventLoopGroup workers = new NioEventLoopGroup(config.ioThreads(), new DefaultThreadFactory(threads + "-io", true));
    AtomicInteger open = new AtomicInteger();
    OwnConnections own = new OwnConnections();
    Endpoint api = endpoint.create(admin, open::get);
    ChannelFuture bound = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 256)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ProbeInitializer(api, config, tls, open, own))
        .bind(config.host(), config.port()).awaitUninterruptibly();
    if (!bound.isSuccess()) {
      shutdown(boss, workers, admin);
      throw new ProbeStartException(name + ": the probe cannot listen on " + config.host() + ":"
          + config.port() + ": " + bindProblem(bound.cause()), bound.cause());
    }
    return new Listening(config, boss, workers, admin, bound.channel(), own);
  }

  /** Starts a warm-up of this probe with {@code budget} in the background (see {@link ProbeConfig#warmUp()}). */
  SelfWarmUp warmUp(SelfWarmUp.Budget budget) {
    warmUp.ifPresent(SelfWarmUp::close);
    // The clusters port has no member of its own and is not warmed up.
    ClusterMember self = member.orElseThrow(() -> new IllegalStateException(name + ": only a member's probe warms up"));
    SelfWarmUp started = SelfWarmUp.start(self, config, address, own, budget, System::nanoTime);
    warmUp = Optional.of(started);
    return started;
  }

  /** The warm-up started last, if any. */
  Optional<SelfWarmUp> lastWarmUp() {
    return warmUp;
  }

  /** The address the probe listens on. */
  public InetSocketAddress address() {
    return address;
  }

  /** The port the probe listens on: the configured one, or the one picked for port 0. */
  public int port() {
    return address.getPort();
  }

  /** The probe's base URL, for example {@code http://127.0.0.1:8008}. */
  public String url() {
    String host = address.getAddress().getHostAddress();
    return config.scheme() + "://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port();
  }

  /** Stops listening, closes every connection and abandons admin requests in progress (they may still complete). */
  @Override
  public void close() {
    warmUp.ifPresent(SelfWarmUp::close);
    channel.close().awaitUninterruptibly(CLOSE_TIMEOUT_MILLIS);
    routerPush.ifPresent(RouterPush::close);
    shutdown(boss, workers, admin);
    log.info("{}: probe on port {} closed", name, port());
  }

  private static void shutdown(EventLoopGroup boss, EventLoopGroup workers, ThreadPoolExecutor admin) {
    admin.shutdownNow();
    boss.shutdownGracefully(0, CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    workers.shutdownGracefully(0, CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    boss.terminationFuture().awaitUninterruptibly(CLOSE_TIMEOUT_MILLIS);
    workers.terminationFuture().awaitUninterruptibly(CLOSE_TIMEOUT_MILLIS);
  }

  private static String bindProblem(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
        if (m.contains("in use")) {
          return "the port is already in use (another probe, or another program, listens there); choose another port";
        }
        if (m.contains("assign")) {
          return "the address is not one of this host's; listen on a local address";
        }
        return t.getMessage();
      }
    }
    return String.valueOf(cause);
  }

  /**
   * BoringSSL where its native library loads (Ratis's shaded tcnative ships it for Linux and macOS
   * on x86-64 and aarch64, and Windows on x86-64): with the JDK's engine, a check's p99 over HTTPS
   * was several times its p99 over plain HTTP. The JDK's engine elsewhere, and named in the log so
   * that an operator knows which one serves.
   */
  static SslProvider tlsEngine() {
    if (OpenSsl.isAvailable()) {
      log.info("probe TLS served by {}", OpenSsl.versionString());
      return SslProvider.OPENSSL;
    }
    log.info("probe TLS served by the JDK (BoringSSL unavailable here: {})", String.valueOf(OpenSsl.unavailabilityCause()));
    return SslProvider.JDK;
  }

  private static Optional<SslContext> sslContext(ProbeConfig config) {
    if (config.tls().isEmpty()) {
      return Optional.empty();
    }
    ProbeConfig.Tls tls = config.tls().get();
    try {
      SslContextBuilder b = SslContextBuilder.forServer(tls.certificateChain().toFile(), tls.privateKey().toFile(),
          tls.keyPassword().orElse(null)).sslProvider(tlsEngine());
      tls.clientCa().ifPresent(ca -> b.trustManager(ca.toFile()));
      b.clientAuth(switch (tls.clientAuth()) {
        case NONE -> ClientAuth.NONE;
        // Asked for on every connection, verified when given; the API then requires it for admin requests.
        case OPTIONAL -> ClientAuth.OPTIONAL;
        case REQUIRE -> ClientAuth.REQUIRE;
      });
      return Optional.of(b.build());
    } catch (SSLException | IllegalArgumentException e) {
      throw new ProbeStartException("the probe cannot use its TLS files (" + tls + "): " + e.getMessage(), e);
    }
  }
}
