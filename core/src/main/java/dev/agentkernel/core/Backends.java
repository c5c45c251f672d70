package dev.agentkernel.core;

import dev.agentkernel.api.AgentKernelException;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds a {@link BackendProvider} with {@link ServiceLoader} and opens it, or fails with one clear error. */
public final class Backends {
    private Backends() {
    }

    public static Backend open(BackendSettings settings) {
        return open(settings, ServiceLoader.load(BackendProvider.class));
    }

    static Backend open(BackendSettings settings, Iterable<BackendProvider> providers) {
        List<String> tried = new ArrayList<>();
        List<BackendProvider> available = new ArrayList<>();
        for (BackendProvider p : providers) {
            if (settings.backendId() != null && !settings.backendId().equals(p.id())) {
                tried.add(p.id() + " (not selected)");
                continue;
            }
            BackendProvider.Availability a;
            try {
                a = p.availability(settings);
            } catch (RuntimeException e) {
                a = BackendProvider.Availability.no(String.valueOf(e.getMessage()));
            }
            if (a.available()) {
                available.add(p);
            } else {
                tried.add(p.id() + ": " + a.reason());
            }
        }
        if (available.size() == 1) {
            return available.get(0).open(settings);
        }
        String wanted = settings.backendId() == null ? "a sandbox backend" : "backend '" + settings.backendId() + "'";
        if (available.isEmpty()) {
            throw new AgentKernelException.BackendUnavailableException("No usable " + wanted + " found; tried: "
                    + (tried.isEmpty() ? "none (no provider on the class path)" : String.join("; ", tried)), null);
        }
        throw new AgentKernelException.BackendUnavailableException("More than one backend is available ("
                + available.stream().map(BackendProvider::id).toList() + "); choose one by id", null);
    }
}
