package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.testkit.ChildJvm;
import dev.agentkernel.testkit.EngineView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Snapshots, named volumes, the secret store and the create options against a real server (a child JVM) and the
 * real engine: a snapshot taken by one server process is listed and restored by the next one; bad input for each
 * new field is a 400 naming it and leaves no container, image or volume behind.
 */
class SnapshotsVolumesSecretsIT {
    private static final String IMAGE = "agentkernel/busybox:local";
    private static final String SECRET_VALUE = "s3cr3t-" + Long.toHexString(ThreadLocalRandom.current().nextLong());

    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newHttpClient();
    private final String id = Integer.toHexString(ThreadLocalRandom.current().nextInt() & 0x7fffffff);

    private record Child(Process process, String owner, int port) {
    }

    private record Reply(int status, JsonNode json) {
        String error() {
            return json.path("error").asText();
        }
    }

    @Test
    void snapshotSurvivesARestartAndRestoresAsARunningSandbox() throws Exception {
        String sandbox = "snapsrc-" + id;
        String snap = "snap-" + id;
        String volume = "vol-" + id;
        List<String> owners = new ArrayList<>();
        Child first = null;
        Child second = null;
        try {
            first = startChild();
            owners.add(first.owner());
            assertThat(call(first, "POST", "/volumes", "{\"name\": \"" + volume + "\"}").status()).isEqualTo(201);
            assertThat(call(first, "POST", "/volumes", "{\"name\": \"" + volume + "\"}").status()).as("name taken")
                    .isEqualTo(409);
            assertThat(call(first, "GET", "/volumes", null).json().get("data").toString()).contains(volume);
            Reply created = call(first, "POST", "/sandboxes", "{\"name\": \"" + sandbox + "\", \"image\": \"" + IMAGE
                    + "\", \"volumes\": [\"" + volume + ":/data\"], \"secret_files\": null, \"secrets\": null}");
            assertThat(created.status()).as(created.json().toString()).isEqualTo(201);
            assertThat(exec(first, sandbox, "echo kept > /root/kept.txt && echo shared > /data/v.txt").path("exit_code")
                    .asInt()).isZero();

            Reply taken = call(first, "POST", "/snapshots", "{\"sandbox\": \"" + sandbox + "\", \"name\": \"" + snap + "\"}");
            assertThat(taken.status()).as(taken.json().toString()).isEqualTo(201);
            JsonNode meta = taken.json().get("data");
            assertThat(meta.get("name").asText()).isEqualTo(snap);
            assertThat(meta.get("sandbox").asText()).isEqualTo(sandbox);
            assertThat(meta.get("image_tag").asText()).isEqualTo("agentkernel-snap:" + snap);
            assertThat(meta.get("backend").asText()).isEqualTo("docker");
            assertThat(meta.get("base_image").asText()).isEqualTo(IMAGE);
            assertThat(meta.get("created_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
            assertThat(call(first, "POST", "/snapshots", "{\"sandbox\": \"" + sandbox + "\", \"name\": \"" + snap
                    + "\"}").status()).as("name taken").isEqualTo(409);
            Reply generated = call(first, "POST", "/snapshots", "{\"sandbox\": \"" + sandbox + "\"}");
            assertThat(generated.status()).isEqualTo(201);
            String generatedName = generated.json().at("/data/name").asText();
            assertThat(generatedName).startsWith("snap-");
            assertThat(call(first, "DELETE", "/snapshots/" + generatedName, null).json().get("data").asText())
                    .isEqualTo("Snapshot deleted");
            assertThat(call(first, "GET", "/snapshots/" + generatedName, null).status()).isEqualTo(404);

            first.process().destroy();
            assertThat(first.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
            second = startChild();
            owners.add(second.owner());

            Reply listed = call(second, "GET", "/snapshots", null);
            JsonNode found = null;
            for (JsonNode s : listed.json().get("data")) {
                if (s.get("name").asText().equals(snap)) {
                    found = s;
                }
            }
            assertThat(found).as("snapshot listed by the next server").isNotNull();
            assertThat(found.get("created_at").asText()).isEqualTo(meta.get("created_at").asText());
            assertThat(call(second, "GET", "/snapshots/" + snap, null).json().get("data")).isEqualTo(meta);

            // As the upstream SDKs send it: no body, no Content-Type.
            HttpResponse<String> restored = http.send(HttpRequest.newBuilder(uri(second, "/snapshots/" + snap + "/restore"))
                    .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofMinutes(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(restored.statusCode()).as(restored.body()).isEqualTo(201);
            JsonNode info = Wire.MAPPER.readTree(restored.body()).get("data");
            assertThat(info.get("name").asText()).isEqualTo(sandbox + "-restored");
            assertThat(info.get("status").asText()).isEqualTo("running");
            assertThat(exec(second, sandbox + "-restored", "cat /root/kept.txt").path("stdout").asText())
                    .isEqualTo("kept\n");
            assertThat(exec(second, sandbox + "-restored", "test -e /data/v.txt").path("exit_code").asInt())
                    .as("volume contents are not part of a snapshot").isNotZero();

            assertThat(call(second, "DELETE", "/snapshots/" + snap, null).status()).as("in use by the restored sandbox")
                    .isEqualTo(409);
            assertThat(call(second, "DELETE", "/volumes/" + volume, null).status()).as("attached").isEqualTo(409);

            // :ro is honoured; the data written through the first sandbox is there.
            assertThat(call(second, "POST", "/sandboxes", "{\"name\": \"ro-" + id + "\", \"image\": \"" + IMAGE
                    + "\", \"volumes\": [\"" + volume + ":/data:ro\"]}").status()).isEqualTo(201);
            assertThat(exec(second, "ro-" + id, "cat /data/v.txt").path("stdout").asText()).isEqualTo("shared\n");
            JsonNode write = exec(second, "ro-" + id, "echo x > /data/w.txt");
            assertThat(write.path("exit_code").asInt()).isNotZero();
            assertThat(write.path("stderr").asText()).containsIgnoringCase("read-only");

            for (String s : List.of(sandbox, sandbox + "-restored", "ro-" + id)) {
                assertThat(call(second, "DELETE", "/sandboxes/" + s, null).status()).isEqualTo(200);
            }
            assertThat(call(second, "DELETE", "/snapshots/" + snap, null).status()).isEqualTo(200);
            assertThat(call(second, "DELETE", "/volumes/" + volume, null).status()).isEqualTo(200);
            assertThat(call(second, "GET", "/snapshots/" + snap, null).status()).isEqualTo(404);
            for (String owner : owners) {
                assertThat(EngineView.containersOf(owner)).isEmpty();
                assertThat(EngineView.imagesOf(owner)).isEmpty();
                assertThat(EngineView.volumesOf(owner)).isEmpty();
            }
        } finally {
            stopAll(first, second);
            owners.forEach(o -> EngineView.remove(EngineView.containersOf(o))); // first: they use the images
            owners.forEach(EngineView::removeAllOf);
        }
    }

    @Test
    void secretFilesAreReadOnlyFilesNeverReturnedAuditedOrSnapshotted() throws Exception {
        String sandbox = "secrets-" + id;
        String snap = "secsnap-" + id;
        Child c = null;
        try {
            c = startChild();
            assertThat(call(c, "PUT", "/secrets/API_TOKEN", "{\"value\": \"" + SECRET_VALUE + "\"}").status()).isEqualTo(200);
            Path stored = dir.resolve("secrets").resolve("API_TOKEN");
            assertThat(Files.readString(stored)).isEqualTo(SECRET_VALUE);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stored))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stored.getParent()))).isEqualTo("rwx------");
            Reply keys = call(c, "GET", "/secrets", null);
            assertThat(keys.json().get("data").toString()).isEqualTo("[\"API_TOKEN\"]");

            Reply created = call(c, "POST", "/sandboxes", "{\"name\": \"" + sandbox + "\", \"image\": \"" + IMAGE
                    + "\", \"secret_files\": [\"API_TOKEN\"]}");
            assertThat(created.status()).as(created.json().toString()).isEqualTo(201);
            JsonNode read = exec(c, sandbox, "cat /run/agentkernel/secrets/API_TOKEN; echo; stat -c %a "
                    + "/run/agentkernel/secrets/API_TOKEN /run/agentkernel/secrets");
            assertThat(read.path("stdout").asText()).isEqualTo(SECRET_VALUE + "\n400\n700\n");

            assertThat(call(c, "POST", "/snapshots", "{\"sandbox\": \"" + sandbox + "\", \"name\": \"" + snap + "\"}")
                    .status()).isEqualTo(201);
            assertThat(call(c, "POST", "/snapshots/" + snap + "/restore", "{\"as_name\": \"sec2-" + id + "\"}").status())
                    .isEqualTo(201);
            assertThat(exec(c, "sec2-" + id, "test -e /run/agentkernel/secrets/API_TOKEN").path("exit_code").asInt())
                    .as("secret files are on an in-memory mount, never in a snapshot").isNotZero();
            assertThat(EngineView.docker("run", "--rm", "--network", "none", "--entrypoint", "sh", "agentkernel-snap:" + snap,
                    "-c", "grep -rl " + SECRET_VALUE + " /root /run /tmp /etc /home /var /workspace 2>/dev/null; true"))
                    .as("no file of the snapshot holds the secret").doesNotContain("/");

            String audit = Files.readString(dir.resolve("audit.jsonl"));
            assertThat(audit).contains("secret_set").contains("API_TOKEN").doesNotContain(SECRET_VALUE);

            for (String s : List.of(sandbox, "sec2-" + id)) {
                assertThat(call(c, "DELETE", "/sandboxes/" + s, null).status()).isEqualTo(200);
            }
            assertThat(call(c, "DELETE", "/snapshots/" + snap, null).status()).isEqualTo(200);
            assertThat(call(c, "DELETE", "/secrets/API_TOKEN", null).status()).isEqualTo(200);
            assertThat(call(c, "DELETE", "/secrets/API_TOKEN", null).status()).isEqualTo(404);
            assertThat(stored).doesNotExist();
        } finally {
            stopAll(c);
            if (c != null) {
                EngineView.removeAllOf(c.owner());
            }
        }
    }

