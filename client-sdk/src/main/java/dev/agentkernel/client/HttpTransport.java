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
 * The hand-written HTTP path of the client: the endpoints the generated code cannot serve (SSE streams, file
 * paths with slashes) go through here. Adds the API key to every request, unwraps the
 * {@code {"success":..,"data":..}} envelope and maps errors through {@link Errors}.
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

    /** Sends a JSON request and returns the envelope's {@code data}. */
    JsonNode call(String method, String path, JsonNode body, Duration requestTimeout) {
        HttpRequest.Builder request = request(path, requestTimeout)
                .header("Accept", "application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException | InterruptedException e) {
            throw Errors.transport(method + " " + path, e);
        }
        if (response.statusCode() >= 400) {
            throw Errors.fromResponse(mapper, response.statusCode(), response.body(),
                    response.headers().firstValue("Retry-After"));
        }
        return unwrap(response.body(), method + " " + path);
    }

    /** Opens an SSE stream; errors before the stream starts (validation, not found, auth) are thrown here. */
    EventStream stream(String path, JsonNode body) {
        HttpRequest request = request(path, timeout)
                .header("Accept", "text/event-stream")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8))
                .build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException | InterruptedException e) {
            throw Errors.transport("POST " + path, e);
        }
        String type = response.headers().firstValue("Content-Type").orElse("");
        if (response.statusCode() >= 400 || !type.startsWith("text/event-stream")) {
            String text;
            try (InputStream in = response.body()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw Errors.transport("POST " + path, e);
            }
            if (response.statusCode() >= 400) {
                throw Errors.fromResponse(mapper, response.statusCode(), text,
                        response.headers().firstValue("Retry-After"));
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

    private JsonNode unwrap(String text, String what) {
        JsonNode node;
        try {
            node = mapper.readTree(text);
        } catch (IOException e) {
            throw Errors.protocol(what + ": the answer is not JSON: " + text, e);
        }
        if (node != null && node.isObject() && node.has("success")) {
            if (!node.get("success").asBoolean()) {
                throw Errors.fromResponse(mapper, 500, text, java.util.Optional.empty());
            }
            return node.path("data");
        }
        return node; // /health and other bare answers
    }
}
