package dev.agentkernel.docker;

import dev.agentkernel.api.AgentKernelException;

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

    boolean pullsAtAll() {
        return !registries.isEmpty();
    }

    /** Refuses a reference naming a registry on a loopback, link-local or private address (see the class). */
    void checkReference(String image) {
        Optional<String> registry = registry(image);
        if (registry.isEmpty() || registries.contains(registry.get().toLowerCase(Locale.ROOT))) {
            return;
        }
        String host = host(registry.get());
        if (isLocalName(host) || literal(host).map(ImagePolicy::isInternal).orElse(false)) {
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
        if (literal(host).isPresent()) {
            return; // checked by checkReference
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (isInternal(a)) {
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

    private static boolean isLocalName(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        while (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h.equals("localhost") || h.endsWith(".localhost");
    }

    /**
     * The address a literal host names, without any name lookup: IPv6 with colons, and IPv4 in every form the C
     * library's {@code inet_aton} accepts ({@code 127.1}, {@code 2130706433}, {@code 0x7f.0.0.1}, octal), since the
     * engine's resolver may hand the name to it.
     */
    static Optional<InetAddress> literal(String host) {
        try {
            if (host.contains(":")) {
                return host.matches("[0-9A-Fa-f:.%a-zA-Z]+") ? Optional.of(InetAddress.getByName(host)) : Optional.empty();
            }
            String[] parts = host.split("\\.", -1);
            if (parts.length > 4) {
                return Optional.empty();
            }
            long[] n = new long[parts.length];
            for (int i = 0; i < parts.length; i++) {
                Long v = number(parts[i]);
                if (v == null) {
                    return Optional.empty();
                }
                n[i] = v;
            }
            long value = 0;
            for (int i = 0; i < n.length - 1; i++) {
                if (n[i] > 255) {
                    return Optional.empty();
                }
                value = value << 8 | n[i];
            }
            int rest = 4 - (n.length - 1);
            long last = n[n.length - 1];
            if (last >= 1L << (8 * rest)) {
                return Optional.empty();
            }
            value = value << (8 * rest) | last;
            return Optional.of(InetAddress.getByAddress(new byte[]{(byte) (value >>> 24), (byte) (value >>> 16),
                    (byte) (value >>> 8), (byte) value}));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** One inet_aton part: decimal, 0x hex or 0-led octal; null when it is not a number. */
    private static Long number(String part) {
        try {
            if (part.matches("0[xX][0-9a-fA-F]+")) {
                return Long.parseLong(part.substring(2), 16);
            }
            if (part.matches("0[0-7]+")) {
                return Long.parseLong(part.substring(1), 8);
            }
            if (part.matches("[0-9]{1,12}")) {
                return Long.parseLong(part);
            }
            return null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Loopback, link-local, private (RFC 1918, fc00::/7), CGNAT, unspecified or multicast. */
    static boolean isInternal(InetAddress a) {
        if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress() || a.isAnyLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (b.length == 4) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first == 0 || (first == 100 && second >= 64 && second < 128) || first >= 240;
        }
        // fc00::/7 unique local; IPv4-mapped and -compatible forms of internal IPv4 addresses.
        if ((b[0] & 0xfe) == 0xfc) {
            return true;
        }
        boolean v4Embedded = true;
        for (int i = 0; i < 10; i++) {
            v4Embedded &= b[i] == 0;
        }
        if (v4Embedded && ((b[10] == 0 && b[11] == 0) || (b[10] == (byte) 0xff && b[11] == (byte) 0xff))) {
            try {
                return isInternal(InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16)));
            } catch (UnknownHostException e) {
                return true;
            }
        }
        return false;
    }
}
