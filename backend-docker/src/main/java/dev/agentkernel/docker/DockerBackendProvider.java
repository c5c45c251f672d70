package dev.agentkernel.docker;

import com.github.dockerjava.api.DockerClient;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.BackendProvider;
import dev.agentkernel.core.BackendSettings;

import java.io.IOException;

/** Registers the Docker backend with {@link java.util.ServiceLoader}; available when the engine answers a ping. */
public final class DockerBackendProvider implements BackendProvider {
    @Override
    public String id() {
        return DockerBackend.ID;
    }

    @Override
    public Availability availability(BackendSettings settings) {
        try (DockerClient client = DockerBackend.client(DockerBackend.config(settings))) {
            String problem = DockerBackend.ping(client);
            return problem == null ? Availability.yes() : Availability.no(problem);
        } catch (IOException | RuntimeException e) {
            return Availability.no("Docker engine not usable: " + e.getMessage());
        }
    }

    @Override
    public Backend open(BackendSettings settings) {
        return DockerBackend.open(settings);
    }
}
