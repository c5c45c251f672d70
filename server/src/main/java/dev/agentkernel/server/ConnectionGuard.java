package dev.agentkernel.server;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The idle policy against slow clients (slowloris). Vert.x's own idle timeout also closes a connection whose
 * request is still being answered (a command may run silently for minutes), so this guard closes a connection
 * only when it sits without a request in progress for the idle timeout (which covers headers that never
 * finish), or when a request's body has not fully arrived within it. Runs on each connection's event loop.
 */
final class ConnectionGuard {
    private final Vertx vertx;
    private final long idleMs;
    private final Map<HttpConnection, State> states = new ConcurrentHashMap<>();

    /** Per connection: requests in progress and the pending idle timer. */
    private static final class State {
        int active;
        long timer = -1;
    }

    ConnectionGuard(Vertx vertx, Duration idleTimeout) {
        this.vertx = vertx;
        this.idleMs = Math.max(1, idleTimeout.toMillis());
    }

    void opened(HttpConnection connection) {
        State s = new State();
        states.put(connection, s);
        connection.closeHandler(v -> {
            State gone = states.remove(connection);
            if (gone != null) {
                cancel(gone);
            }
        });
        armIdle(connection, s);
    }

    void requestStarted(HttpServerRequest request) {
        HttpConnection connection = request.connection();
        State s = states.get(connection);
        if (s == null) {
            return;
        }
        s.active++;
        cancel(s);
        vertx.setTimer(idleMs, id -> {
            if (!request.isEnded()) {
                connection.close();
            }
        });
    }

    void requestEnded(HttpServerRequest request) {
        HttpConnection connection = request.connection();
        State s = states.get(connection);
        if (s == null) {
            return;
        }
        s.active = Math.max(0, s.active - 1);
        if (s.active == 0) {
            armIdle(connection, s);
        }
    }

    /** The connection became a WebSocket: it is busy until it closes, however quiet (the terminal has its own limit). */
    void upgraded(HttpConnection connection) {
        State s = states.get(connection);
        if (s != null) {
            s.active++;
            cancel(s);
        }
    }

    private void armIdle(HttpConnection connection, State s) {
        cancel(s);
        s.timer = vertx.setTimer(idleMs, id -> {
            if (s.active == 0) {
                connection.close();
            }
        });
    }

    private void cancel(State s) {
        if (s.timer >= 0) {
            vertx.cancelTimer(s.timer);
            s.timer = -1;
        }
    }
}
