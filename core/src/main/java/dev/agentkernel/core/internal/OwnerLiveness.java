package dev.agentkernel.core.internal;

import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.LeaseStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Whether the owner of a sandbox is alive, for one reconcile pass: its lease decides, wherever it ran; an owner
 * of this host whose process is gone is dead at once (no need to wait for its lease); an owner without any lease
 * record (an older version, or one whose record was removed) counts as alive unless this host proves it dead.
 */
public final class OwnerLiveness {
    private static final Logger LOG = LoggerFactory.getLogger(OwnerLiveness.class);

    private final LeaseStore store;
    private final String self;

    public OwnerLiveness(LeaseStore store, String self) {
        this.store = store;
        this.self = self;
    }

    /** Reads the leases once for a pass; throws when they cannot be read (the pass is then skipped). */
    public Pass pass() {
        return new Pass(store.leases());
    }

    /** The verdicts of one pass. */
    public final class Pass {
        private final Map<String, LeaseStore.Lease> leases;

        private Pass(Map<String, LeaseStore.Lease> leases) {
            this.leases = leases;
        }

        public boolean mayBeAlive(String owner) {
            if (owner == null) {
                return false;
            }
            if (owner.equals(self)) {
                return true;
            }
            if (InstanceId.provablyDead(owner)) {
                return false;
            }
            LeaseStore.Lease lease = leases.get(owner);
            return lease == null || lease.live();
        }

        /**
         * Removes the records of dead holders (lease expired, or process gone from this host) that own no {@code run} or {@code pool} sandbox any more: nothing is
         * left to reap for them. One that still owns some keeps its record, so the next pass still knows it is dead.
         */
        public void forgetExpired(Collection<SandboxInfo> remaining) {
            Set<String> owning = remaining.stream().filter(s -> s.kind() != SandboxKind.NAMED && s.owner() != null)
                    .map(SandboxInfo::owner).collect(Collectors.toSet());
            for (LeaseStore.Lease lease : leases.values()) {
                boolean dead = !lease.live() || InstanceId.provablyDead(lease.holder());
                if (dead && !lease.holder().equals(self) && !owning.contains(lease.holder())) {
                    try {
                        store.delete(lease.holder());
                    } catch (RuntimeException e) {
                        LOG.warn("Could not remove the expired lease of {}: {}", lease.holder(), e.getMessage());
                    }
                }
            }
        }
    }
}
