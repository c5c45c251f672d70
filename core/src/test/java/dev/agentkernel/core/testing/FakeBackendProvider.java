package dev.agentkernel.core.testing;

import dev.agentkernel.core.Backend;
import dev.agentkernel.core.BackendProvider;
import dev.agentkernel.core.BackendSettings;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link FakeBackend} as a provider (id {@value #ID}), so tests can go through the real wiring of a front end, from
 * a configuration file to {@code KernelFactory} and {@code Backends.open}: {@code [sandbox] backend = "fake"}. The
 * backend property {@code fake.name} (default {@code default}) names an in-memory engine shared by every kernel of
 * this JVM that names it (as the kernels of several CLI commands share one Docker engine); {@link #engine} gives it
 * to the test.
 *
 * <p>Available only when chosen by id: where a backend is picked automatically, the fake never competes.
 */
public final class FakeBackendProvider implements BackendProvider {
    public static final String ID = "fake";
    private static final Map<String, FakeBackend> ENGINES = new ConcurrentHashMap<>();

    /** The shared in-memory engine of that name, made on first use. */
    public static FakeBackend engine(String name) {
        return ENGINES.computeIfAbsent(name, n -> new FakeBackend());
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Availability availability(BackendSettings settings) {
        return ID.equals(settings.backendId()) ? Availability.yes() : Availability.no("only when chosen by id");
    }

    @Override
    public Backend open(BackendSettings settings) {
        return engine(settings.property(ID + ".name", "default"));
    }
}
