package dev.agentkernel.docker.agent;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.VolumeOptions;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gets the agent binary into containers without host paths and without writing into their root filesystem
 * (which may be read-only): a Docker volume per binary hash, {@code agentkernel-agent-<sha256 prefix>}, filled
 * once through the archive API of a short-lived, never-started helper container, and mounted read-only at
 * {@link #MOUNT_POINT} in every sandbox. The engine keeps the volume, so later processes reuse it.
 */
public final class AgentVolume {
    public static final String MOUNT_POINT = "/.agentkernel";
    public static final String EXECUTABLE = MOUNT_POINT + "/" + AgentBinary.RESOURCE;
    /** Marks the volume and the helper container, so nobody mistakes them for sandboxes. */
    public static final String LABEL = "dev.agentkernel.agent";

    private final DockerClient client;
    private final AgentBinary binary;
    private final String name;
    private final Set<String> ready = ConcurrentHashMap.newKeySet();

    public AgentVolume(DockerClient client, AgentBinary binary) {
        this.client = client;
        this.binary = binary;
        this.name = "agentkernel-agent-" + binary.sha256().substring(0, 16);
    }

    public String name() {
        return name;
    }

    /** The read-only mount of the volume that every agent sandbox gets. */
    public Mount mount() {
        return new Mount().withType(MountType.VOLUME).withSource(name).withTarget(MOUNT_POINT).withReadOnly(true)
                .withVolumeOptions(new VolumeOptions().withNoCopy(true));
    }

    /**
     * Makes sure the volume exists and holds the binary; cheap after the first call. {@code image} is any local
     * image (the helper container is created from it but never started).
     */
    public void ensure(String image) {
        if (ready.contains(name)) {
            return;
        }
        synchronized (this) {
            if (ready.contains(name)) {
                return;
            }
            try {
                client.inspectVolumeCmd(name).exec();
            } catch (NotFoundException e) {
                client.createVolumeCmd().withName(name)
                        .withLabels(Map.of(LABEL, "binary", LABEL + ".sha256", binary.sha256())).exec();
            }
            String helper = client.createContainerCmd(image)
                    .withName("agentkernel-agent-fill-" + UUID.randomUUID().toString().substring(0, 8))
                    .withLabels(Map.of(LABEL, "volume-helper"))
                    .withEntrypoint(EXECUTABLE)
                    .withNetworkDisabled(true)
                    .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none")
                            .withMounts(java.util.List.of(new Mount().withType(MountType.VOLUME).withSource(name)
                                    .withTarget(MOUNT_POINT).withVolumeOptions(new VolumeOptions().withNoCopy(true)))))
                    .exec().getId();
            try {
                if (!present(helper)) {
                    // The file name never changes for a given volume (the volume is named by the content hash),
                    // so a concurrent filler elsewhere writes identical bytes.
                    client.copyArchiveToContainerCmd(helper).withRemotePath(MOUNT_POINT)
                            .withTarInputStream(new ByteArrayInputStream(tar(AgentBinary.RESOURCE, binary.bytes())))
                            .exec();
                }
            } finally {
                try {
                    client.removeContainerCmd(helper).withForce(true).exec();
                } catch (NotFoundException | ConflictException ignored) {
                    // already going away
                }
            }
            ready.add(name);
        }
    }

    private boolean present(String helper) {
        try (InputStream in = client.copyArchiveFromContainerCmd(helper, EXECUTABLE).exec()) {
            // the tar of a file: 512-byte header with the size in octal at offset 124
            byte[] head = in.readNBytes(512);
            if (head.length < 512) {
                return false;
            }
            String octal = new String(head, 124, 11, StandardCharsets.US_ASCII).trim();
            in.transferTo(java.io.OutputStream.nullOutputStream()); // drain: an unread stream leaks a connection
            return Long.parseLong(octal, 8) == binary.size();
        } catch (NotFoundException e) {
            return false;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /** A one-file ustar archive: regular file, mode 0755, owned by root. */
    static byte[] tar(String fileName, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 2048);
        byte[] h = new byte[512];
        put(h, 0, fileName);
        put(h, 100, "0000755");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", content.length));
        put(h, 136, String.format("%011o", 0L));
        h[156] = '0';
        put(h, 257, "ustar");
        h[262] = 0;
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
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] h, int offset, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, offset, b.length);
    }
}
