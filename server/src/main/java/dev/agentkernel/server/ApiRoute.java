package dev.agentkernel.server;

import io.vertx.core.http.HttpMethod;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Every operation of the HTTP API, with the method and path template exactly as {@code openapi.yaml} spells them.
 * The router is built from this table and a test compares it with the document, so the two cannot drift apart.
 */
public enum ApiRoute {
    HEALTH("GET", "/health", "health", false),
    RUN("POST", "/run", "run", true),
    RUN_STREAM("POST", "/run/stream", "runStream", true),
    BATCH_RUN("POST", "/batch/run", "batchRun", true),
    LIST_SANDBOXES("GET", "/sandboxes", "listSandboxes", false),
    CREATE_SANDBOX("POST", "/sandboxes", "createSandbox", true),
    GET_SANDBOX("GET", "/sandboxes/{name}", "getSandbox", false),
    REMOVE_SANDBOX("DELETE", "/sandboxes/{name}", "removeSandbox", false),
    EXEC("POST", "/sandboxes/{name}/exec", "execInSandbox", true),
    EXEC_STREAM("POST", "/sandboxes/{name}/exec/stream", "execStream", true),
    STOP_SANDBOX("POST", "/sandboxes/{name}/stop", "stopSandbox", false),
    START_SANDBOX("POST", "/sandboxes/{name}/start", "startSandbox", false),
    READ_FILE("GET", "/sandboxes/{name}/files/{path}", "readFile", false),
    WRITE_FILE("PUT", "/sandboxes/{name}/files/{path}", "writeFile", true),
    DELETE_FILE("DELETE", "/sandboxes/{name}/files/{path}", "deleteFile", false),
    SANDBOX_LOGS("GET", "/sandboxes/{name}/logs", "getSandboxLogs", false),
    // snapshots, volumes, secrets (issue 15)
    LIST_SNAPSHOTS("GET", "/snapshots", "listSnapshots", false),
    TAKE_SNAPSHOT("POST", "/snapshots", "takeSnapshot", true),
    GET_SNAPSHOT("GET", "/snapshots/{name}", "getSnapshot", false),
    DELETE_SNAPSHOT("DELETE", "/snapshots/{name}", "deleteSnapshot", false),
    /** The upstream SDKs send no body and no Content-Type; a JSON body may carry {@code as_name}. */
    RESTORE_SNAPSHOT("POST", "/snapshots/{name}/restore", "restoreSnapshot", true, true),
    LIST_VOLUMES("GET", "/volumes", "listVolumes", false),
    CREATE_VOLUME("POST", "/volumes", "createVolume", true),
    REMOVE_VOLUME("DELETE", "/volumes/{name}", "removeVolume", false),
    LIST_SECRETS("GET", "/secrets", "listSecrets", false),
    SET_SECRET("PUT", "/secrets/{key}", "setSecret", true),
    REMOVE_SECRET("DELETE", "/secrets/{key}", "removeSecret", false),
    OPEN_PTY("GET", "/sandboxes/{name}/pty", "openPty", false),
    POOL("GET", "/pool", "getPool", false),
    METRICS("GET", "/metrics", "getMetrics", false),
    OPENAPI("GET", "/openapi.yaml", "getOpenApi", false),
    // upstream 0.18 (the SDKs' calls): identity, TTL, bulk files, detached commands
    GET_SANDBOX_BY_UUID("GET", "/sandboxes/by-uuid/{uuid}", "getSandboxByUuid", false),
    EXTEND_SANDBOX("POST", "/sandboxes/{name}/extend", "extendTtl", true),
    WRITE_FILES("POST", "/sandboxes/{name}/files", "writeFiles", true),
    EXEC_DETACHED("POST", "/sandboxes/{name}/exec/detach", "execDetached", true),
    LIST_DETACHED("GET", "/sandboxes/{name}/exec/detached", "detachedList", false),
    GET_DETACHED("GET", "/sandboxes/{name}/exec/detached/{id}", "detachedStatus", false),
    DETACHED_LOGS("GET", "/sandboxes/{name}/exec/detached/{id}/logs", "detachedLogs", false),
    KILL_DETACHED("DELETE", "/sandboxes/{name}/exec/detached/{id}", "detachedKill", false),
    // ports (issue 18); the URL call comes before the proxy, whose {path} would take it too
    LIST_PORTS("GET", "/sandboxes/{name}/ports", "listPorts", false),
    EXPOSE_PORT("POST", "/sandboxes/{name}/ports", "exposePort", true),
    UNEXPOSE_PORT("DELETE", "/sandboxes/{name}/ports/{port}", "unexposePort", false),
    PORT_URL("POST", "/sandboxes/{name}/ports/{port}/url", "portUrl", true, true),
    /** The proxy, one entry per method: the body is streamed to the port as it is, never read here. */
    PROXY_GET("GET", "/sandboxes/{name}/ports/{port}/{path}", "proxyGet"),
    PROXY_HEAD("HEAD", "/sandboxes/{name}/ports/{port}/{path}", "proxyHead"),
    PROXY_POST("POST", "/sandboxes/{name}/ports/{port}/{path}", "proxyPost"),
    PROXY_PUT("PUT", "/sandboxes/{name}/ports/{port}/{path}", "proxyPut"),
    PROXY_PATCH("PATCH", "/sandboxes/{name}/ports/{port}/{path}", "proxyPatch"),
    PROXY_DELETE("DELETE", "/sandboxes/{name}/ports/{port}/{path}", "proxyDelete"),
    PROXY_OPTIONS("OPTIONS", "/sandboxes/{name}/ports/{port}/{path}", "proxyOptions");

