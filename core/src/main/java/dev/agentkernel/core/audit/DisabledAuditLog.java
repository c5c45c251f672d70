package dev.agentkernel.core.audit;

import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.LogQuery;

import java.util.List;

/** Records nothing; used when auditing is switched off. */
final class DisabledAuditLog implements AuditLog {
    static final DisabledAuditLog INSTANCE = new DisabledAuditLog();

    @Override
    public void record(AuditEvent event) {
    }

    @Override
    public List<AuditEvent> query(String sandbox, LogQuery query) {
        return List.of();
    }

    @Override
    public Verification verify() {
        return new Verification(true, 0, 0, 0, null);
    }

    @Override
    public boolean enabled() {
        return false;
    }

    @Override
    public void close() {
    }
}
