package dev.agentkernel.kubesim;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.VolumeOptions;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Docker volumes behind a pod's volumes: the files of a configMap or of the fake service-account token, and the
 * storage of a PersistentVolumeClaim. All carry the simulator's label so that {@link SimKubelet#close()} (or the next
 * simulator, after a crash) removes them.
 *
 * <p>A volume is filled through the archive API of a never-started helper container made from the local image the
 * pod runs as (its own, or the simulated registry's image for it: any local image will do).
 */
final class SimVolumes {
    private static final String HELPER_PATH = "/kubesim-fill";

    private final DockerClient docker;
    private final Map<String, String> labels;
    private final Set<String> ready = ConcurrentHashMap.newKeySet();
    private final Set<String> doomed = ConcurrentHashMap.newKeySet();

    SimVolumes(DockerClient docker, Map<String, String> labels) {
        this.docker = docker;
        this.labels = labels;
    }

    /** One file of a filled volume. */
    record FileEntry(String path, byte[] content, int mode) {
    }

    /**
     * A volume holding exactly {@code files}; {@code name} must identify the content (the caller derives it from the
     * object's uid and resourceVersion), so an existing volume of that name is reused as it is.
     */
    synchronized String filled(String name, String image, List<FileEntry> files) {
        if (ready.contains(name)) {
            return name;
        }
        if (!exists(name)) {
            createFilled(name, image, tar(0, 0, 0755, files));
        }
        ready.add(name);
        return name;
    }

    /**
     * The storage of a claim: made on first use with its root mode 0777, as hostPath-style provisioners (kind's and
     * k3s's local-path) make theirs, so any uid can write; kept until the claim is deleted.
     */
    synchronized String claim(String name, String image) {
        if (ready.contains(name)) {
            return name;
        }
        if (!exists(name)) {
            createFilled(name, image, tar(0, 0, 0777, List.of()));
        }
        ready.add(name);
        return name;
    }

    static Mount mount(String volume, String target, boolean readOnly) {
        return new Mount().withType(MountType.VOLUME).withSource(volume).withTarget(target).withReadOnly(readOnly)
                .withVolumeOptions(new VolumeOptions().withNoCopy(true));
    }

    /** Removes a volume, now or (when a container going away still holds it) at a later {@link #retry()}. */
    void remove(String name) {
        ready.remove(name);
        if (!KubeSim.removeVolume(docker, name)) {
            doomed.add(name);
        }
    }

    /** Tries again to remove the volumes that were in use. */
    void retry() {
        doomed.removeIf(name -> KubeSim.removeVolume(docker, name));
    }

    private boolean exists(String name) {
        try {
            docker.inspectVolumeCmd(name).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /**
     * Creates the volume and fills it; a fill that fails removes it again, or the next use would find it existing and
     * take it, empty, as filled.
     */
    private void createFilled(String name, String image, byte[] tar) {
        docker.createVolumeCmd().withName(name).withLabels(labels).exec();
        try {
            fill(name, image, tar);
        } catch (RuntimeException e) {
            try {
                docker.removeVolumeCmd(name).exec();
            } catch (RuntimeException removal) {
                e.addSuppressed(removal);
            }
            throw e;
        }
    }

    private void fill(String volume, String image, byte[] tar) {
        String helper = docker.createContainerCmd(image)
                .withName("kubesim-fill-" + UUID.randomUUID().toString().substring(0, 8))
                .withLabels(labels)
                .withEntrypoint("/nonexistent")
                .withNetworkDisabled(true)
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none")
                        .withMounts(List.of(mount(volume, HELPER_PATH, false))))
                .exec().getId();
        try {
            docker.copyArchiveToContainerCmd(helper).withRemotePath("/")
                    .withTarInputStream(new ByteArrayInputStream(tar)).exec();
        } finally {
            try {
                docker.removeContainerCmd(helper).withForce(true).exec();
            } catch (NotFoundException | ConflictException ignored) {
                // already going away
            }
        }
    }

    /**
     * A ustar archive to unpack at {@code /} of the helper: first the entry of the mount point itself (the engine
     * applies its owner and mode to the existing directory, i.e. the volume's root; an entry {@code ./} unpacked
     * into the mount point would be skipped), then the files with their parent directories.
     */
    static byte[] tar(int uid, int gid, int rootMode, List<FileEntry> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String root = HELPER_PATH.substring(1) + "/";
        entry(out, root, '5', rootMode, uid, gid, new byte[0]);
        Set<String> dirs = new java.util.HashSet<>();
        for (FileEntry f : files) {
            String[] parts = f.path().split("/");
            StringBuilder dir = new StringBuilder(root);
            for (int i = 0; i < parts.length - 1; i++) {
                dir.append(parts[i]).append('/');
                if (dirs.add(dir.toString())) {
                    entry(out, dir.toString(), '5', 0755, uid, gid, new byte[0]);
                }
            }
            entry(out, root + f.path(), '0', f.mode(), uid, gid, f.content());
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void entry(ByteArrayOutputStream out, String name, char type, int mode, int uid, int gid,
                              byte[] content) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 100) {
            throw new IllegalArgumentException("path too long for the simulator's archive: " + name);
        }
        System.arraycopy(n, 0, h, 0, n.length);
        put(h, 100, String.format("%07o", mode & 07777));
        put(h, 108, String.format("%07o", uid));
        put(h, 116, String.format("%07o", gid));
        put(h, 124, String.format("%011o", content.length));
        put(h, 136, String.format("%011o", 0L));
        h[156] = (byte) type;
        put(h, 257, "ustar");
        put(h, 263, "00");
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        h[155] = ' ';
        out.writeBytes(h);
        out.writeBytes(content);
        out.writeBytes(new byte[(512 - content.length % 512) % 512]);
    }

    private static void put(byte[] h, int offset, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, offset, b.length);
    }
}