    private final HttpMethod method;
    private final boolean proxied;
    private final String template;
    private final String operationId;
    private final boolean jsonBody;
    private final boolean bodyOptional;
    private final Pattern pattern;

    ApiRoute(String method, String template, String operationId, boolean jsonBody) {
        this(method, template, operationId, jsonBody, false, false);
    }

    ApiRoute(String method, String template, String operationId, boolean jsonBody, boolean bodyOptional) {
        this(method, template, operationId, jsonBody, bodyOptional, false);
    }

    /** A proxy route. */
    ApiRoute(String method, String template, String operationId) {
        this(method, template, operationId, false, false, true);
    }

    ApiRoute(String method, String template, String operationId, boolean jsonBody, boolean bodyOptional,
             boolean proxied) {
        this.proxied = proxied;
        this.bodyOptional = bodyOptional;
        this.method = HttpMethod.valueOf(method);
        this.template = template;
        this.operationId = operationId;
        this.jsonBody = jsonBody;
        // {path} spans several segments; every other parameter is one segment.
        this.pattern = Pattern.compile(template.replace(".", "\\.")
                .replace("{path}", ".+").replaceAll("\\{[a-z]+}", "[^/]+"));
    }

    public HttpMethod method() {
        return method;
    }

    /** The OpenAPI path template, e.g. {@code /sandboxes/{name}/files/{path}}. */
    public String template() {
        return template;
    }

    public String operationId() {
        return operationId;
    }

    /** Whether the operation takes a JSON request body. */
    public boolean jsonBody() {
        return jsonBody;
    }

    /** Whether requests are relayed to a sandbox's port as they are (any body, any media type). */
    public boolean proxied() {
        return proxied;
    }

    /** Whether the JSON body may be left out altogether (then without a Content-Type). */
    public boolean bodyOptional() {
        return bodyOptional;
    }

    /** The Vert.x Web form of the template: {@code {name}} becomes {@code :name}, the trailing {@code {path}} a wildcard. */
    String vertxPath() {
        return template.replace("{path}", "*").replaceAll("\\{([a-z]+)}", ":$1");
    }

    boolean matches(String path) {
        return pattern.matcher(path).matches();
    }

    /** The proxy route of a method (for the metrics and access log of a preview host's requests), or null. */
    static ApiRoute proxyRoute(HttpMethod method) {
        return Arrays.stream(values()).filter(r -> r.proxied && r.method.equals(method)).findFirst().orElse(null);
    }

    /** The methods the API accepts on a path, for the {@code Allow} header of a 405. */
    static List<String> allowedMethods(String path) {
        return Arrays.stream(values()).filter(r -> r.matches(path)).map(r -> r.method.name()).distinct()
                .collect(Collectors.toList());
    }
}
