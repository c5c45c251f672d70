package dev.agentkernel.api;

import java.util.regex.Pattern;

/** The validation rules shared by the value types. Failures are {@link AgentKernelException.InvalidRequestException}s naming the field. */
public final class Validation {
    /** Sandbox names: 1-63 chars, ASCII letters, digits, '-', '_' and '.', starting with a letter or digit, no "..". */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    /** Image references: registry/repo:tag@digest in ASCII, no whitespace or control characters. */
    private static final Pattern IMAGE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}");
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,255}");
    private static final Pattern UUID_TEXT = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    /** Upstream's durations: a plain number of seconds, or groups such as {@code 1h30m}, {@code 2d}. */
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9}[smhd])+|\\d{1,9}");
    private static final Pattern DURATION_GROUP = Pattern.compile("(\\d{1,9})([smhd])");
    /**
     * The longest duration text: matching the repeated group recurses once per group, so thousands of groups
     * overflow the stack (a StackOverflowError, not a 400); a year in seconds needs 8 characters.
     */
    private static final int MAX_DURATION_LENGTH = 32;
    /** Ids of detached commands: what we hand out (8 hex digits) and a little room. */
    private static final Pattern DETACHED_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** The longest TTL or extension: a year, so that an expiry is always a sane instant. */
    public static final java.time.Duration MAX_TTL = java.time.Duration.ofDays(366);

    public static final int MIN_VCPUS = 1;
    public static final int MAX_VCPUS = 64;
    public static final int MIN_MEMORY_MB = 16;
    public static final int MAX_MEMORY_MB = 262_144;
    public static final int MAX_PATH_LENGTH = 4096;
    public static final int MAX_ARGS = 4096;
    public static final int MAX_ARGV_BYTES = 1 << 20;
    /** Commands in one batch: each runs in its own sandbox, so a bigger batch is a denial of service. */
    public static final int MAX_BATCH = 256;

    private Validation() {
    }

    public static AgentKernelException.InvalidRequestException invalid(String message) {
        return new AgentKernelException.InvalidRequestException(message);
    }

    public static String sandboxName(String name) {
        if (name == null || name.isEmpty()) {
            throw invalid("Invalid sandbox name: 'name' is required");
        }
        return named("sandbox name", name);
    }

    /** A TCP port number inside a sandbox: 1-65535. */
    public static int port(int port) {
        if (port < 1 || port > 65535) {
            throw invalid("Invalid port " + port + ": must be 1-65535");
        }
        return port;
    }

    public static String image(String image) {
        if (image == null) {
            return null;
        }
        if (!IMAGE.matcher(image).matches() || image.contains("..") || image.contains("//")) {
            throw invalid("Invalid image '" + printable(image) + "': not a valid image reference");
        }
        return image;
    }

    public static int vcpus(int vcpus) {
        if (vcpus < MIN_VCPUS || vcpus > MAX_VCPUS) {
            throw invalid("Invalid vcpus " + vcpus + ": must be between " + MIN_VCPUS + " and " + MAX_VCPUS);
        }
        return vcpus;
    }

    public static int memoryMb(int memoryMb) {
        if (memoryMb < MIN_MEMORY_MB || memoryMb > MAX_MEMORY_MB) {
            throw invalid("Invalid memory_mb " + memoryMb + ": must be between " + MIN_MEMORY_MB + " and " + MAX_MEMORY_MB);
        }
        return memoryMb;
    }

    public static String envKey(String key) {
        if (key == null || !ENV_KEY.matcher(key).matches()) {
            throw invalid("Invalid env name '" + printable(String.valueOf(key)) + "': use letters, digits and '_', not starting with a digit");
        }
        return key;
    }

    public static String noNul(String field, String value) {
        if (value != null && value.indexOf('\0') >= 0) {
            throw invalid("Invalid " + field + ": contains a NUL character");
        }
        return value;
    }

    /**
     * Validates and normalises a path inside a sandbox: absolute (a relative path is taken from '/'),
     * no NUL or control characters, no '..' segment, no empty result. Returns the normalised form
     * without duplicate or trailing slashes and without '.' segments.
     */
    public static String sandboxPath(String path) {
        if (path == null || path.isEmpty()) {
            throw invalid("Invalid path: a file path is required");
        }
        if (path.length() > MAX_PATH_LENGTH) {
            throw invalid("Invalid path: longer than " + MAX_PATH_LENGTH + " characters");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\0') {
                throw invalid("Invalid path: contains a NUL character");
            }
            if (c < 0x20 || c == 0x7f) {
                throw invalid("Invalid path: contains a control character");
            }
        }
        StringBuilder out = new StringBuilder();
        for (String segment : path.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                throw invalid("Invalid path '" + path + "': '..' is not allowed");
            }
            out.append('/').append(segment);
        }
        if (out.length() == 0) {
            throw invalid("Invalid path '" + path + "': names a directory, not a file");
        }
        return out.toString();
    }

    /** A sandbox uuid in canonical form (lower case); anything else is a 400 naming {@code field}. */
    public static String uuid(String field, String uuid) {
        if (uuid == null || !UUID_TEXT.matcher(uuid).matches()) {
            throw invalid("Invalid " + field + " '" + printable(String.valueOf(uuid)) + "': not a UUID");
        }
        return uuid.toLowerCase(java.util.Locale.ROOT);
    }

    public static String uuid(String uuid) {
        return uuid("uuid", uuid);
    }

    /**
     * Parses a duration as upstream writes it ({@code 90} seconds, {@code 30m}, {@code 1h30m}, {@code 2d}); positive
     * and at most {@link #MAX_TTL}, else a 400 naming {@code field}.
     */
    public static java.time.Duration duration(String field, String text) {
        if (text == null || text.length() > MAX_DURATION_LENGTH || !DURATION.matcher(text).matches()) {
            throw invalid("Invalid " + field + " '" + printable(String.valueOf(text))
                    + "': use seconds (90) or groups of digits with s, m, h or d (1h30m, 2d)");
        }
        long seconds = 0;
        if (text.chars().allMatch(Character::isDigit)) {
            seconds = Long.parseLong(text);
        } else {
            java.util.regex.Matcher m = DURATION_GROUP.matcher(text);
            while (m.find()) {
                long n = Long.parseLong(m.group(1));
                seconds += switch (m.group(2)) {
                    case "s" -> n;
                    case "m" -> n * 60;
                    case "h" -> n * 3600;
                    default -> n * 86400;
                };
            }
        }
        if (seconds <= 0 || seconds > MAX_TTL.toSeconds()) {
            throw invalid("Invalid " + field + " '" + text + "': must be between 1 second and " + MAX_TTL.toDays()
                    + " days");
        }
        return java.time.Duration.ofSeconds(seconds);
    }

    /** A TTL or an extension: positive and at most {@link #MAX_TTL}, else a 400 naming {@code field}. */
    public static java.time.Duration ttl(String field, java.time.Duration d) {
        if (d == null || d.isNegative() || d.isZero() || d.compareTo(MAX_TTL) > 0) {
            throw invalid("Invalid " + field + ": must be between 1 second and " + MAX_TTL.toDays() + " days");
        }
        return d;
    }

    /** The id of a detached command. */
    public static String detachedId(String id) {
        if (id == null || !DETACHED_ID.matcher(id).matches()) {
            throw invalid("Invalid detached command id '" + printable(String.valueOf(id)) + "'");
        }
        return id;
    }

    // ---- snapshots, volumes, secrets, sources (issue 15)

    /** Snapshot and volume names: the sandbox name rule, which is also a valid Docker tag and volume name. */
    public static String snapshotName(String name) {
        return named("snapshot name", name);
    }

    public static String volumeName(String name) {
        return named("volume name", name);
    }

    /** Secret keys are file names under the secrets directory and environment-like: {@code [A-Za-z_][A-Za-z0-9_]*}. */
    public static String secretKey(String key) {
        if (key == null || !ENV_KEY.matcher(key).matches() || key.length() > 128) {
            throw invalid("Invalid secret key '" + printable(String.valueOf(key))
                    + "': use 1-128 letters, digits and '_', not starting with a digit");
        }
        return key;
    }

    private static final Pattern GIT_SSH_SCP = Pattern.compile("git@([A-Za-z0-9][A-Za-z0-9.-]*):[A-Za-z0-9._~][A-Za-z0-9._~/-]*");
    private static final Pattern GIT_REF = Pattern.compile("[A-Za-z0-9/_.-]{1,255}");

    /**
     * A {@code source_url}: upstream's rule ({@code https://}, {@code ssh://} or {@code git@host:path}), no
     * credentials in it, no whitespace or control characters, no option-like start. Returns the host it names,
     * which the caller checks against internal addresses.
     */
    public static String gitUrlHost(String url) {
        if (url == null || url.isEmpty()) {
            throw invalid("Invalid source_url: empty");
        }
        if (url.length() > 2048) {
            throw invalid("Invalid source_url: longer than 2048 characters");
        }
        java.util.regex.Matcher scp = GIT_SSH_SCP.matcher(url);
        if (scp.matches()) {
            return scp.group(1);
        }
        if (!url.startsWith("https://") && !url.startsWith("ssh://")) {
            throw invalid("Invalid source_url '" + printable(url) + "': only https://, ssh:// and git@host:path are allowed");
        }
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            throw invalid("Invalid source_url '" + printable(url) + "': not a valid URL");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw invalid("Invalid source_url '" + printable(url) + "': no host");
        }
        if (uri.getRawUserInfo() != null && !(url.startsWith("ssh://") && uri.getRawUserInfo().matches("[A-Za-z0-9._-]+"))) {
            throw invalid("Invalid source_url: credentials in the URL are not allowed (use secret_files)");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw invalid("Invalid source_url '" + printable(url) + "': no query or fragment");
        }
        String host = uri.getHost();
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** A {@code source_ref}: a branch, tag or commit in {@code [A-Za-z0-9/_.-]}, not starting with '-', no "..". */
    public static String gitRef(String ref) {
        if (ref == null || !GIT_REF.matcher(ref).matches() || ref.startsWith("-") || ref.contains("..")) {
            throw invalid("Invalid source_ref '" + printable(String.valueOf(ref))
                    + "': use letters, digits, '/', '_', '.' and '-', not starting with '-'");
        }
        return ref;
    }

    private static String named(String what, String name) {
        if (name == null || name.isEmpty()) {
            throw invalid("Invalid " + what + ": a name is required");
        }
        if (!NAME.matcher(name).matches() || name.contains("..")) {
            throw invalid("Invalid " + what + " '" + printable(name) + "': use 1-63 ASCII letters, digits, '-', '_' or '.', "
                    + "starting with a letter or digit");
        }
        return name;
    }

    /** A form of user input safe to echo in an error message: control characters escaped, length bounded. */
    public static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 80; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (b.length() >= 80) {
            b.append("...");
        }
        return b.toString();
    }
}