    @Test
    void badInputForEveryNewFieldIs400NamingItAndLeavesNothing() throws Exception {
        Child c = null;
        try {
            c = startChild();
            String vol = "okvol-" + id;
            assertThat(call(c, "POST", "/volumes", "{\"name\": \"" + vol + "\"}").status()).isEqualTo(201);
            List<String> before = EngineView.volumesOf(c.owner());
            String name = "bad-" + id;
            String[][] cases = {
                    {"\"volumes\": [\"novolume\"]", "400", "volumes"},
                    {"\"volumes\": [\"" + vol + ":relative\"]", "400", "volumes"},
                    {"\"volumes\": [\"" + vol + ":/data:rx\"]", "400", "volumes"},
                    {"\"volumes\": [\"../x:/data\"]", "400", "volumes"},
                    {"\"volumes\": [\"" + vol + ":/proc/x\"]", "400", "volumes"},
                    {"\"volumes\": [\"missing-" + id + ":/data\"]", "400", "volumes"},
                    {"\"volumes\": \"" + vol + ":/data\"", "400", "volumes"},
                    {"\"volumes\": [\"" + vol + ":/data\"], \"profile\": \"restrictive\"", "403", "volumes"},
                    {"\"secret_files\": [\"1BAD\"]", "400", "secret_files"},
                    {"\"secret_files\": [\"NOT_STORED_" + id.toUpperCase() + "\"]", "400", "secret_files"},
                    {"\"source_url\": \"http://example.com/x.git\"", "400", "source_url"},
                    {"\"source_url\": \"file:///etc\"", "400", "source_url"},
                    {"\"source_url\": \"ext::sh -c touch% /tmp/pwned\"", "400", "source_url"},
                    {"\"source_url\": \"https://127.0.0.1/x.git\"", "400", "source_url: its host is a loopback"},
                    {"\"source_url\": \"https://user:pw@example.com/x.git\"", "400", "source_url"},
                    {"\"source_url\": \"git@-oProxyCommand=x:y\"", "400", "source_url"},
                    {"\"source_url\": \"https://localhost/x.git\"", "400", "source_url: its host is a loopback"},
                    {"\"source_url\": \"https://10.0.0.1/x.git\"", "400", "source_url: its host is a loopback"},
                    {"\"source_ref\": \"main\"", "400", "source_ref"},
                    {"\"source_url\": \"https://example.com/x.git\", \"source_ref\": \"--upload-pack=x\"", "400", "source_ref"},
                    {"\"source_url\": \"https://example.com/x.git\", \"profile\": \"restrictive\"", "403", "source_url"},
                    {"\"secrets\": [\"API_KEY:api.example.com\"]", "501", "secrets"},
                    // Valid, but the image has no git: the clone fails after the sandbox was made, which is removed.
                    {"\"source_url\": \"https://192.0.2.1/x.git\"", "400", "source_url"},
            };
            for (String[] t : cases) {
                Reply r = call(c, "POST", "/sandboxes", "{\"name\": \"" + name + "\", \"image\": \"" + IMAGE + "\", "
                        + t[0] + "}");
                assertThat(r.status()).as(t[0] + " -> " + r.json()).isEqualTo(Integer.parseInt(t[1]));
                assertThat(r.error()).as(t[0]).contains(t[2]);
                assertThat(EngineView.containersNamed(name)).as("left by " + t[0]).isEmpty();
            }
            assertThat(call(c, "POST", "/volumes", "{\"name\": \"bad name\"}").error()).contains("volume name");
            assertThat(call(c, "POST", "/snapshots", "{\"sandbox\": \"x\", \"name\": \"-bad\"}").error())
                    .contains("snapshot name");
            assertThat(call(c, "POST", "/snapshots", "{\"sandbox\": \"nope-" + id + "\"}").status()).isEqualTo(404);
            assertThat(call(c, "PUT", "/secrets/1BAD", "{\"value\": \"x\"}").error()).contains("secret key");
            assertThat(call(c, "POST", "/snapshots/nope-" + id + "/restore", null).status()).isEqualTo(404);

            assertThat(EngineView.containersOf(c.owner())).isEmpty();
            assertThat(EngineView.imagesOf(c.owner())).isEmpty();
            assertThat(EngineView.volumesOf(c.owner())).containsExactlyInAnyOrderElementsOf(before);
            assertThat(call(c, "DELETE", "/volumes/" + vol, null).status()).isEqualTo(200);
            assertThat(EngineView.volumesOf(c.owner())).isEmpty();
        } finally {
            stopAll(c);
            if (c != null) {
                EngineView.removeAllOf(c.owner());
            }
        }
    }

