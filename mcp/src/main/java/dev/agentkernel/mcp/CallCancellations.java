package dev.agentkernel.mcp;

import dev.agentkernel.api.Cancellation;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@link Cancellation} per {@code tools/call} in flight, keyed by its JSON-RPC id, so that the client's
 * {@code notifications/cancelled} kills the command of that call. The SDK hands a tool handler neither the request
 * id nor cancellations, so {@link ProtocolInput} opens an entry when it reads the call (before the SDK sees it)
 * and tags the call's {@code _meta} with the id; the handler finds its cancellation by that tag.
 */
final class CallCancellations {
    /** The {@code _meta} key carrying the call's id to its handler. */
    static final String META_KEY = "dev.agentkernel/call-id";
    /** Calls the SDK refused before any handler ran leave their entry; the oldest go beyond this many. */
    private static final int MAX_OPEN = 4096;

    private final Map<String, Cancellation> open = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cancellation> eldest) {
            return size() > MAX_OPEN;
        }
    };

    /** A call was read; {@code id} is its JSON-RPC id as JSON text. */
    synchronized void opened(String id) {
        open.put(id, Cancellation.create());
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
    void cancel(String id) {
        Cancellation c;
        synchronized (this) {
            c = open.get(id);
        }
        if (c != null) {
            c.cancel();
        }
    }
}
