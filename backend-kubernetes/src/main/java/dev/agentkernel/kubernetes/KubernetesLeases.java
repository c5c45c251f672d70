package dev.agentkernel.kubernetes;

import dev.agentkernel.core.LeaseStore;
import dev.agentkernel.core.ResourceNames;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Instance leases as {@code coordination.k8s.io/v1} Lease objects, {@code agentkernel-instance-<holder as a DNS
 * label>} with the holder in {@code spec.holderIdentity}, labelled {@code agentkernel.dev/lease=true}.
 *
 * <p>Expiry is judged without comparing clocks, the way Kubernetes' own leader election does it: a reader notes,
 * in its own monotonic clock, when it last saw a holder's lease change ({@code renewTime} or resourceVersion);
 * the lease is live until {@code leaseDurationSeconds} after that. A lease seen for the first time therefore
 * counts as live for one full duration (never reap before we know), and replicas on nodes whose clocks disagree
 * still agree. {@link #expire} marks a lease ended at once ({@value #ENDED} annotation), for an instance that
 * closed with sandboxes left.
 */
final class KubernetesLeases implements LeaseStore {
    static final String LABEL = SandboxMeta.DOMAIN + "lease";
    static final String ENDED = SandboxMeta.DOMAIN + "lease-ended";
    private static final String PREFIX = "agentkernel-instance-";

    private final KubernetesClient client;
    private final String namespace;
    /** holder -> what we last saw of its lease and when (System.nanoTime). */
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();

    private record Seen(String version, long atNanos) {
    }

    KubernetesLeases(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    static String objectName(String holder) {
        return PREFIX + ResourceNames.dnsLabel(holder, 63 - PREFIX.length());
    }

    @Override
    public void renew(String holder, Duration ttl) {
        write(holder, Math.max(1, (int) Math.min(Integer.MAX_VALUE, ttl.toSeconds())), false);
    }

    @Override
    public void expire(String holder) {
        write(holder, 1, true);
    }

    @Override
    public void delete(String holder) {
        try {
            client.leases().inNamespace(namespace).withName(objectName(holder)).delete();
        } catch (KubernetesClientException e) {
            throw KubeErrors.map(e);
        }
        seen.remove(holder);
    }

    @Override
    public Map<String, LeaseStore.Lease> leases() {
        long now = System.nanoTime();
        Map<String, LeaseStore.Lease> out = new LinkedHashMap<>();
        try {
            for (io.fabric8.kubernetes.api.model.coordination.v1.Lease l : client.leases().inNamespace(namespace).withLabel(LABEL, "true").list().getItems()) {
                String holder = l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
                if (holder == null || !objectName(holder).equals(l.getMetadata().getName())) {
                    continue; // not one of ours
                }
                int seconds = Objects.requireNonNullElse(l.getSpec().getLeaseDurationSeconds(), 0);
                boolean ended = l.getMetadata().getAnnotations() != null
                        && "true".equals(l.getMetadata().getAnnotations().get(ENDED));
                String version = l.getMetadata().getResourceVersion() + "/" + l.getSpec().getRenewTime();
                Seen s = seen.compute(holder, (k, prev) -> prev != null && prev.version.equals(version) ? prev
                        : new Seen(version, now));
                long left = s.atNanos + Duration.ofSeconds(seconds).toNanos() - now;
                boolean live = !ended && left > 0;
                out.put(holder, new LeaseStore.Lease(holder, Instant.now().plusNanos(live ? left : 0), live));
            }
        } catch (KubernetesClientException e) {
            throw KubeErrors.map(e);
        }
        seen.keySet().retainAll(out.keySet());
        return out;
    }

    /** Creates or updates the holder's Lease; a concurrent writer (409) is retried on the fresh object. */
    private void write(String holder, int seconds, boolean ended) {
        String name = objectName(holder);
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
        for (int attempt = 0; ; attempt++) {
            try {
                io.fabric8.kubernetes.api.model.coordination.v1.Lease current = client.leases().inNamespace(namespace).withName(name).get();
                LeaseBuilder b = current == null
                        ? new LeaseBuilder().withNewMetadata().withName(name).addToLabels(LABEL, "true").endMetadata()
                                .withNewSpec().withHolderIdentity(holder).withAcquireTime(now).endSpec()
                        : new LeaseBuilder(current);
                b.editMetadata().removeFromAnnotations(ENDED).endMetadata();
                if (ended) {
                    b.editMetadata().addToAnnotations(ENDED, "true").endMetadata();
                }
                io.fabric8.kubernetes.api.model.coordination.v1.Lease lease = b.editSpec().withLeaseDurationSeconds(seconds).withRenewTime(now).endSpec().build();
                io.fabric8.kubernetes.api.model.coordination.v1.Lease written = current == null
                        ? client.leases().inNamespace(namespace).resource(lease).create()
                        : client.leases().inNamespace(namespace).resource(lease).update();
                // our own write counts as seen now
                seen.put(holder, new Seen(written.getMetadata().getResourceVersion() + "/" + written.getSpec()
                        .getRenewTime(), System.nanoTime()));
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 3) {
                    throw KubeErrors.map(e);
                }
            }
        }
    }
}
