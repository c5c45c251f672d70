package dev.agentkernel.server;

import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.Validation;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Refuses requests whose {@code Host} header names another site, so that a web page cannot reach a server bound
 * to loopback through DNS rebinding. Active when bound to a loopback address, or when names are configured.
 */
final class HostAllowlist {
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

    private final Set<String> allowed;
    private final boolean active;

    HostAllowlist(String bindHost, List<String> configured) {
        Set<String> names = new HashSet<>(LOOPBACK_NAMES);
        configured.forEach(n -> names.add(n.toLowerCase(Locale.ROOT)));
        this.allowed = Set.copyOf(names);
        this.active = isLoopback(bindHost) || !configured.isEmpty();
    }

    static boolean isLoopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return LOOPBACK_NAMES.contains(h) || h.startsWith("127.");
    }

    /**
     * Checks every {@code Host} header of a request. More than one is a 400 (RFC 9112 section 3.2): otherwise a
     * request carrying {@code Host: localhost} and {@code Host: evil.example} would pass on the first and be
     * routed by a proxy on the second.
     */
    void check(List<String> hostHeaders) {
        if (hostHeaders.size() > 1) {
            throw HttpFailure.of(ErrorCode.INVALID_REQUEST, "More than one Host header");
        }
        check(hostHeaders.isEmpty() ? null : hostHeaders.get(0));
    }

    /** Throws a 403 failure when the header is present and not allowed; a request without one cannot come from a browser. */
    void check(String hostHeader) {
        if (!active || hostHeader == null) {
            return;
        }
        if (!allowed.contains(hostName(hostHeader))) {
            throw HttpFailure.of(ErrorCode.FORBIDDEN, "Host '" + Validation.printable(hostHeader) + "' is not allowed");
        }
    }

    /** The name part of a Host header: {@code [::1]:18888} gives {@code [::1]}, {@code localhost:80} gives {@code localhost}. */
    static String hostName(String header) {
        String h = header.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && colon == h.lastIndexOf(':')) {
            return h.substring(0, colon);
        }
        return h;
    }
}
