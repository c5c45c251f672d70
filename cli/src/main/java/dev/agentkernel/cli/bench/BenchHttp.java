package dev.agentkernel.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/**
 * The few HTTP calls the benchmark makes, with the API key from the environment. On {@link HttpURLConnection}:
 * blocking on the caller's thread over a kept-alive connection, so a measured request pays no hand-off between
 * client threads (java.net.http's selector and executor added 0.6-0.9 ms to a 2-3 ms exec here). The figures are
 * the server's, not the client's.
 */
final class BenchHttp {
    static {
        // idle connections kept per server (default 5): every concurrent caller keeps its own
        if (System.getProperty("http.maxConnections") == null) {
            System.setProperty("http.maxConnections", "256");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int READ_TIMEOUT_MS = 300_000;
    private final URI base;
    private final String apiKey;

    BenchHttp(URI base, String apiKey) {
        this.base = base;
        this.apiKey = apiKey;
    }

    URI base() {
        return base;
    }

    JsonNode health() throws IOException, InterruptedException {
        return call("GET", "/health", null);
    }

    /** POST /run; returns the output, failing unless the command exited 0. */
    String run(List<String> command, String image, boolean fast) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.set("command", JSON.valueToTree(command));
        if (image != null) {
            body.put("image", image);
        }
        body.put("fast", fast);
        JsonNode data = call("POST", "/run", body);
        return data.path("output").asText();
    }

    /**
     * POST /run/stream, read until {@code done}: returns when (wall clock) the first output event arrived and
     * its content, plus the nanoTime of that moment.
     */
    FirstOutput streamFirstOutput(List<String> command, String image) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.set("command", JSON.valueToTree(command));
        if (image != null) {
            body.put("image", image);
        }
        long t0 = System.nanoTime();
        HttpURLConnection c = open("POST", "/run/stream", body, "text/event-stream");
        if (c.getResponseCode() != 200) {
            throw new IOException("/run/stream answered " + c.getResponseCode() + ": "
                    + new String(bodyOf(c).readAllBytes(), StandardCharsets.UTF_8));
        }
        FirstOutput first = null;
        String event = null;
        boolean done = false;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:") && event != null) {
                    if (first == null && event.equals("output")) {
                        Instant at = Instant.now();
                        long nanos = System.nanoTime() - t0;
                        first = new FirstOutput(at, nanos, JSON.readTree(line.substring(5).trim()).path("content").asText());
                    } else if (event.equals("error")) {
                        throw new IOException("stream error: " + line.substring(5).trim());
                    } else if (event.equals("done")) {
                        done = true;
                        break;
                    }
                }
            }
        }
        if (first == null || !done) {
            throw new IOException("stream ended without " + (first == null ? "output" : "done"));
        }
        return first;
    }

    record FirstOutput(Instant at, long nanosSinceRequest, String content) {
    }

    void createSandbox(String name, String image) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("name", name);
        if (image != null) {
            body.put("image", image);
        }
        call("POST", "/sandboxes", body);
    }

    JsonNode getSandbox(String name) throws IOException, InterruptedException {
        return call("GET", "/sandboxes/" + name, null);
    }

    String exec(String name, List<String> command) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.set("command", JSON.valueToTree(command));
        return call("POST", "/sandboxes/" + name + "/exec", body).path("output").asText();
    }

    void writeFile(String name, String path, byte[] content) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("content", Base64.getEncoder().encodeToString(content))
                .put("encoding", "base64");
        call("PUT", "/sandboxes/" + name + "/files" + path, body);
    }

    byte[] readFile(String name, String path) throws IOException, InterruptedException {
        JsonNode data = call("GET", "/sandboxes/" + name + "/files" + path, null);
        String content = data.path("content").asText();
        return "base64".equals(data.path("encoding").asText()) ? Base64.getDecoder().decode(content)
                : content.getBytes(StandardCharsets.UTF_8);
    }

    /** GET /sandboxes: named sandboxes and the temporary ones still there. */
    JsonNode sandboxes() throws IOException, InterruptedException {
        return call("GET", "/sandboxes", null);
    }

    /** GET /pool: the pool's figures. */
    JsonNode pool() throws IOException, InterruptedException {
        return call("GET", "/pool", null);
    }

    /** GET /metrics: the Prometheus text. */
    String metrics() throws IOException, InterruptedException {
        HttpURLConnection c = open("GET", "/metrics", null, null);
        try (InputStream in = bodyOf(c)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (c.getResponseCode() != 200) {
                throw new HttpFailure(c.getResponseCode(), "GET /metrics answered " + c.getResponseCode());
            }
            return text;
        }
    }

    void deleteSandbox(String name) throws IOException, InterruptedException {
        call("DELETE", "/sandboxes/" + name, null);
    }

    /** Sends a request (its body written, if any) and returns the connection, its answer not yet read. */
    private HttpURLConnection open(String method, String path, JsonNode body, String accept) throws IOException {
        HttpURLConnection c = (HttpURLConnection) base.resolve(path).toURL().openConnection();
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setReadTimeout(READ_TIMEOUT_MS);
        c.setRequestMethod(method);
        if (apiKey != null && !apiKey.isEmpty()) {
            c.setRequestProperty("X-API-Key", apiKey);
        }
        if (accept != null) {
            c.setRequestProperty("Accept", accept);
        }
        if (body != null) {
            byte[] bytes = JSON.writeValueAsBytes(body);
            c.setRequestProperty("Content-Type", "application/json");
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(bytes.length);
            try (OutputStream out = c.getOutputStream()) {
                out.write(bytes);
            }
        }
        return c;
    }

    /** The answer's body whatever its status (read to the end and closed, the connection is kept for the next). */
    private static InputStream bodyOf(HttpURLConnection c) throws IOException {
        InputStream in = c.getResponseCode() >= 400 ? c.getErrorStream() : c.getInputStream();
        return in == null ? InputStream.nullInputStream() : in;
    }

    /** Sends a request and returns {@code data} of a successful envelope; anything else is an exception. */
    private JsonNode call(String method, String path, JsonNode body) throws IOException, InterruptedException {
        HttpURLConnection c = open(method, path, body, null);
        byte[] answer;
        try (InputStream in = bodyOf(c)) {
            answer = in.readAllBytes();
        }
        int status = c.getResponseCode();
        JsonNode json;
        try {
            json = JSON.readTree(answer);
        } catch (IOException e) {
            throw new IOException(method + " " + path + " answered " + status + " with a non-JSON body");
        }
        if (status / 100 != 2 || (json.has("success") && !json.path("success").asBoolean())) {
            throw new HttpFailure(status, method + " " + path + " answered " + status + ": "
                    + json.path("error").asText(json.toString()));
        }
        return json.has("data") ? json.get("data") : json;
    }

    /** A non-2xx answer, with its status kept for counting. */
    static final class HttpFailure extends IOException {
        private static final long serialVersionUID = 1L;
        final int status;

        HttpFailure(int status, String message) {
            super(message);
            this.status = status;
        }
    }
}
