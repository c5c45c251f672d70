package dev.agentkernel.kubernetes;

import dev.agentkernel.docker.agent.AgentBinary;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.Base64;

/**
 * Gets the agent into pods without an image of our own in the user's registry: the static binary is kept in an
 * immutable configMap named by its content hash ({@code agentkernel-agent-<sha256 prefix>}), made once per
 * namespace by whichever instance needs it first, and mounted read-only (mode 0555) at {@value PodSpecs#AGENT_DIR}
 * in every sandbox pod. The API server limits a configMap to 1 MiB of data; a binary over that cannot be
 * delivered this way and {@link #unavailableReason} says so (sandboxes then use pod exec).
 */
final class AgentDelivery {
    static final String EXECUTABLE = PodSpecs.AGENT_DIR + "/" + AgentBinary.RESOURCE;
    static final int MAX_CONFIGMAP_BYTES = 1024 * 1024;

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final String unavailable;
    private volatile boolean ready;

    AgentDelivery(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
        String why = null;
        String n = null;
        if (!AgentBinary.isBundled()) {
            why = "the agent binary is not in this build";
        } else {
            AgentBinary binary = AgentBinary.bundled();
            n = "agentkernel-agent-" + binary.sha256().substring(0, 16);
            if (binary.size() > MAX_CONFIGMAP_BYTES - 1024) {
                why = "the agent binary (" + binary.size() + " bytes) is over the 1 MiB a configMap can hold";
            }
        }
        this.name = n;
        this.unavailable = why;
    }

    /** Why the agent cannot be delivered, or null when it can. */
    String unavailableReason() {
        return unavailable;
    }

    String configMapName() {
        return name;
    }

    /** Makes sure the configMap exists (cheap after the first call); throws when it cannot be made. */
    String ensure() {
        if (unavailable != null) {
            throw new IllegalStateException(unavailable);
        }
        if (ready) {
            return name;
        }
        synchronized (this) {
            if (!ready) {
                if (client.configMaps().inNamespace(namespace).withName(name).get() == null) {
                    ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withName(name)
                            .addToLabels(SandboxMeta.DOMAIN + "agent", "binary").endMetadata()
                            .withImmutable(true)
                            .addToBinaryData(AgentBinary.RESOURCE,
                                    Base64.getEncoder().encodeToString(AgentBinary.bundled().bytes()))
                            .build();
                    try {
                        client.configMaps().inNamespace(namespace).resource(cm).create();
                    } catch (KubernetesClientException e) {
                        if (e.getCode() != 409) { // made by another instance meanwhile: same name, same bytes
                            throw e;
                        }
                    }
                }
                ready = true;
            }
        }
        return name;
    }
}
