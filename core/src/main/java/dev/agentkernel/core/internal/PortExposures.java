package dev.agentkernel.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ExposedPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Which ports of which sandbox are exposed. Engines keep no mutable field for it, so, as {@link Expiries}, the
 * kernel keeps the table in a small JSON file written atomically on every change (memory only without a file).
 * Entries are kept by sandbox name together with the sandbox's uuid: a later sandbox of the same name (another
 * uuid) does not inherit the exposures of the one before, even if the removal was never seen here.
 */
public final class PortExposures {
    private static final Logger LOG = LoggerFactory.getLogger(PortExposures.class);

    private record Entry(String uuid, TreeMap<Integer, Instant> ports) {
    }

    private final Path file;
    private final Supplier<Instant> clock;
    private final Map<String, Entry> byName = new TreeMap<>(); // guarded by this
    private boolean loaded; // guarded by this

    /** @param file where the table is kept, or null for memory only */
    public PortExposures(Path file, Supplier<Instant> clock) {
        this.file = file;
        this.clock = clock;
    }

    /**
     * Exposes {@code port} (idempotent: the first exposure is returned again). More than {@code max} ports at once
     * is {@code BUSY}.
     */
    public synchronized ExposedPort expose(String name, String uuid, int port, int max) {
        Entry e = current(name, uuid);
        if (e == null) {
            e = new Entry(uuid, new TreeMap<>());
            byName.put(name, e);
        }
        Instant at = e.ports().get(port);
        if (at != null) {
            return new ExposedPort(port, at);
        }
        checkRoom(name, uuid, max);
        at = clock.get().truncatedTo(ChronoUnit.MILLIS);
        e.ports().put(port, at);
        save();
        return new ExposedPort(port, at);
    }

    /** {@code BUSY} when the sandbox has {@code max} ports exposed already. */
    public synchronized void checkRoom(String name, String uuid, int max) {
        Entry e = current(name, uuid);
        if (e != null && e.ports().size() >= max) {
            throw new AgentKernelException.BusyException("Sandbox '" + name + "' has " + max
                    + " ports exposed, the most allowed (ports.max_exposed_per_sandbox)");
        }
    }

    /** Whether it was exposed. */
    public synchronized boolean unexpose(String name, String uuid, int port) {
        Entry e = current(name, uuid);
        if (e == null || e.ports().remove(port) == null) {
            return false;
        }
        if (e.ports().isEmpty()) {
            byName.remove(name);
        }
        save();
        return true;
    }

    public synchronized List<ExposedPort> list(String name, String uuid) {
        Entry e = current(name, uuid);
        List<ExposedPort> out = new ArrayList<>();
        if (e != null) {
            e.ports().forEach((p, at) -> out.add(new ExposedPort(p, at)));
        }
        return out;
    }

    public synchronized Optional<ExposedPort> find(String name, String uuid, int port) {
        Entry e = current(name, uuid);
        Instant at = e == null ? null : e.ports().get(port);
        return at == null ? Optional.empty() : Optional.of(new ExposedPort(port, at));
    }

    /** Drops every exposure of the sandbox (removed). */
    public synchronized void forget(String name) {
        load();
        if (byName.remove(name) != null) {
            save();
        }
    }

    /** Drops the entries of sandboxes not among {@code present} (removed behind our back, or expired). */
    public synchronized void retainOnly(Collection<String> present) {
        load();
        if (byName.keySet().retainAll(present)) {
            save();
        }
    }

    /** The entry of the sandbox as it is now; an entry of an earlier sandbox of that name is dropped. */
    private Entry current(String name, String uuid) {
        load();
        Entry e = byName.get(name);
        if (e != null && !Objects.equals(e.uuid(), uuid)) {
            byName.remove(name);
            save();
            return null;
        }
        return e;
    }

    private void load() {
        if (loaded) {
            return;
        }
        loaded = true;
        if (file == null) {
            return;
        }
        try {
            JsonStateFile.read(file).ifPresent(doc -> doc.fields().forEachRemaining(n -> {
                try {
                    JsonNode v = n.getValue();
                    TreeMap<Integer, Instant> ports = new TreeMap<>();
                    v.path("ports").fields().forEachRemaining(p ->
                            ports.put(Integer.parseInt(p.getKey()), Instant.parse(p.getValue().asText())));
                    byName.put(n.getKey(), new Entry(v.hasNonNull("uuid") ? v.get("uuid").asText() : null, ports));
                } catch (RuntimeException bad) {
                    LOG.warn("Ignoring unreadable exposed ports of {} in {}", n.getKey(), file);
                }
            }));
        } catch (IOException | RuntimeException e) {
            LOG.warn("Cannot read the exposed ports in {}: {}", file, e.getMessage());
        }
    }

    private void save() {
        if (file == null) {
            return;
        }
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        byName.forEach((name, e) -> {
            ObjectNode n = root.putObject(name);
            if (e.uuid() != null) {
                n.put("uuid", e.uuid());
            }
            ObjectNode ports = n.putObject("ports");
            e.ports().forEach((p, at) -> ports.put(Integer.toString(p), at.toString()));
        });
        try {
            JsonStateFile.write(file, root);
        } catch (IOException e) {
            // Still held in memory; lost after a restart, so say so.
            LOG.warn("Cannot save the exposed ports to {}: {}", file, e.getMessage());
        }
    }
}
