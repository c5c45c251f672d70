package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.api.Validation;
import dev.agentkernel.api.VolumeInfo;
import dev.agentkernel.api.VolumeMount;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.InternalAddresses;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The create options that are the kernel's part ({@link CreateOptions}): checked against the profile before
 * anything is made, then, once the backend has made the sandbox, secret files written and the source cloned — in
 * the sandbox itself, so the clone reaches only what the sandbox may reach (its network, behind the host firewall),
 * never the host's loopback or private networks (refused by address before the sandbox exists).
 */
public final class Provisioning {
    /** How long a clone may take before the create fails. */
    static final Duration CLONE_TIMEOUT = Duration.ofMinutes(10);

    private final Backend backend;
    private final SecretStore secrets;

    public Provisioning(Backend backend, SecretStore secrets) {
        this.backend = backend;
        this.secrets = secrets;
    }

    /**
     * Refuses, before anything is made, what cannot work or is not allowed: proxy secrets (not offered), writable
     * volumes on a profile whose root is read-only (it may write nowhere that outlives it), a clone without network
     * or from an internal address, volumes and secrets that do not exist. Returns the secret values to write.
     */
    public Map<String, byte[]> check(SandboxSpec spec, CreateOptions options) {
        if (!options.secrets().isEmpty()) {
            throw new AgentKernelException.UnsupportedException("Unsupported secrets: this server does not inject "
                    + "secrets through a proxy; use secret_files (the values then are files in the sandbox)");
        }
        SecurityProfile profile = spec.profile();
        for (VolumeMount v : options.volumes()) {
            if (profile.readOnlyRoot() && !v.readOnly()) {
                throw new AgentKernelException(dev.agentkernel.api.ErrorCode.FORBIDDEN, "Invalid volumes entry '" + v
                        + "': the " + profile.wireName() + " profile allows read-only volumes only (add :ro)");
            }
        }
        if (!options.volumes().isEmpty()) {
            Set<String> existing = backend.volumes().stream().map(VolumeInfo::name).collect(Collectors.toSet());
            for (VolumeMount v : options.volumes()) {
                if (!existing.contains(v.volume())) {
                    throw Validation.invalid("Invalid volumes entry '" + v + "': no volume '" + v.volume()
                            + "' (create it first: agentkernel volume create " + v.volume() + ")");
                }
            }
        }
        if (options.sourceUrl() != null) {
            if (profile.network() == SecurityProfile.Network.NONE) {
                throw new AgentKernelException(dev.agentkernel.api.ErrorCode.FORBIDDEN, "Invalid source_url: the "
                        + profile.wireName() + " profile has no network to clone with");
            }
            String host = Validation.gitUrlHost(options.sourceUrl());
            if (InternalAddresses.refused(host)) {
                throw Validation.invalid("Invalid source_url: its host is a loopback, link-local or private address");
            }
        }
        Map<String, byte[]> values = new java.util.LinkedHashMap<>();
        for (String key : options.secretFiles()) {
            try {
                values.put(key, secrets.read(key));
            } catch (AgentKernelException.NotFoundException e) {
                throw Validation.invalid("Invalid secret_files: no secret '" + key + "' (set it first: agentkernel secret set "
                        + key + ")");
            }
        }
        return values;
    }

    /** After the backend made the sandbox: secret files, then the clone. Throws on the first failure. */
    public void apply(String name, CreateOptions options, Map<String, byte[]> secretValues) {
        for (Map.Entry<String, byte[]> e : secretValues.entrySet()) {
            // The value goes in as stdin, so it is in no argv, no environment and no audit event (which records the
            // size of stdin only); the file is made 0400 by the sandbox's own user, under a 0700 in-memory mount.
            String path = CreateOptions.SECRETS_DIR + "/" + e.getKey();
            run(name, "secret_files", new ExecRequest(List.of("sh", "-c", "umask 077 && mkdir -p \"${1%/*}\" && cat > \"$1\" && chmod 0400 \"$1\"",
                    "sh", path), Map.of(), null, Duration.ofSeconds(30), e.getValue(), 0));
        }
        if (options.sourceUrl() != null) {
            List<String> clone = new ArrayList<>(List.of("git", "-c", "protocol.file.allow=never",
                    "-c", "protocol.ext.allow=never", "clone", "--quiet", "--", options.sourceUrl(),
                    CreateOptions.SOURCE_DIR));
            run(name, "source_url", new ExecRequest(clone, Map.of("GIT_TERMINAL_PROMPT", "0"), null, CLONE_TIMEOUT, null, 0));
            if (options.sourceRef() != null) {
                run(name, "source_ref", new ExecRequest(List.of("git", "-C", CreateOptions.SOURCE_DIR, "checkout", "--quiet",
                        options.sourceRef(), "--"), Map.of(), null, Duration.ofMinutes(1), null, 0));
            }
        }
    }

    private void run(String name, String field, ExecRequest request) {
        ExecResult r;
        try {
            r = backend.exec(name, request);
        } catch (AgentKernelException e) {
            if (e.code() != dev.agentkernel.api.ErrorCode.INVALID_REQUEST) {
                throw e;
            }
            throw Validation.invalid("Invalid " + field + ": " + e.getMessage()); // e.g. the image has no such command
        }
        if (r.exitCode() != 0 || r.timedOut()) {
            String why = r.timedOut() ? "timed out" : r.exitCode() == 127 ? "the image has no " + request.argv().get(0)
                    : "exit code " + r.exitCode();
            String err = field.startsWith("secret") ? "" : ": " + Validation.printable(r.stderr().strip());
            throw Validation.invalid("Invalid " + field + ": " + (field.equals("secret_files") ? "writing the secret files"
                    : "the git command") + " failed (" + why + ")" + err);
        }
    }
}
