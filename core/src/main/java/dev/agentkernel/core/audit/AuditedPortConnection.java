package dev.agentkernel.core.audit;

import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One port connection as the audit sees it: counts the bytes both ways and hands {@code port_connection_closed}
 * (port, bytes_in to the sandbox, bytes_out from it, duration, error if any) to {@code closed} exactly once, on
 * {@code writer} (never on the thread that reports the end: that one carries the sandbox's other traffic). The
 * bytes themselves are never recorded.
 */
final class AuditedPortConnection implements PortStream, PortListener {
    private final int port;
    private final PortListener listener;
    private final Executor writer;
    private final Consumer<Map<String, Object>> closed;
    private final Map<String, Object> context;
    private final long started = System.nanoTime();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final AtomicBoolean recorded = new AtomicBoolean();
    volatile PortStream delegate;

    AuditedPortConnection(int port, PortListener listener, Map<String, Object> context, Executor writer,
                          Consumer<Map<String, Object>> closed) {
        this.port = port;
        this.listener = listener;
        this.context = context;
        this.writer = writer;
        this.closed = closed;
    }

    @Override
    public void onData(byte[] data) {
        bytesOut.addAndGet(data.length);
        listener.onData(data);
    }

    @Override
    public void onEnd() {
        listener.onEnd();
    }

    @Override
    public void onClosed(String error) {
        if (recorded.compareAndSet(false, true)) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("port", port);
            d.put("bytes_in", bytesIn.get());
            d.put("bytes_out", bytesOut.get());
            d.put("duration_ms", (System.nanoTime() - started) / 1_000_000);
            if (error != null) {
                d.put("error", error);
            }
            d.putAll(context);
            writer.execute(() -> closed.accept(d));
        }
        listener.onClosed(error);
    }

    @Override
    public void write(byte[] data) {
        delegate.write(data);
        bytesIn.addAndGet(data.length);
    }

    @Override
    public boolean writable(int bytes) {
        return delegate.writable(bytes);
    }

    @Override
    public void onWritable(Runnable action) {
        delegate.onWritable(action);
    }

    @Override
    public void consumed(long bytes) {
        delegate.consumed(bytes);
    }

    @Override
    public void closeWrite() {
        delegate.closeWrite();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
