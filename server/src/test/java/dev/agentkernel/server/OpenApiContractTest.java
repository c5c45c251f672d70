package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.agentkernel.api.ErrorCode;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The router and openapi.yaml list the same operations (method + path + operationId). */
class OpenApiContractTest {
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

    static JsonNode document() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(SystemHandlers.openApiDocument());
    }

    @Test
    void documentAndRouteTableListTheSameOperations() throws Exception {
        JsonNode doc = document();
        assertThat(doc.get("openapi").asText()).startsWith("3.1");
        Set<String> documented = new HashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> p = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> ops = p.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                if (METHODS.contains(op.getKey())) {
                    documented.add(op.getKey().toUpperCase() + " " + p.getKey() + " " + op.getValue().get("operationId").asText());
                }
            }
        }
        Set<String> routed = Arrays.stream(ApiRoute.values())
                .map(r -> r.method().name() + " " + r.template() + " " + r.operationId()).collect(Collectors.toSet());
        assertThat(documented).containsExactlyInAnyOrderElementsOf(routed);
    }

    @Test
    void theRouterServesExactlyTheRouteTable() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Router router = ApiRouter.create(vertx, new ApiRouter.Guards(null, new HostAllowlist("127.0.0.1", java.util.List.of()),
                    new ApiKeyCheck(null), java.util.List.of(), 1024, new ServerMetrics(), new AccessLog(), (c, r) -> io.vertx.core.Future.succeededFuture()),
                    new CommandHandlers(null, null, null, null, null),
                    new SandboxHandlers(null, null), new SystemHandlers(vertx, null, null, null, "test"), new StoreHandlers(null, null),
                    new PtyHandler(null, null, null, 1), new PortHandlers(null, null, null),
                    new PortProxy(null, null, null, null, new ApiKeyCheck(null), "localhost"));
            Set<String> served = new HashSet<>();
            for (Route r : router.getRoutes()) {
                if (r.getPath() != null && r.methods() != null) {
                    r.methods().forEach(m -> served.add(m.name() + " " + r.getPath()));
                }
            }
            Set<String> table = Arrays.stream(ApiRoute.values())
                    .map(r -> r.method().name() + " " + r.vertxPath().replace("*", "")).collect(Collectors.toSet());
            assertThat(served).containsExactlyInAnyOrderElementsOf(table);
        } finally {
            vertx.close();
        }
    }

    @Test
    void documentListsEveryErrorCode() throws Exception {
        JsonNode codes = document().at("/components/schemas/ErrorCode/enum");
        Set<String> listed = new HashSet<>();
        codes.forEach(c -> listed.add(c.asText()));
        assertThat(listed).containsExactlyInAnyOrderElementsOf(
                Arrays.stream(ErrorCode.values()).map(ErrorCode::code).toList());
    }
}
