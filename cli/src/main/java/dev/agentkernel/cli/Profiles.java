package dev.agentkernel.cli;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SecurityProfile;

import java.util.Arrays;
import java.util.Iterator;

/** Profile names on the command line, and what {@code --no-network} means. */
public final class Profiles implements Iterable<String> {

    /** For picocli's help and completion: the valid names. */
    @Override
    public Iterator<String> iterator() {
        return Arrays.stream(SecurityProfile.values()).map(SecurityProfile::wireName).iterator();
    }

    /**
     * The profile to use, or null for the configured default. {@code --no-network} selects {@code restrictive}:
     * it is the only profile without a network (it also has a read-only root with a writable /tmp and workdir,
     * no capabilities and a non-root user); asking for another profile with it is a usage error.
     */
    public static SecurityProfile choose(String profile, boolean noNetwork) {
        SecurityProfile chosen = profile == null ? null : SecurityProfile.fromWire(profile);
        if (noNetwork) {
            if (chosen != null && chosen.network() != SecurityProfile.Network.NONE) {
                throw new AgentKernelException.InvalidRequestException("--no-network cannot be combined with --profile "
                        + profile + " (it has a network); --no-network selects the restrictive profile");
            }
            return SecurityProfile.RESTRICTIVE;
        }
        return chosen;
    }
}
