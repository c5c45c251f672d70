package dev.agentkernel.core.internal;

import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.core.audit.AuditLog;

import java.util.List;
import java.util.function.Supplier;

/**
 * An audit log opened on first use, so that building a kernel touches no file. {@link #enabled} answers without
 * opening; a log that cannot be opened fails the operation that needed it (fail closed), and is tried again by
 * the next one.
 */
public final class LazyAuditLog implements AuditLog {
    private final Supplier<AuditLog> opener;
    private final boolean enabled;
    private AuditLog log; // guarded by this
    private boolean closed; // guarded by this

    public LazyAuditLog(Supplier<AuditLog> opener, boolean enabled) {
        this.opener = opener;
        this.enabled = enabled;
    }

    /** Opens the log now (start-up: an unwritable log is reported at once). */
    public synchronized AuditLog open() {
        if (log == null) {
            if (closed) {
                throw AuditLog.unwritable(new IllegalStateException("closed"));
            }
            log = opener.get();
        }
        return log;
    }

    @Override
    public void record(AuditEvent event) {
        open().record(event);
    }

    @Override
    public List<AuditEvent> query(String sandbox, LogQuery query) {
        return open().query(sandbox, query);
    }

    @Override
    public Verification verify() {
        return open().verify();
    }

    @Override
    public boolean enabled() {
        return enabled;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (log != null) {
            log.close();
        }
    }
}
