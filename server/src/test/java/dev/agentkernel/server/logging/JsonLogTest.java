package dev.agentkernel.server.logging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.slf4j.helpers.BasicMDCAdapter;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonLogTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void levelsAreReadLikeTheSimpleLogger() {
        Map<String, String> p = Map.of("org.slf4j.simpleLogger.defaultLogLevel", "warn",
                "org.slf4j.simpleLogger.log.agentkernel", "debug",
                "org.slf4j.simpleLogger.log.agentkernel.access", "off");
        assertThat(JsonLogger.levelOf("agentkernel.access", p::get)).isEqualTo(Integer.MAX_VALUE);
        assertThat(JsonLogger.levelOf("agentkernel.other", p::get)).isEqualTo(org.slf4j.event.Level.DEBUG.toInt());
        assertThat(JsonLogger.levelOf("dev.x.Y", p::get)).isEqualTo(org.slf4j.event.Level.WARN.toInt());
        assertThat(JsonLogger.levelOf("dev.x.Y", k -> null)).isEqualTo(org.slf4j.event.Level.INFO.toInt());
    }

    @Test
    void eachEventIsOneJsonLineWithMdcKeyValuesAndTheError() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        BasicMDCAdapter mdc = new BasicMDCAdapter();
        JsonLogger log = new JsonLogger("t", org.slf4j.event.Level.INFO.toInt(),
                new PrintStream(buf, true, StandardCharsets.UTF_8), mdc);
        mdc.put("request_id", "rid-1");
        log.info("hello {}\nforged line", "world");
        log.atWarn().addKeyValue("status", 200).addKeyValue("path", "/a\"b").setCause(new IllegalStateException("boom")).log("kv");
        log.debug("not shown");
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(2);
        JsonNode first = json.readTree(lines[0]);
        assertThat(first.get("message").asText()).isEqualTo("hello world\nforged line");
        assertThat(first.get("level").asText()).isEqualTo("INFO");
        assertThat(first.get("request_id").asText()).isEqualTo("rid-1");
        assertThat(first.get("ts").asText()).endsWith("Z");
        JsonNode second = json.readTree(lines[1]);
        assertThat(second.get("status").isNumber()).isTrue();
        assertThat(second.get("path").asText()).isEqualTo("/a\"b");
        assertThat(second.get("error").asText()).contains("boom");
        assertThat(second.get("stack").asText()).contains("JsonLogTest");
    }

    @Test
    void aServerWithTheJsonFormatWritesOnlyJsonLinesAndTheAccessLogHasTheRequestId(@TempDir Path dir) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), JsonLogChild.class.getName(), dir.resolve("audit.jsonl").toString())
                .redirectError(dir.resolve("stderr").toFile()).start();
        try {
            String first = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine();
            assertThat(first).startsWith("port=");
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + first.substring(5)
                    + "/sandboxes/missing")).header("X-Request-Id", "rid-json").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(404);
        } finally {
            p.getOutputStream().close();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        List<String> lines = Files.readAllLines(dir.resolve("stderr"));
        assertThat(lines).isNotEmpty();
        List<JsonNode> parsed = new ArrayList<>();
        for (String line : lines) {
            parsed.add(json.readTree(line)); // every line is JSON, nothing else
        }
        JsonNode access = parsed.stream().filter(n -> n.path("logger").asText().equals("agentkernel.access"))
                .findFirst().orElseThrow();
        assertThat(access.get("request_id").asText()).isEqualTo("rid-json");
        assertThat(access.get("status").asInt()).isEqualTo(404);
        assertThat(access.get("operation").asText()).isEqualTo("getSandbox");
        assertThat(access.get("path").asText()).isEqualTo("/sandboxes/missing");
    }

    @Test
    void aBadFormatNamesTheVariable() {
        assertThatThrownBy(() -> LogFormat.configure(Map.of(LogFormat.ENV, "xml")))
                .hasMessageContaining(LogFormat.ENV);
    }
}
