package dev.agentkernel.api;

/**
 * A named volume attached to a sandbox at an absolute path, read-only when {@code readOnly}. The wire form is
 * upstream's {@code "name:/path"} or {@code "name:/path:ro"} ({@link #parse}).
 */
public record VolumeMount(String volume, String path, boolean readOnly) {
    /** Where a volume must not go: the kernel's views and the directory agentkernel itself writes secrets to. */
    private static final java.util.List<String> RESERVED = java.util.List.of("/proc", "/sys", "/dev",
            "/run/agentkernel");

    public VolumeMount {
        try {
            Validation.volumeName(volume);
        } catch (AgentKernelException.InvalidRequestException e) {
            throw Validation.invalid("Invalid volumes entry: " + e.getMessage());
        }
        if (path == null || !path.startsWith("/") || !normal(path).equals(path)) {
            throw Validation.invalid("Invalid volumes entry '" + volume + ":" + Validation.printable(String.valueOf(path))
                    + "': the mount path must be a normalised absolute path");
        }
        for (String r : RESERVED) {
            if (path.equals(r) || path.startsWith(r + "/")) {
                throw Validation.invalid("Invalid volumes entry '" + volume + ":" + path + "': " + r + " is reserved");
            }
        }
    }

    private static String normal(String path) {
        try {
            return Validation.sandboxPath(path);
        } catch (AgentKernelException.InvalidRequestException e) {
            return ""; // refused by the caller, naming the entry
        }
    }

    /** {@code name:/path} or {@code name:/path:ro} (also {@code :rw}); anything else is a 400 naming {@code volumes}. */
    public static VolumeMount parse(String spec) {
        if (spec == null || spec.isEmpty()) {
            throw Validation.invalid("Invalid volumes entry: empty (use NAME:/path or NAME:/path:ro)");
        }
        String[] parts = spec.split(":", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw Validation.invalid("Invalid volumes entry '" + Validation.printable(spec)
                    + "': use NAME:/path or NAME:/path:ro");
        }
        boolean ro = false;
        if (parts.length == 3) {
            if (parts[2].equals("ro")) {
                ro = true;
            } else if (!parts[2].equals("rw")) {
                throw Validation.invalid("Invalid volumes entry '" + Validation.printable(spec)
                        + "': the mode must be ro or rw");
            }
        }
        return new VolumeMount(parts[0], parts[1], ro);
    }

    /** The wire form. */
    @Override
    public String toString() {
        return volume + ":" + path + (readOnly ? ":ro" : "");
    }
}
