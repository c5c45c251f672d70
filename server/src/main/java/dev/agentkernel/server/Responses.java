package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpServerResponse;

/** Writes JSON answers. */
final class Responses {
    static final String JSON = "application/json; charset=utf-8";

    private Responses() {
    }

    static void json(HttpServerResponse response, int status, JsonNode body) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader("Content-Type", JSON)
                .putHeader("Cache-Control", "no-store")
                .end(Wire.write(body));
    }

    static void ok(HttpServerResponse response, int status, JsonNode data) {
        json(response, status, Wire.ok(data));
    }
}
