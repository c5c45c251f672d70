package dev.agentkernel.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.LeaseStore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Leases kept on the engine as empty, labelled volumes ({@code agentkernel-lease-<holder hash>-<random>}): volumes
 * need no image and no process, and every instance using the engine lists them. Docker labels cannot change, so a
 * renewal creates a new volume and then removes the holder's older ones; a reader takes the latest expiry of each
 * holder. Expiry is written and judged in the engine's own clock ({@code SystemTime} of {@code /info}), so instances
 * on hosts whose clocks disagree still agree on who is alive.
 */
final class DockerLeases implements LeaseStore {
    static final String PREFIX = "agentkernel-lease-";
    static final String LEASE = Labels.PREFIX + "lease";
    static final String HOLDER = Labels.PREFIX + "lease-holder";
    static final String EXPIRES_AT = Labels.PREFIX + "lease-expires-at";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DockerClient client;

    DockerLeases(DockerClient client) {
        this.client = client;
    }

    @Override
    public void renew(String holder, Duration ttl) {
        write(holder, engineNow().plus(ttl));
    }

    @Override
    public void expire(String holder) {
        write(holder, engineNow());
    }

    @Override
    public void delete(String holder) {
        for (InspectVolumeResponse v : volumesOf(holder)) {
            removeQuietly(v.getName());
        }
    }

    @Override
    public Map<String, Lease> leases() {
        Instant now = engineNow();
        Map<String, Lease> out = new LinkedHashMap<>();
        for (InspectVolumeResponse v : list(LEASE + "=true")) {
            Map<String, String> labels = v.getLabels();
            String holder = labels == null ? null : labels.get(HOLDER);
            Instant expires = labels == null ? null : instantOrNull(labels.get(EXPIRES_AT));
            if (holder == null || expires == null || !v.getName().startsWith(PREFIX)) {
                continue; // not one of ours
            }
            Lease seen = out.get(holder);
            if (seen == null || expires.isAfter(seen.expiresAt())) {
                out.put(holder, new Lease(holder, expires, expires.isAfter(now)));
            }
        }
        return out;
    }

    /** A new record for {@code holder}, then its older ones removed (a reader between the two sees both: fine). */
    private void write(String holder, Instant expiresAt) {
        byte[] nonce = new byte[6];
        RANDOM.nextBytes(nonce);
        String name = PREFIX + hash(holder) + "-" + HexFormat.of().formatHex(nonce);
        try {
            client.createVolumeCmd().withName(name)
                    .withLabels(Map.of(LEASE, "true", HOLDER, holder, EXPIRES_AT, expiresAt.toString())).exec();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
        for (InspectVolumeResponse v : volumesOf(holder)) {
            if (!v.getName().equals(name)) {
                removeQuietly(v.getName());
            }
        }
    }

    private List<InspectVolumeResponse> volumesOf(String holder) {
        return list(HOLDER + "=" + holder).stream().filter(v -> v.getName().startsWith(PREFIX)).toList();
    }

    private List<InspectVolumeResponse> list(String labelFilter) {
        try {
            List<InspectVolumeResponse> volumes = client.listVolumesCmd().withFilter("label", List.of(labelFilter))
                    .exec().getVolumes();
            return volumes == null ? List.of() : volumes;
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
    }

    private void removeQuietly(String volume) {
        try {
            client.removeVolumeCmd(volume).exec();
        } catch (NotFoundException gone) {
            // removed by another instance meanwhile
        } catch (RuntimeException e) {
            // an older record left behind only delays nothing: readers take the latest expiry
        }
    }

    /** The engine's clock. */
    private Instant engineNow() {
        String time;
        try {
            time = client.infoCmd().exec().getSystemTime();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
        try {
            return OffsetDateTime.parse(time).toInstant();
        } catch (DateTimeParseException | NullPointerException e) {
            throw new AgentKernelException.BackendUnavailableException("The engine reported no usable time ("
                    + time + ")", e);
        }
    }

    private static Instant instantOrNull(String s) {
        try {
            return s == null ? null : Instant.parse(s);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** A short, fixed-length stand-in for the holder in volume names (holders may hold any character). */
    static String hash(String holder) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(holder.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
