package dev.agentkernel.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Maps the names and values agentkernel uses onto what a Kubernetes API server accepts, for backends whose engine
 * is stricter than the wire. Sandbox names on the wire allow upper case, {@code _} and {@code .}; object names must
 * be DNS-1123 labels and label values have their own rule. Both mappings keep a value that is already valid as it
 * is, and otherwise make it valid and append {@code --} and 8 hex digits of the SHA-256 of the original, so two
 * different inputs never meet (a valid input that already ends like that is treated as invalid, for the same
 * reason). They are not reversible: a backend keeps the original (an annotation, say) and uses the mapped form for
 * naming and selecting.
 */
public final class ResourceNames {
    /** DNS-1123 label: what Kubernetes requires of most object names and of label keys' name part. */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    /** Kubernetes label value: empty, or alphanumerics with {@code -_.} inside. */
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");
    /** What a mapped value ends with; an input ending like this is mapped too. */
    private static final Pattern MAPPED_SUFFIX = Pattern.compile(".*--[0-9a-f]{8}");
    public static final int MAX_LENGTH = 63;
    private static final int HASH_LENGTH = 8;

    private ResourceNames() {
    }

    /** {@code name} as a DNS-1123 label of at most 63 characters. */
    public static String dnsLabel(String name) {
        return dnsLabel(name, MAX_LENGTH);
    }

    /** {@code name} as a DNS-1123 label of at most {@code maxLength} characters (at least 11). */
    public static String dnsLabel(String name, int maxLength) {
        Objects.requireNonNull(name, "name");
        checkRoom(maxLength);
        if (name.length() <= maxLength && DNS_LABEL.matcher(name).matches() && !MAPPED_SUFFIX.matcher(name).matches()) {
            return name;
        }
        String lower = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        return withHash(trim(lower, maxLength - HASH_LENGTH - 2), name);
    }

    /** {@code value} as a valid Kubernetes label value. */
    public static String labelValue(String value) {
        Objects.requireNonNull(value, "value");
        if (value.length() <= MAX_LENGTH && LABEL_VALUE.matcher(value).matches()
                && !MAPPED_SUFFIX.matcher(value).matches()) {
            return value;
        }
        String safe = value.replaceAll("[^A-Za-z0-9_.-]", "_");
        return withHash(trim(safe, MAX_LENGTH - HASH_LENGTH - 2), value);
    }

    /** An instant as a label value that is exact and sorts like the time: milliseconds since the epoch. */
    public static String labelValue(Instant instant) {
        return Long.toString(instant.toEpochMilli());
    }

    /** The inverse of {@link #labelValue(Instant)}. */
    public static Instant instantOfLabelValue(String value) {
        return Instant.ofEpochMilli(Long.parseLong(value));
    }

    /** At most {@code max} characters, without leading or trailing characters that may not end a label. */
    private static String trim(String s, int max) {
        String cut = s.length() > max ? s.substring(0, max) : s;
        return cut.replaceAll("^[^A-Za-z0-9]+", "").replaceAll("[^A-Za-z0-9]+$", "");
    }

    private static String withHash(String base, String original) {
        String hash = hash(original);
        return base.isEmpty() ? hash : base + "--" + hash;
    }

    private static void checkRoom(int maxLength) {
        if (maxLength < HASH_LENGTH + 3 || maxLength > MAX_LENGTH) {
            throw new IllegalArgumentException("maxLength must be between " + (HASH_LENGTH + 3) + " and " + MAX_LENGTH);
        }
    }

    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, HASH_LENGTH / 2);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
