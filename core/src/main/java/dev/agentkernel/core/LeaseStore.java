package dev.agentkernel.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Leases by which live agentkernel instances show that they are alive, kept in the engine where every instance
 * that shares it sees them (Docker: labelled volumes; Kubernetes: {@code coordination.k8s.io} Leases). A
 * {@code run} or {@code pool} sandbox whose owner's lease has expired is reaped by whichever instance reconciles
 * next, wherever the owner ran. Part of the {@link Backend} SPI; implementations are thread-safe.
 *
 * <p>Time: a store decides expiry with one clock where it can (Docker: the engine's), so that instances on hosts
 * whose clocks disagree still agree on who is alive.
 */
public interface LeaseStore {
    /** Creates or renews {@code holder}'s lease, valid for {@code ttl} from now. */
    void renew(String holder, Duration ttl);

    /**
     * Ends {@code holder}'s lease now but keeps its record, so that other instances reap what it left at once
     * (an instance closing with sandboxes it could not remove).
     */
    void expire(String holder);

    /** Removes {@code holder}'s record (an expired holder with nothing left to reap); missing is fine. */
    void delete(String holder);

    /** Every lease record, live or expired, by holder. Throws {@code BACKEND_UNAVAILABLE} when unreadable. */
    Map<String, Lease> leases();

    /**
     * One holder's lease.
     *
     * @param expiresAt when it ends (or ended), in the store's clock
     * @param live      whether it had not ended when read
     */
    record Lease(String holder, Instant expiresAt, boolean live) {
        public Lease {
            Objects.requireNonNull(holder, "holder");
            Objects.requireNonNull(expiresAt, "expiresAt");
        }
    }
}
