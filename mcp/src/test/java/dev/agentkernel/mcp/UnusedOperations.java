package dev.agentkernel.mcp;

import dev.agentkernel.api.Sandboxes;

import java.lang.reflect.Proxy;

/** Sandboxes that must not be reached: for tests of argument checks that happen before any engine call. */
final class UnusedOperations {
    private UnusedOperations() {
    }

    static Sandboxes sandboxes() {
        return (Sandboxes) Proxy.newProxyInstance(Sandboxes.class.getClassLoader(), new Class<?>[]{Sandboxes.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        return null;
                    }
                    throw new AssertionError("the engine must not be called for an invalid request (" + method.getName()
                            + ")");
                });
    }
}
