package dev.agentkernel.kubesim;

import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;

import java.util.concurrent.Executor;

/**
 * Passes a websocket's callbacks on to fabric8's watch listener, except that the close callbacks run off the server's
 * event loop. fabric8 8.0.0's {@code WatchEventsListener.onClosed} waits (up to a minute) for its sender thread to
 * end, and that thread may itself be waiting for the event loop to write an event: a client that closed a watch
 * while an event was on its way froze the whole API server for 30 s.
 */
final class OffLoopClose extends WebSocketListener {
    private final WebSocketListener delegate;
    private final Executor closer;

    OffLoopClose(WebSocketListener delegate, Executor closer) {
        this.delegate = delegate;
        this.closer = closer;
    }

    @Override
    public void onBeforeAccept(WebSocket ws, Response response) {
        delegate.onBeforeAccept(ws, response);
    }

    @Override
    public void onOpen(WebSocket ws, Response response) {
        delegate.onOpen(ws, response);
    }

    @Override
    public void onMessage(WebSocket ws, String text) {
        delegate.onMessage(ws, text);
    }

    @Override
    public void onMessage(WebSocket ws, byte[] bytes) {
        delegate.onMessage(ws, bytes);
    }

    @Override
    public void onPing(WebSocket ws, byte[] bytes) {
        delegate.onPing(ws, bytes);
    }

    @Override
    public void onClosing(WebSocket ws, int code, String reason) {
        closer.execute(() -> delegate.onClosing(ws, code, reason));
    }

    @Override
    public void onClosed(WebSocket ws, int code, String reason) {
        closer.execute(() -> delegate.onClosed(ws, code, reason));
    }

    @Override
    public void onFailure(WebSocket ws, Throwable t, Response response) {
        closer.execute(() -> delegate.onFailure(ws, t, response));
    }
}
