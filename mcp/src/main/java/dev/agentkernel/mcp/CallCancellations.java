package dev.agentkernel.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentkernel.api.Cancellation;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@link Cancellation} per {@code tools/call} in flight, keyed by its JSON-RPC id, so that the client's
 * {@code notifications/cancelled} kills the command of that call. The SDK hands a tool handler neither the request
 * id nor cancellations, so {@link #screen} opens an entry when {@link ProtocolInput} reads the call (before the SDK
 * sees it) and tags the call's {@code _meta} with the id; the handler finds its cancellation by that tag.
 */
final class CallCancellations {
    /** The {@code _meta} key carrying the call's id to its handler. */
    static final String META_KEY = "dev.agentkernel/call-id";
    /** Calls the SDK refused before any handler ran leave their entry; the oldest go beyond this many. */
    private static final int MAX_OPEN = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Cancellation> open = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cancellation> eldest) {
            return size() > MAX_OPEN;
        }
    };

    /**
     * Looks at one message of the client before the SDK does. A {@code notifications/cancelled} fires the
     * cancellation of its call and goes no further: null is returned. A {@code tools/call} is registered and its
     * {@code _meta} tagged with its id: its rewritten text is returned. Anything else passes as it is.
     */
    String screen(ObjectNode message, String line) throws JsonProcessingException {
        String method = message.path("method").asText("");
        if (method.equals("notifications/cancelled")) {
            cancel(message.path("params").path("requestId").toString());
            return null;
        }
        if (!method.equals("tools/call") || !message.hasNonNull("id") || !message.path("params").isObject()) {
            return line;
        }
        String id = message.get("id").toString();
        synchronized (this) {
            open.put(id, Cancellation.create());
        }
        ObjectNode params = (ObjectNode) message.get("params");
        JsonNode meta = params.path("_meta");
        (meta.isObject() ? (ObjectNode) meta : params.putObject("_meta")).put(META_KEY, id);
        return JSON.writeValueAsString(message);
    }

    /** The cancellation of the call tagged in {@code meta}; one nobody can fire when there is none. */
    synchronized Cancellation of(Map<String, Object> meta) {
        Cancellation c = meta == null ? null : open.get(String.valueOf(meta.get(META_KEY)));
        return c != null ? c : Cancellation.create();
    }

    /** The call's handler is done. */
    synchronized void closed(Map<String, Object> meta) {
        if (meta != null) {
            open.remove(String.valueOf(meta.get(META_KEY)));
        }
    }

    /** The client cancelled the call {@code id}; an unknown or finished one is ignored, as the protocol says. */
    private void cancel(String id) {
        Cancellation c;
        synchronized (this) {
            c = open.get(id);
        }
        if (c != null) {
            c.cancel();
        }
    }
}
