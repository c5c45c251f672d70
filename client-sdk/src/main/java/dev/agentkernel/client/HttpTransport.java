package dev.agentkernel.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Every request of the facade goes through here: bodies are the generated models, answers are read as UTF-8
 * (never the platform charset), each call has its own timeout, SSE answers stay open as an {@link EventStream}.
 * Adds the API key, checks the {@code {"success":..,"data":..}} envelope and maps errors through {@link Errors}.
 */
final class HttpTransport {
    private final URI baseUri;
    private final HttpClient http;
    private final ObjectMapper mapper;
    private final Duration timeout;
    private final Consumer<HttpRequest.Builder> authenticator;

    /** {@code baseUri} must end with a slash. */
    HttpTransport(URI baseUri, HttpClient http, ObjectMapper mapper, Duration timeout,
                  Consumer<HttpRequest.Builder> authenticator) {
        this.baseUri = baseUri;
        this.http = http;
        this.mapper = mapper;
        this.timeout = timeout;
        this.authenticator = authenticator;
    }

    /**
     * Sends a request with an optional JSON body (a generated model) and reads the answer as {@code type}
     * (an envelope model). A {@code "success": false} answer or an error status is thrown as an exception.
     */
    <T> T call(String method, String path, Object body, Class<T> type, Duration requestTimeout) {
        return call(method, path, body, type, requestTimeout, 0);
    }

    /** Like {@link #call}, reading an answer of status {@code alsoRead} (e.g. a 503 health report) as a result. */
    <T> T call(String method, String path, Object body, Class<T> type, Duration requestTimeout, int alsoRead) {
        HttpRequest.Builder request = request(path, requestTimeout).header("Accept", "application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(json(body)));
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException | InterruptedException e) {
            throw Errors.transport(baseUri, method + " " + path, e);
        }
        // Always UTF-8, whatever the platform charset (JSON is UTF-8 by definition).
        String text = new String(response.body(), StandardCharsets.UTF_8);
        if (response.statusCode() >= 400 && response.statusCode() != alsoRead) {
            throw Errors.fromResponse(mapper, response.statusCode(), text);
        }
        return read(text, type, method + " " + path);
    }

    /** Parses an answer, refusing {@code "success": false} and shapes that do not fit {@code type}. */
    <T> T read(String text, Class<T> type, String what) {
        JsonNode node;
        try {
            node = mapper.readTree(text);
        } catch (IOException e) {
            throw Errors.protocol(what + ": the answer is not JSON: " + abbreviate(text), e);
        }
        if (node == null || !node.isObject()) {
            throw Errors.protocol(what + ": expected a JSON object, got: " + abbreviate(text), null);
        }
        if (node.has("success") && !node.get("success").asBoolean()) {
            throw Errors.fromResponse(mapper, 500, text);
        }
        try {
            return mapper.treeToValue(node, type);
        } catch (IOException | IllegalArgumentException e) {
            throw Errors.protocol(what + ": unexpected answer: " + abbreviate(text), e);
        }
    }

    /** Opens an SSE stream; errors before the stream starts (validation, not found, auth) are thrown here. */
    EventStream stream(String path, Object body) {
        HttpRequest request = request(path, timeout)
                .header("Accept", "text/event-stream")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json(body)))
                .build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException | InterruptedException e) {
            throw Errors.transport(baseUri, "POST " + path, e);
        }
        String type = response.headers().firstValue("Content-Type").orElse("");
        if (response.statusCode() >= 400 || !type.startsWith("text/event-stream")) {
            String text;
            try (InputStream in = response.body()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw Errors.transport(baseUri, "POST " + path, e);
            }
            if (response.statusCode() >= 400) {
                throw Errors.fromResponse(mapper, response.statusCode(), text);
            }
            throw Errors.protocol("POST " + path + " answered " + type + " instead of an event stream", null);
        }
        return new EventStream(response.body(), mapper);
    }

    /** One path segment, percent-encoded (a sandbox name, or one segment of a file path). */
    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A sandbox file path as URL segments: {@code /tmp/a b.txt} -> {@code tmp/a%20b.txt}. */
    static String filePath(String path) {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("path must not be blank");
        }
        StringBuilder out = new StringBuilder();
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(segment(part));
        }
        return out.toString();
    }

    private HttpRequest.Builder request(String path, Duration requestTimeout) {
        // Relative resolution keeps a path prefix of the base URL (e.g. behind a reverse proxy).
        String relative = path.startsWith("/") ? path.substring(1) : path;
        HttpRequest.Builder builder = HttpRequest.newBuilder(baseUri.resolve(relative)).timeout(requestTimeout);
        authenticator.accept(builder);
        return builder;
    }

    private byte[] json(Object body) {
        try {
            return mapper.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serialize the request body: " + e.getMessage(), e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }
}
