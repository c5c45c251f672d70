package dev.agentkernel.kubesim;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import dev.agentkernel.testkit.BackendView;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The Kubernetes backend's sandboxes as a test sees them on the simulated cluster: their pods and workspace claims
 * read from the API server with the simulator's own client (by the annotations docs/kubernetes.md documents, not
 * through the backend's code), and the container the simulated kubelet runs a pod in.
 */
public final class SimView implements BackendView {
    private static final String MANAGED = "agentkernel.dev/managed";
    private static final String NAME = "agentkernel.dev/name";
    private static final String OWNER = "agentkernel.dev/owner";

    private final KubeSim sim;
    private final String namespace;
    private final DockerClient docker = KubeSim.dockerClient();

    public SimView(KubeSim sim, String namespace) {
        this.sim = sim;
        this.namespace = namespace;
    }

    @Override
    public List<String> objectsOf(String owner) {
        return ids(annotated(OWNER, owner));
    }

    @Override
    public List<String> objectsNamed(String sandbox) {
        return ids(annotated(NAME, sandbox));
    }

    @Override
    public int removeAllOf(String owner) {
        List<HasMetadata> objects = annotated(OWNER, owner);
        objects.forEach(o -> sim.client().resource(o).inNamespace(namespace).delete());
        return objects.size();
    }

    @Override
    public String containerOf(String sandbox) {
        return annotated(NAME, sandbox).stream().filter(o -> o.getKind().equals("Pod")).findFirst()
                .flatMap(pod -> docker.listContainersCmd().withLabelFilter(Map.of(KubeSim.LABEL, sim.id(),
                        SimKubelet.POD_LABEL, namespace + "/" + pod.getMetadata().getName())).exec().stream()
                        .map(Container::getId).findFirst())
                .orElse(null);
    }

    /** Our pods and claims (equality selector only: the mock ignores set-based ones) whose annotation is value. */
    private List<HasMetadata> annotated(String key, String value) {
        Predicate<HasMetadata> match = o -> {
            ObjectMeta m = o.getMetadata();
            return m.getAnnotations() != null && value.equals(m.getAnnotations().get(key));
        };
        List<HasMetadata> out = new ArrayList<>();
        sim.client().pods().inNamespace(namespace).withLabel(MANAGED, "true").list().getItems().stream()
                .filter(match).forEach(out::add);
        sim.client().persistentVolumeClaims().inNamespace(namespace).withLabel(MANAGED, "true").list().getItems()
                .stream().filter(match).forEach(out::add);
        return out;
    }

    private static List<String> ids(List<HasMetadata> objects) {
        return objects.stream().map(o -> o.getKind().toLowerCase() + "/" + o.getMetadata().getName()).toList();
    }
}
