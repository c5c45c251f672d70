package dev.agentkernel.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executors;

/** The few HTTP calls the benchmark makes, on java.net.http with the API key from the environment. */
final class BenchHttp {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final String apiKey;
    private final HttpClient http;

    BenchHttp(URI base, String apiKey) {
        this.base = base;
        this.apiKey = apiKey;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newCachedThreadPool(r -> {
                    Thread t = new Thread(r, "bench-http");
                    t.setDaemon(true);
                    return t;
                }))
                .build();
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
        HttpRequest req = request("POST", "/run/stream", body).header("Accept", "text/event-stream").build();
        long t0 = System.nanoTime();
        HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        if (resp.statusCode() != 200) {
            throw new IOException("/run/stream answered " + resp.statusCode() + ": "
                    + new String(resp.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        FirstOutput first = null;
        String event = null;
        boolean done = false;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
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
        HttpResponse<String> resp = http.send(request("GET", "/metrics", null).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (resp.statusCode() != 200) {
            throw new HttpFailure(resp.statusCode(), "GET /metrics answered " + resp.statusCode());
        }
        return resp.body();
    }

    void deleteSandbox(String name) throws IOException, InterruptedException {
        call("DELETE", "/sandboxes/" + name, null);
    }

    private HttpRequest.Builder request(String method, String path, JsonNode body) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofMinutes(5));
        if (apiKey != null && !apiKey.isEmpty()) {
            b.header("X-API-Key", apiKey);
        }
        if (body != null) {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b;
    }

    /** Sends a request and returns {@code data} of a successful envelope; anything else is an exception. */
    private JsonNode call(String method, String path, JsonNode body) throws IOException, InterruptedException {
        HttpResponse<byte[]> resp = http.send(request(method, path, body).build(), HttpResponse.BodyHandlers.ofByteArray());
        JsonNode json;
        try {
            json = JSON.readTree(resp.body());
        } catch (IOException e) {
            throw new IOException(method + " " + path + " answered " + resp.statusCode() + " with a non-JSON body");
        }
        if (resp.statusCode() / 100 != 2 || (json.has("success") && !json.path("success").asBoolean())) {
            throw new HttpFailure(resp.statusCode(), method + " " + path + " answered " + resp.statusCode() + ": "
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
