package dev.agentkernel.kubernetes;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.BackendProvider;
import dev.agentkernel.core.BackendSettings;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code kubernetes} backend, found with {@link java.util.ServiceLoader}. It is never picked automatically (a
 * machine with a kubeconfig usually wants the local Docker engine): choose it with {@code [sandbox] backend =
 * "kubernetes"} or {@code AGENTKERNEL_BACKEND=kubernetes}.
 *
 * <p>The client configuration: {@code kubernetes.kubeconfig} (else {@code $KUBECONFIG}, else
 * {@code ~/.kube/config}), {@code kubernetes.context}; inside a pod without a kubeconfig, the in-cluster service
 * account. The namespace: {@code kubernetes.namespace}, else the kubeconfig context's, else the pod's own.
 */
public final class KubernetesBackendProvider implements BackendProvider {
    @Override
    public String id() {
        return KubernetesBackend.ID;
    }

    @Override
    public Availability availability(BackendSettings settings) {
        if (!KubernetesBackend.ID.equals(settings.backendId())) {
            return Availability.no("only when chosen ([sandbox] backend = \"kubernetes\")");
        }
        try {
            KubernetesSettings s = KubernetesSettings.from(settings.properties());
            if (s.kubeconfig() == null && kubeconfigFile() == null && !Files.isRegularFile(Path.of(SERVICE_ACCOUNT_TOKEN))) {
                return Availability.no("no kubeconfig ($KUBECONFIG, ~/.kube/config or kubernetes.kubeconfig) and not "
                        + "in a cluster");
            }
            config(s);
            return Availability.yes();
        } catch (RuntimeException e) {
            return Availability.no(e.getMessage());
        }
    }

    @Override
    public Backend open(BackendSettings settings) {
        KubernetesSettings s = KubernetesSettings.from(settings.properties());
        Config config = config(s);
        String namespace = s.namespace() != null ? s.namespace()
                : config.getNamespace() != null ? config.getNamespace() : "default";
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        try {
            return new KubernetesBackend(client, namespace, settings.instanceId(), s);
        } catch (RuntimeException e) {
            client.close();
            throw KubeErrors.map(e);
        }
    }

    private static final String SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    /** The kubeconfig the client would read by itself, or null when there is none. */
    private static Path kubeconfigFile() {
        String env = System.getenv("KUBECONFIG");
        Path p = env != null && !env.isBlank() ? Path.of(env.split(java.io.File.pathSeparator)[0])
                : Path.of(System.getProperty("user.home"), ".kube", "config");
        return Files.isRegularFile(p) ? p : null;
    }

    static Config config(KubernetesSettings s) {
        if (s.kubeconfig() == null) {
            return s.context() == null ? Config.autoConfigure(null) : Config.autoConfigure(s.context());
        }
        Path file = Path.of(s.kubeconfig().startsWith("~/")
                ? System.getProperty("user.home") + s.kubeconfig().substring(1) : s.kubeconfig());
        try {
            return new ConfigBuilder(Config.fromKubeconfig(s.context(), Files.readString(file), file.toString()))
                    .build();
        } catch (IOException e) {
            throw new AgentKernelException.InvalidRequestException("Cannot read kubernetes.kubeconfig " + file + ": "
                    + e.getMessage());
        }
    }
}
