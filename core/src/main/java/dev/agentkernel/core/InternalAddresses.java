package dev.agentkernel.core;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Which hosts are the host's own or its private networks: what neither an image pull (the engine connects as root
 * from the host) nor a source clone may be pointed at, so that a caller cannot use agentkernel to reach or scan them.
 */
public final class InternalAddresses {
    private InternalAddresses() {
    }

    /** A literal internal address, {@code localhost}, or a name that resolves to an internal address now. */
    public static boolean refused(String host) {
        if (isLocalName(host)) {
            return true;
        }
        Optional<InetAddress> literal = literal(host);
        if (literal.isPresent()) {
            return isInternal(literal.get());
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (isInternal(a)) {
                    return true;
                }
            }
        } catch (UnknownHostException e) {
            // the clone or pull fails by itself
        }
        return false;
    }

    public static boolean isLocalName(String host) {
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
    public static Optional<InetAddress> literal(String host) {
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
    public static boolean isInternal(InetAddress a) {
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
