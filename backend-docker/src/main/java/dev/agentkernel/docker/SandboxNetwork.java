package dev.agentkernel.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Network;
import dev.agentkernel.api.AgentKernelException;

import java.util.Map;

/**
 * The bridge network every networked sandbox joins, instead of the engine's shared {@code docker0}: ours, with
 * inter-container traffic off ({@value #ICC_OPTION}=false, which the engine enforces with an iptables rule that
 * sees bridged traffic through br_netfilter) and a fixed bridge interface name, {@value #BRIDGE}, that the host
 * firewall of {@code scripts/docker-bootstrap.sh} matches ({@code ak-sbx+}) to refuse the host's own addresses and
 * private ranges. Outbound traffic is masqueraded as on any Docker bridge.
 *
 * <p>Made on first use and then reused by every process of every agentkernel on this engine; never removed by us
 * (other instances' sandboxes may be on it). A network of this name with inter-container traffic on is refused
 * rather than used. Thread-safe.
 */
final class SandboxNetwork {
    static final String NAME = "agentkernel-sandboxes";
    /** Interface names are at most 15 characters; the firewall matches the prefix {@code ak-sbx}. */
    static final String BRIDGE = "ak-sbx0";
    static final String ICC_OPTION = "com.docker.network.bridge.enable_icc";
    static final String BRIDGE_NAME_OPTION = "com.docker.network.bridge.name";
    static final String LABEL = "dev.agentkernel.network";

    private final DockerClient client;
    private volatile boolean ready;

    SandboxNetwork(DockerClient client) {
        this.client = client;
    }

    /** The network's name, after making sure it exists as it should. */
    String ensure() {
        if (!ready) {
            synchronized (this) {
                if (!ready) {
                    verify(find().orElseGet(this::create));
                    ready = true;
                }
            }
        }
        return NAME;
    }

    /** After a create failed because the network vanished (a {@code docker network prune}): look again next time. */
    void forget() {
        ready = false;
    }

    /** One line for health and doctor. */
    String describe() {
        try {
            ensure();
            return NAME + " (bridge " + BRIDGE + ", inter-sandbox traffic off)";
        } catch (AgentKernelException e) {
            return "unusable: " + e.getMessage();
        }
    }

    private java.util.Optional<Network> find() {
        try {
            return java.util.Optional.of(client.inspectNetworkCmd().withNetworkId(NAME).exec());
        } catch (NotFoundException e) {
            return java.util.Optional.empty();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
    }

    private Network create() {
        try {
            client.createNetworkCmd()
                    .withName(NAME)
                    .withDriver("bridge")
                    // The engine otherwise accepts a second network of the same name: two JVMs starting at once.
                    .withCheckDuplicate(true)
                    .withOptions(Map.of(ICC_OPTION, "false", BRIDGE_NAME_OPTION, BRIDGE))
                    .withLabels(Map.of(LABEL, "sandboxes"))
                    .exec();
        } catch (ConflictException raced) {
            // made by someone else meanwhile: use theirs (verified below)
        } catch (RuntimeException e) {
            throw new AgentKernelException.BackendUnavailableException("Cannot create the sandbox network " + NAME
                    + ": " + DockerErrors.map(e).getMessage(), e);
        }
        return find().orElseThrow(() -> new AgentKernelException.BackendUnavailableException(
                "The sandbox network " + NAME + " vanished right after it was made", null));
    }

    private static void verify(Network n) {
        Map<String, String> options = n.getOptions() == null ? Map.of() : n.getOptions();
        if (!"bridge".equals(n.getDriver()) || !"false".equals(options.get(ICC_OPTION))
                || !BRIDGE.equals(options.get(BRIDGE_NAME_OPTION))) {
            throw new AgentKernelException.BackendUnavailableException("The network " + NAME + " exists but is not "
                    + "ours (it must be a bridge " + BRIDGE + " with " + ICC_OPTION + "=false); remove it with "
                    + "'docker network rm " + NAME + "' and agentkernel makes it again", null);
        }
    }
}
