package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/** Writes JSON answers. */
final class Responses {
    static final String JSON = "application/json; charset=utf-8";

    private Responses() {
    }

    /** A small answer (an error, health): serialised here, on the event loop. */
    static void json(HttpServerResponse response, int status, JsonNode body) {
        json(response, status, Buffer.buffer(Wire.writeBytes(body)));
    }

    /** An answer serialised elsewhere (on the worker that computed it). */
    static void json(HttpServerResponse response, int status, Buffer body) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader("Content-Type", JSON)
                .putHeader("Cache-Control", "no-store")
                .end(body);
    }
}
