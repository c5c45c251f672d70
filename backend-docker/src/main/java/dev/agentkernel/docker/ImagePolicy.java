package dev.agentkernel.docker;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.InternalAddresses;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where images may come from. A pull makes the engine (root, on the host's network) connect to the registry an
 * image reference names, so a caller who names {@code 127.0.0.1:PORT/x} scans the host's loopback and reads the
 * answers from the error text (issue 16). Hence:
 * <ul>
 *   <li>references whose registry is a loopback, link-local, private or unspecified address, or {@code localhost},
 *       are refused (400) before the engine sees them, unless the operator lists that very registry;</li>
 *   <li>pulling happens only from the registries the operator allows ({@code *}: any), and with {@code *} a registry
 *       name that resolves to such an address is refused too (checked just before the pull; a name whose answer
 *       changes in between is not caught, an allowlist is);</li>
 *   <li>a failed pull says that it failed, not what the engine said (that text is the oracle); it is logged.</li>
 * </ul>
 */
final class ImagePolicy {
    static final String ANY = "*";
    private static final String DEFAULT_REGISTRY = "docker.io";

    private final List<String> registries;

    private ImagePolicy(List<String> registries) {
        this.registries = registries;
    }

    /**
     * @param value comma-separated registries ({@code host[:port]}), {@code *} or {@code true} for any, empty or
     *              {@code false} for none
     */
    static ImagePolicy parse(String value) {
        String v = value == null ? "" : value.trim();
        if (v.isEmpty() || v.equalsIgnoreCase("false")) {
            return new ImagePolicy(List.of());
        }
        if (v.equalsIgnoreCase("true")) {
            return new ImagePolicy(List.of(ANY));
        }
        return new ImagePolicy(Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(s -> s.toLowerCase(Locale.ROOT)).toList());
    }

    /** What {@code doctor} and health show. */
    String describe() {
        return registries.isEmpty() ? "never" : registries.contains(ANY) ? "any public registry"
                : "only from " + String.join(", ", registries);
    }

    /** Refuses a reference naming a registry on a loopback, link-local or private address (see the class). */
    void checkReference(String image) {
        Optional<String> registry = registry(image);
        if (registry.isEmpty() || registries.contains(registry.get().toLowerCase(Locale.ROOT))) {
            return;
        }
        String host = host(registry.get());
        if (InternalAddresses.isLocalName(host) || InternalAddresses.literal(host).map(InternalAddresses::isInternal).orElse(false)) {
            throw refused(image);
        }
    }

    /** Throws unless {@code image} may be pulled now; resolves the registry name when any registry is allowed. */
    void checkPull(String image) {
        String registry = registry(image).orElse(DEFAULT_REGISTRY).toLowerCase(Locale.ROOT);
        if (registries.contains(registry)) {
            return;
        }
        if (!registries.contains(ANY)) {
            throw new AgentKernelException.InvalidRequestException("Image '" + image + "' is not available locally, and "
                    + (registries.isEmpty() ? "pulling is turned off" : "pulling from " + registry + " is not allowed")
                    + " ([sandbox] pull_registries)");
        }
        String host = host(registry);
        if (InternalAddresses.literal(host).isPresent()) {
            return; // checked by checkReference
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (InternalAddresses.isInternal(a)) {
                    throw refused(image);
                }
            }
        } catch (UnknownHostException e) {
            // the pull fails by itself, with our own message
        }
    }

    private static AgentKernelException refused(String image) {
        return new AgentKernelException.InvalidRequestException("Invalid image '" + image + "': its registry is on a "
                + "loopback, link-local or private address (allow it by name in [sandbox] pull_registries)");
    }

    /**
     * The registry part of a reference, as the engine reads it: the first path component when it has a dot, a colon
     * or is {@code localhost} (or is a bracketed IPv6 address); otherwise none (Docker Hub).
     */
    static Optional<String> registry(String image) {
        int slash = image.indexOf('/');
        if (slash < 0) {
            return Optional.empty();
        }
        String first = image.substring(0, slash);
        boolean isRegistry = first.contains(".") || first.contains(":") || first.startsWith("[")
                || first.equalsIgnoreCase("localhost");
        return isRegistry ? Optional.of(first) : Optional.empty();
    }

    /** host of host[:port] or [v6][:port]. */
    static String host(String registry) {
        if (registry.startsWith("[")) {
            int end = registry.indexOf(']');
            return end < 0 ? registry.substring(1) : registry.substring(1, end);
        }
        int colon = registry.lastIndexOf(':');
        return colon < 0 ? registry : registry.substring(0, colon);
    }

}
