package dev.agentkernel.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.model.Ulimit;
import dev.agentkernel.api.SecurityProfile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The disk quota of sandboxes with a writable root (permissive, moderate): {@code megabytes} of writable layer and
 * {@code inodes} files in it. A read-only root (restrictive) writes only to its size- and inode-capped tmpfs mounts.
 *
 * <ul>
 *   <li><b>Size, by the engine</b>, where its storage can: {@code --storage-opt size=} (overlay2 on xfs mounted with
 *       {@code pquota}, btrfs, zfs, devicemapper). Tried on the first create; refused once, never again.</li>
 *   <li><b>Per file, always</b>: {@code RLIMIT_FSIZE} at the quota, so no single write outgrows it (SIGXFSZ).</li>
 *   <li><b>Size and inodes, by a watch</b>: every {@link #INTERVAL_SECONDS} s the writable layer of each running
 *       writable-root sandbox of this instance is measured through the engine ({@code SizeRw}, and the number of
 *       changed paths when it grew or every {@link #INODE_ROUNDS} rounds); one over the quota is stopped (its files are kept; start it and delete, or
 *       remove it). The engine's overlay2 quota caps blocks only, so the inode watch runs everywhere; the size watch
 *       only where the engine cannot cap it. What it leaves open: what is written between two looks.</li>
 * </ul>
 * Thread-safe.
 */
final class DiskQuota implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DiskQuota.class);
    /** Settings key: the writable layer's size quota in MiB (default {@value #DEFAULT_MB}). */
    static final String MB_PROPERTY = "docker.disk_mb";
    /** Settings key: the writable layer's inode quota (default {@value #DEFAULT_INODES}). */
    static final String INODES_PROPERTY = "docker.disk_inodes";
    static final long DEFAULT_MB = 1024;
    static final long DEFAULT_INODES = 65_536;
    static final long INTERVAL_SECONDS = 5;
    /** Rounds between two inode counts of a sandbox whose layer size has not moved (empty files cost no size). */
    static final int INODE_ROUNDS = 6;

    /** Whether the engine caps the writable layer's size: unknown until the first create tried. */
    enum EngineSize { UNKNOWN, YES, NO }

    private final DockerClient client;
    private final String instanceId;
    private final long megabytes;
    private final long inodes;
    private final Consumer<String> forget;
    private volatile EngineSize engineSize;
    private volatile String storage;
    /** Per running container: the layer size at the last inode count, and the rounds since (watch thread only). */
    private final Map<String, long[]> lastCount = new HashMap<>();
    private ScheduledExecutorService watch;

    /**
     * @param forget told the id of a container the watch stopped (the agent connection goes with it)
     */
    DiskQuota(DockerClient client, String instanceId, long megabytes, long inodes, Consumer<String> forget) {
        this.client = client;
        this.instanceId = instanceId;
        this.megabytes = megabytes;
        this.inodes = inodes;
        this.forget = forget;
    }

    /** Asks the engine once what its storage is (on first use: the engine may be down when the backend opens). */
    private void detect() {
        if (storage != null) {
            return;
        }
        try {
            Info info = client.infoCmd().exec();
            String backing = backingFilesystem(info);
            engineSize = canCapSize(info.getDriver(), backing) ? EngineSize.UNKNOWN : EngineSize.NO;
            storage = info.getDriver() + (backing == null ? "" : " on " + backing);
        } catch (RuntimeException e) {
            engineSize = EngineSize.NO;
        }
    }

    static boolean canCapSize(String driver, String backing) {
        String d = driver == null ? "" : driver.toLowerCase(Locale.ROOT);
        return d.equals("btrfs") || d.equals("zfs") || d.equals("devicemapper")
                || (d.equals("overlay2") && "xfs".equalsIgnoreCase(backing));
    }

    private static String backingFilesystem(Info info) {
        if (info.getDriverStatuses() != null) {
            for (List<String> kv : info.getDriverStatuses()) {
                if (kv.size() == 2 && kv.get(0).equals("Backing Filesystem")) {
                    return kv.get(1);
                }
            }
        }
        return null;
    }

    static boolean writableRoot(SecurityProfile profile) {
        return !profile.readOnlyRoot();
    }

    /** Sets the per-file limit, and the engine's size quota unless it is known not to work. */
    void apply(HostConfig hc, SecurityProfile profile) {
        detect();
        long bytes = megabytes * 1024 * 1024;
        List<Ulimit> limits = new java.util.ArrayList<>(hc.getUlimits() == null ? List.of() : List.of(hc.getUlimits()));
        limits.add(new Ulimit("fsize", bytes, bytes));
        hc.withUlimits(limits.toArray(Ulimit[]::new));
        if (writableRoot(profile) && engineSize != EngineSize.NO) {
            hc.withStorageOpt(Map.of("size", megabytes + "m"));
        }
    }

    /** Whether a create failed because the storage cannot take the size option; if so it is not tried again. */
    boolean refusedSizeOption(RuntimeException e, HostConfig hc) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (hc.getStorageOpt() == null || !(m.contains("storage-opt") || m.contains("storage opt") || m.contains("quota"))) {
            return false;
        }
        engineSize = EngineSize.NO;
        hc.withStorageOpt(null);
        LOG.info("the engine's storage ({}) cannot cap the writable layer: the disk watch enforces {} MiB", storage,
                megabytes);
        return true;
    }

    /** A create with the size option worked. */
    void sizeOptionWorked() {
        engineSize = EngineSize.YES;
    }

    /** What is enforced here, for health and doctor. */
    String describe() {
        detect();
        String size = switch (engineSize) {
            case YES -> megabytes + " MiB by the engine (" + storage + ")";
            case UNKNOWN -> megabytes + " MiB by the engine if " + storage + " takes it, else by the watch";
            case NO -> megabytes + " MiB by the watch (" + storage + " cannot cap it; xfs with pquota could)";
        };
        return "writable root: size " + size + "; " + inodes + " inodes by the watch (every " + INTERVAL_SECONDS
                + " s, stops the sandbox); each file at most " + megabytes + " MiB (RLIMIT_FSIZE)";
    }

    /** Starts the watch (idempotent). */
    synchronized void start() {
        if (watch == null) {
            watch = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "agentkernel-disk-watch");
                t.setDaemon(true);
                return t;
            });
            watch.scheduleWithFixedDelay(this::lookSafely, INTERVAL_SECONDS, INTERVAL_SECONDS, TimeUnit.SECONDS);
        }
    }

    private void lookSafely() {
        try {
            look();
        } catch (RuntimeException e) {
            LOG.debug("disk watch round failed: {}", e.toString());
        }
    }

    /** One round over the running writable-root sandboxes of this instance. */
    void look() {
        List<Container> running = client.listContainersCmd()
                .withLabelFilter(Map.of(Labels.MANAGED, "true", Labels.OWNER, instanceId))
                .withStatusFilter(List.of("running")).exec();
        Map<String, long[]> seen = new HashMap<>();
        for (Container c : running) {
            SecurityProfile profile = profileOf(c.getLabels());
            if (profile == null || !writableRoot(profile)) {
                continue;
            }
            try {
                measure(c, seen);
            } catch (RuntimeException e) {
                LOG.debug("disk watch: {} not measured: {}", c.getId(), e.toString()); // removed meanwhile, most likely
            }
        }
        lastCount.clear();
        lastCount.putAll(seen);
    }

    /** Stops the container when it is over a quota, else notes what was seen for the next round. */
    private void measure(Container c, Map<String, long[]> seen) {
        InspectContainerResponse i = client.inspectContainerCmd(c.getId()).withSize(true).exec();
        long size = i.getSizeRw() == null ? 0 : i.getSizeRw();
        String over = null;
        long[] last = lastCount.get(c.getId());
        if (engineSize != EngineSize.YES && size > megabytes * 1024 * 1024) {
            over = (size >> 20) + " MiB, over " + megabytes + " MiB";
        } else if (last == null || last[0] != size || last[1] >= INODE_ROUNDS) {
            // Counting walks the whole layer: only when it grew, or every INODE_ROUNDS rounds (empty files and
            // directories do not count in SizeRw).
            int changed = client.containerDiffCmd(c.getId()).exec().size();
            if (changed > inodes) {
                over = changed + " files, over " + inodes;
            }
            last = new long[]{size, 0};
        }
        if (over != null) {
            stop(c, over);
        } else {
            seen.put(c.getId(), new long[]{last[0], last[1] + 1});
        }
    }

    private void stop(Container c, String why) {
        String name = c.getLabels() == null ? c.getId() : c.getLabels().get(Labels.NAME);
        LOG.warn("sandbox '{}' stopped: its writable layer holds {} (disk quota); its files are kept", name, why);
        forget.accept(c.getId());
        try {
            client.stopContainerCmd(c.getId()).withTimeout(0).exec();
        } catch (RuntimeException e) {
            LOG.warn("sandbox '{}': stopping it for its disk quota failed: {}", name, e.toString());
        }
    }

    private static SecurityProfile profileOf(Map<String, String> labels) {
        try {
            return labels == null ? null : SecurityProfile.fromWire(labels.get(Labels.PROFILE));
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public synchronized void close() {
        if (watch != null) {
            watch.shutdownNow();
        }
    }
}
