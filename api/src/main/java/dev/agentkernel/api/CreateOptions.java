package dev.agentkernel.api;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a named sandbox gets at creation besides its {@link SandboxSpec} (the upstream create options):
 *
 * @param volumes     named volumes to attach ({@code name:/path[:ro]}); each must exist ({@link Sandboxes#createVolume})
 * @param secretFiles keys of the host's secret store ({@link Sandboxes#setSecret}) written read-only to
 *                    {@value #SECRETS_DIR}{@code /<KEY>} inside the sandbox; their values are never returned or audited
 * @param sourceUrl   a git repository cloned into {@value #SOURCE_DIR} after start, or null
 * @param sourceRef   the branch, tag or commit checked out after the clone, or null (needs {@code sourceUrl})
 * @param secrets     upstream's proxy header injection ({@code KEY:host}, ...); this server does not offer it, so a
 *                    non-empty list is refused with {@code UNSUPPORTED}, naming the field
 * @param ports       TCP ports exposed right after start ({@link Sandboxes#exposePort}), each once
 */
public record CreateOptions(List<VolumeMount> volumes, List<String> secretFiles, String sourceUrl, String sourceRef,
                            List<String> secrets, List<Integer> ports) {
    public static final String SECRETS_DIR = "/run/agentkernel/secrets";
    public static final String SOURCE_DIR = "/workspace";
    public static final CreateOptions NONE = new CreateOptions(List.of(), List.of(), null, null, List.of(), List.of());

    public CreateOptions {
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        Set<String> paths = new HashSet<>();
        for (VolumeMount v : volumes) {
            if (!paths.add(v.path())) {
                throw Validation.invalid("Invalid volumes: two volumes at " + v.path());
            }
        }
        secretFiles = secretFiles == null ? List.of() : List.copyOf(secretFiles);
        if (new HashSet<>(secretFiles).size() != secretFiles.size()) {
            throw Validation.invalid("Invalid secret_files: a key is listed twice");
        }
        for (String key : secretFiles) {
            try {
                Validation.secretKey(key);
            } catch (AgentKernelException.InvalidRequestException e) {
                throw Validation.invalid("Invalid secret_files entry: " + e.getMessage());
            }
        }
        if (sourceUrl != null) {
            Validation.gitUrlHost(sourceUrl);
        }
        if (sourceRef != null) {
            if (sourceUrl == null) {
                throw Validation.invalid("Invalid source_ref: it needs a source_url");
            }
            Validation.gitRef(sourceRef);
        }
        secrets = secrets == null ? List.of() : List.copyOf(secrets);
        secrets.forEach(s -> Validation.noNul("secrets", s));
        if (ports != null && ports.stream().anyMatch(java.util.Objects::isNull)) { // List.copyOf: a bare NPE
            throw Validation.invalid("Invalid ports: an entry is null");
        }
        ports = ports == null ? List.of() : List.copyOf(ports);
        ports.forEach(Validation::port);
        if (new HashSet<>(ports).size() != ports.size()) {
            throw Validation.invalid("Invalid ports: a port is listed twice");
        }
    }

    public static CreateOptions volumes(VolumeMount... mounts) {
        return new CreateOptions(List.of(mounts), List.of(), null, null, List.of(), List.of());
    }

    public CreateOptions withSecretFiles(List<String> keys) {
        return new CreateOptions(volumes, keys, sourceUrl, sourceRef, secrets, ports);
    }

    public CreateOptions withSource(String url, String ref) {
        return new CreateOptions(volumes, secretFiles, url, ref, secrets, ports);
    }

    public CreateOptions withSecrets(List<String> bindings) {
        return new CreateOptions(volumes, secretFiles, sourceUrl, sourceRef, bindings, ports);
    }

    public CreateOptions withPorts(List<Integer> exposed) {
        return new CreateOptions(volumes, secretFiles, sourceUrl, sourceRef, secrets, exposed);
    }

    public boolean isEmpty() {
        return volumes.isEmpty() && secretFiles.isEmpty() && sourceUrl == null && secrets.isEmpty() && ports.isEmpty();
    }
}
