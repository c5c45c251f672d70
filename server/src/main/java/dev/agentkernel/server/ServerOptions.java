package dev.agentkernel.server;

import dev.agentkernel.core.config.AgentKernelConfig;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the HTTP server listens and defends itself.
 *
 * @param host              address to bind (loopback by default)
 * @param port              port to bind; 0 picks a free one (see {@link AgentKernelServer#port()})
 * @param apiKey            the key every request must carry, or null for none; never logged
 * @param allowedHosts      extra Host header names accepted besides the loopback names
 * @param corsOrigins       origins allowed to call from a browser; empty sends no CORS headers
 * @param maxBodyBytes      request bodies above this are refused with 413
 * @param idleTimeout       a connection with no request in progress, or a request whose body does not arrive,
 *                          is closed after this (slowloris)
 * @param shutdownGrace     how long a graceful close lets running requests finish
 * @param heartbeatInterval a {@code : ping} comment is sent on a stream idle for this long
 * @param workerThreads     threads for short blocking calls into the kernel (commands get threads of their own)
 * @param maxInFlight       blocking calls accepted at once, commands included (running or waiting for admission);
 *                          more are refused with 429
 * @param streamBufferBytes bytes of events an event-stream client may leave unread; beyond them it is dropped
 *                          (and its command cancelled): a slow reader costs this buffer, never a worker
 * @param streamStallTimeout an event-stream client that takes none of its unread events for this long is dropped
 * @param blockedLoopWarning an event loop busy with one task for longer than this is reported in the log (Vert.x's
 *                          blocked-thread warning, with the stack); it is a bug whenever it appears. Tests lower it
 *                          and fail on the warning.
 * @param insecureNoAuth    the operator's explicit consent to listen beyond loopback without an API key
 *                          ({@link ApiWall}); without it such options are refused at start
 */
public record ServerOptions(String host, int port, String apiKey, List<String> allowedHosts, List<String> corsOrigins,
                            long maxBodyBytes, Duration idleTimeout, Duration shutdownGrace,
                            Duration heartbeatInterval, int workerThreads, int maxInFlight,
                            long streamBufferBytes, Duration streamStallTimeout, Duration blockedLoopWarning,
                            boolean insecureNoAuth) {
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);
    public static final long DEFAULT_STREAM_BUFFER_BYTES = 1024 * 1024;
    public static final Duration DEFAULT_STREAM_STALL_TIMEOUT = Duration.ofSeconds(30);
    /** Vert.x's own default. */
    public static final Duration DEFAULT_BLOCKED_LOOP_WARNING = Duration.ofSeconds(2);
    /** The environment variable holding the API key. */
    public static final String API_KEY_ENV = "AGENTKERNEL_API_KEY";

    public ServerOptions {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535");
        }
        apiKey = apiKey == null || apiKey.isEmpty() ? null : apiKey;
        allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
        corsOrigins = corsOrigins == null ? List.of() : List.copyOf(corsOrigins);
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes must be positive");
        }
        idleTimeout = requirePositive(idleTimeout, "idleTimeout");
        shutdownGrace = Objects.requireNonNullElse(shutdownGrace, Duration.ZERO);
        heartbeatInterval = requirePositive(Objects.requireNonNullElse(heartbeatInterval, DEFAULT_HEARTBEAT),
                "heartbeatInterval");
        if (workerThreads <= 0 || maxInFlight <= 0) {
            throw new IllegalArgumentException("workerThreads and maxInFlight must be positive");
        }
        if (streamBufferBytes <= 0) {
            throw new IllegalArgumentException("streamBufferBytes must be positive");
        }
        streamStallTimeout = requirePositive(Objects.requireNonNullElse(streamStallTimeout, DEFAULT_STREAM_STALL_TIMEOUT),
                "streamStallTimeout");
        blockedLoopWarning = requirePositive(Objects.requireNonNullElse(blockedLoopWarning, DEFAULT_BLOCKED_LOOP_WARNING),
                "blockedLoopWarning");
    }

    /** Threads of short calls; they end when idle. */
    static final int SHORT_CALL_THREADS = 16;
    /** Short calls accepted at once beyond the commands. */
    static final int SHORT_CALLS_IN_FLIGHT = 256;

    /**
     * Options from the configuration: the {@code [server]} section, sized for {@code [limits]}: every command the
     * kernel runs or queues ({@code max_concurrent_runs + max_queued_runs}) is accepted, plus short calls, so a burst
     * is refused by the admission queue's rules alone.
     */
    public static ServerOptions from(AgentKernelConfig config, String apiKey) {
        AgentKernelConfig.Server s = config.server();
        int commands = Math.max(1, config.limits().maxConcurrentRuns()) + config.limits().maxQueuedRuns();
        return new ServerOptions(s.host(), s.port(), apiKey, s.allowedHosts(), s.corsOrigins(), s.maxBodyBytes(),
                s.idleTimeout(), s.shutdownGrace(), DEFAULT_HEARTBEAT, SHORT_CALL_THREADS,
                commands + SHORT_CALLS_IN_FLIGHT, DEFAULT_STREAM_BUFFER_BYTES, DEFAULT_STREAM_STALL_TIMEOUT,
                DEFAULT_BLOCKED_LOOP_WARNING, false);
    }

    /** Options from the configuration with the API key from {@value #API_KEY_ENV}. */
    public static ServerOptions fromEnvironment(AgentKernelConfig config) {
        return from(config, System.getenv(API_KEY_ENV));
    }

    public ServerOptions withHost(String newHost) {
        return new ServerOptions(newHost, port, apiKey, allowedHosts, corsOrigins, maxBodyBytes, idleTimeout,
                shutdownGrace, heartbeatInterval, workerThreads, maxInFlight, streamBufferBytes, streamStallTimeout, blockedLoopWarning,
                insecureNoAuth);
    }

    public ServerOptions withPort(int newPort) {
        return new ServerOptions(host, newPort, apiKey, allowedHosts, corsOrigins, maxBodyBytes, idleTimeout,
                shutdownGrace, heartbeatInterval, workerThreads, maxInFlight, streamBufferBytes, streamStallTimeout, blockedLoopWarning,
                insecureNoAuth);
    }

    public ServerOptions withApiKey(String newApiKey) {
        return new ServerOptions(host, port, newApiKey, allowedHosts, corsOrigins, maxBodyBytes, idleTimeout,
                shutdownGrace, heartbeatInterval, workerThreads, maxInFlight, streamBufferBytes, streamStallTimeout, blockedLoopWarning,
                insecureNoAuth);
    }

    public ServerOptions withMaxBodyBytes(long newMax) {
        return new ServerOptions(host, port, apiKey, allowedHosts, corsOrigins, newMax, idleTimeout, shutdownGrace,
                heartbeatInterval, workerThreads, maxInFlight, streamBufferBytes, streamStallTimeout, blockedLoopWarning,
                insecureNoAuth);
    }

    public ServerOptions withTimeouts(Duration newIdleTimeout, Duration newShutdownGrace, Duration newHeartbeat) {
        return new ServerOptions(host, port, apiKey, allowedHosts, corsOrigins, maxBodyBytes, newIdleTimeout,
                newShutdownGrace, newHeartbeat, workerThreads, maxInFlight, streamBufferBytes, streamStallTimeout, blockedLoopWarning,
                insecureNoAuth);
    }

    public ServerOptions withCorsOrigins(List<String> newOrigins) {
        return new ServerOptions(host, port, apiKey, allowedHosts, newOrigins, maxBodyBytes, idleTimeout, shutdownGrace,
                heartbeatInterval, workerThreads, maxInFlight, streamBufferBytes, streamStallTimeout, blockedLoopWarning,
                insecureNoAuth);
    }

    public ServerOptions withAllowedHosts(List<String> newHosts) {
        return new ServerOptions(host, port, apiKey, newHosts, corsOrigins, maxBodyBytes, idleTimeout, shutdownGrace,
                heartbeatInterval, workerThreads, maxInFlight, streamBufferBytes, streamStallTimeout, blockedLoopWarning,
                insecureNoAuth);
    }

    public ServerOptions withWorkers(int newThreads, int newMaxInFlight) {
        return new ServerOptions(host, port, apiKey, allowedHosts, corsOrigins, maxBodyBytes, idleTimeout, shutdownGrace,
                heartbeatInterval, newThreads, newMaxInFlight, streamBufferBytes, streamStallTimeout, blockedLoopWarning,
                insecureNoAuth);
    }

    public ServerOptions withStreamLimits(long newBufferBytes, Duration newStallTimeout) {
        return new ServerOptions(host, port, apiKey, allowedHosts, corsOrigins, maxBodyBytes, idleTimeout, shutdownGrace,
                heartbeatInterval, workerThreads, maxInFlight, newBufferBytes, newStallTimeout, blockedLoopWarning, insecureNoAuth);
    }

    public ServerOptions withBlockedLoopWarning(Duration newWarning) {
        return new ServerOptions(host, port, apiKey, allowedHosts, corsOrigins, maxBodyBytes, idleTimeout, shutdownGrace,
                heartbeatInterval, workerThreads, maxInFlight, streamBufferBytes, streamStallTimeout, newWarning, insecureNoAuth);
    }

    public ServerOptions withInsecureNoAuth(boolean insecure) {
        return new ServerOptions(host, port, apiKey, allowedHosts, corsOrigins, maxBodyBytes, idleTimeout, shutdownGrace,
                heartbeatInterval, workerThreads, maxInFlight, streamBufferBytes, streamStallTimeout, blockedLoopWarning,
                insecure);
    }

    /** Never prints the key. */
    @Override
    public String toString() {
        return "ServerOptions[host=" + host + ", port=" + port + ", apiKey=" + (apiKey == null ? "none" : "set")
                + ", allowedHosts=" + allowedHosts + ", corsOrigins=" + corsOrigins + ", maxBodyBytes=" + maxBodyBytes
                + ", idleTimeout=" + idleTimeout + ", shutdownGrace=" + shutdownGrace + ", heartbeatInterval="
                + heartbeatInterval + ", workerThreads=" + workerThreads + ", maxInFlight=" + maxInFlight + ", streamBufferBytes=" + streamBufferBytes + ", streamStallTimeout="
                + streamStallTimeout + ", blockedLoopWarning=" + blockedLoopWarning + (insecureNoAuth ? ", insecureNoAuth" : "") + "]";
    }

    private static Duration requirePositive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
        return d;
    }
}
