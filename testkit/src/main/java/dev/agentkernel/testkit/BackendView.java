package dev.agentkernel.testkit;

import java.util.List;

/**
 * What a backend made, as a test sees it with its own eyes (the engine's or the cluster's API, never the code under
 * test), limited to one owner's objects so that other engineers' and other runs' sandboxes are never counted or
 * removed. One view per backend: {@link #docker()} here, the simulated cluster's in kube-sim.
 */
public interface BackendView {
    /** The engine objects (containers; pods and claims) that sandboxes of {@code owner} hold, any state. */
    List<String> objectsOf(String owner);

    /** The engine objects of the sandbox named {@code sandbox}, whoever made it. */
    List<String> objectsNamed(String sandbox);

    /** Force-removes what {@code owner} left (a failed test's leftovers); returns how many objects there were. */
    int removeAllOf(String owner);

    /** The id of the Docker container that runs the sandbox's processes (to look inside it as root), or null. */
    String containerOf(String sandbox);

    /** The Docker backend: one container per sandbox, labelled with its owner and name. */
    static BackendView docker() {
        return new BackendView() {
            @Override
            public List<String> objectsOf(String owner) {
                return EngineView.containersOf(owner);
            }

            @Override
            public List<String> objectsNamed(String sandbox) {
                return EngineView.containersNamed(sandbox);
            }

            @Override
            public int removeAllOf(String owner) {
                return EngineView.removeAllOf(owner);
            }

            @Override
            public String containerOf(String sandbox) {
                return EngineView.containersNamed(sandbox).stream().findFirst().orElse(null);
            }
        };
    }
}