    private JsonNode exec(Child c, String sandbox, String script) throws Exception {
        Reply r = call(c, "POST", "/sandboxes/" + sandbox + "/exec", "{\"command\": [\"sh\", \"-c\", "
                + Wire.MAPPER.writeValueAsString(script) + "]}");
        assertThat(r.status()).as(r.json().toString()).isEqualTo(200);
        return r.json().get("data");
    }

    private static void stopAll(Child... children) throws InterruptedException {
        for (Child c : children) {
            if (c != null && c.process().isAlive()) {
                c.process().destroy();
                if (!c.process().waitFor(60, TimeUnit.SECONDS)) {
                    c.process().destroyForcibly();
                }
            }
        }
    }

    private Child startChild() {
        ChildJvm jvm = ChildJvm.of(ChildServer.class.getName()).jvmOptions("-Dreap.pids=")
                .stderrTo(dir.resolve("child-" + System.nanoTime() + ".err"))
                .env("AGENTKERNEL_AUDIT_PATH", dir.resolve("audit.jsonl").toString())
                .env("AGENTKERNEL_POOL_SIZE", "0")
                .env("AGENTKERNEL_IMAGE", IMAGE)
                .unsetEnv("AGENTKERNEL_API_KEY")
                .maxLife(Duration.ofMinutes(10)).start();
        int port = Integer.parseInt(jvm.awaitLine(l -> l.startsWith("port="), Duration.ofMinutes(2)).substring(5));
        String owner = jvm.lines().stream().filter(l -> l.startsWith("owner=")).findFirst().orElseThrow().substring(6);
        return new Child(jvm.process(), owner, port);
    }

    private static URI uri(Child c, String path) {
        return URI.create("http://127.0.0.1:" + c.port() + path);
    }

    private Reply call(Child c, String method, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(c, path)).timeout(Duration.ofMinutes(2));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r = http.send(b.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), Wire.MAPPER.readTree(r.body()));
    }
}
