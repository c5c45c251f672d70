package dev.agentkernel.server;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The headers the proxy passes each way. Hop-by-hop headers (RFC 9110 section 7.6.1: {@code Connection}, what it
 * names, and the classic list) stay on their hop; the agentkernel credentials never reach the sandbox: the API key
 * ({@code X-API-Key}, or {@code Authorization} where it carries the key), the token cookie and the token query
 * parameter. The sandbox learns who asked from {@code X-Forwarded-For/Proto/Host}.
 */
final class ProxyHeaders {
    /** The cookie and query parameter that carry a signed URL's token. */
    static final String TOKEN = "agentkernel_token";
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate");
    /** Never forwarded: ours to set ({@code Host}, {@code X-Forwarded-*}) or to strip. */
    private static final Set<String> REPLACED = Set.of("host", "content-length", "x-api-key", "expect",
            "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded");

    private ProxyHeaders() {
    }

    /**
     * The request head for the sandbox's port: {@code target} (path and query, token removed), the client's
     * end-to-end headers, {@code Host: localhost:PORT}, and {@code Connection: close} (one request per connection)
     * or, for an upgrade, {@code Connection: Upgrade} with the client's {@code Upgrade}.
     *
     * @param stripAuthorization whether {@code Authorization} carries the API key (the path way), so it stays here
     * @param chunked            whether the body goes as chunked (the client's length is not known)
     */
    static byte[] requestHead(HttpServerRequest request, String target, int port, boolean stripAuthorization,
                              boolean upgrade, boolean chunked) {
        MultiMap in = request.headers();
        Set<String> named = connectionNamed(in);
        StringBuilder head = new StringBuilder(512);
        head.append(request.method().name()).append(' ').append(target).append(" HTTP/1.1\r\n");
        head.append("Host: localhost:").append(port).append("\r\n");
        for (Map.Entry<String, String> h : in) {
            String lower = h.getKey().toLowerCase(Locale.ROOT);
            if (HOP_BY_HOP.contains(lower) || named.contains(lower) || REPLACED.contains(lower)
                    || (stripAuthorization && lower.equals("authorization"))) {
                continue;
            }
            String value = lower.equals("cookie") ? withoutTokenCookie(h.getValue()) : h.getValue();
            if (value.isEmpty()) {
                continue;
            }
            head.append(h.getKey()).append(": ").append(value).append("\r\n");
        }
        String original = in.get("Host");
        if (original != null) {
            head.append("X-Forwarded-Host: ").append(original).append("\r\n");
        }
        head.append("X-Forwarded-Proto: ").append(request.isSSL() ? "https" : "http").append("\r\n");
        if (request.remoteAddress() != null) {
            head.append("X-Forwarded-For: ").append(request.remoteAddress().hostAddress()).append("\r\n");
        }
        if (upgrade) {
            head.append("Connection: Upgrade\r\nUpgrade: ").append(in.get("Upgrade")).append("\r\n");
        } else {
            head.append("Connection: close\r\n");
            if (chunked) {
                head.append("Transfer-Encoding: chunked\r\n");
            } else if (in.get("Content-Length") != null) {
                head.append("Content-Length: ").append(in.get("Content-Length").trim()).append("\r\n");
            }
        }
        head.append("\r\n");
        return head.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The response headers of the sandbox's answer without the hop-by-hop ones (and what its Connection names). */
    static List<Map.Entry<String, String>> responseHeaders(List<Map.Entry<String, String>> headers, boolean switched) {
        Set<String> named = headers.stream().filter(h -> h.getKey().equalsIgnoreCase("connection"))
                .flatMap(h -> List.of(h.getValue().split(",")).stream())
                .map(s -> s.trim().toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        return headers.stream().filter(h -> {
            String lower = h.getKey().toLowerCase(Locale.ROOT);
            if (switched && (lower.equals("connection") || lower.equals("upgrade"))) {
                return true; // a 101 must say what it switched to
            }
            return !HOP_BY_HOP.contains(lower) && !named.contains(lower);
        }).toList();
    }

    /** The request target without the token parameter. */
    static String target(String path, String query) {
        String p = path == null || path.isEmpty() ? "/" : path;
        if (query == null || query.isEmpty()) {
            return p;
        }
        String kept = java.util.Arrays.stream(query.split("&"))
                .filter(q -> !q.equals(TOKEN) && !q.startsWith(TOKEN + "=")).collect(Collectors.joining("&"));
        return kept.isEmpty() ? p : p + "?" + kept;
    }

    /** The value of the token cookie in a request, or null. */
    static String tokenCookie(MultiMap headers) {
        for (String cookie : headers.getAll("Cookie")) {
            for (String part : cookie.split(";")) {
                String p = part.trim();
                if (p.startsWith(TOKEN + "=")) {
                    return p.substring(TOKEN.length() + 1);
                }
            }
        }
        return null;
    }

    private static String withoutTokenCookie(String cookie) {
        return java.util.Arrays.stream(cookie.split(";")).map(String::trim)
                .filter(p -> !p.isEmpty() && !p.startsWith(TOKEN + "=")).collect(Collectors.joining("; "));
    }

    private static Set<String> connectionNamed(MultiMap in) {
        Set<String> named = new HashSet<>();
        for (String c : in.getAll("Connection")) {
            for (String token : c.split(",")) {
                named.add(token.trim().toLowerCase(Locale.ROOT));
            }
        }
        named.remove("upgrade"); // handled on its own
        named.remove("close");
        named.remove("keep-alive");
        return named;
    }
}
