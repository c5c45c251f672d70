package dev.agentkernel.connect;

import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.config.AgentKernelConfig;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/** Where a front end's sandboxes are: a kernel in this process, or a server reached over HTTP. */
public sealed interface Target {
    /** The variable naming a server; set, the front ends work remotely. */
    String BASE_URL_ENV = "AGENTKERNEL_BASE_URL";
    /** The server's API key, for remote work. */
    String API_KEY_ENV = "AGENTKERNEL_API_KEY";

    /** For logs, {@code version}, {@code doctor} and the MCP server's instructions. */
    String describe();

    /**
     * A kernel built here from {@code config}; its sandboxes carry {@code instanceId} as their owner, and images
     * are pulled from {@code pullWhenUnset} when the configuration names no registries
     * ({@link BackendSettings#PULL_NONE} when a model, not the operator, names the images).
     */
    record Embedded(AgentKernelConfig config, String instanceId, List<String> pullWhenUnset) implements Target {
        public Embedded {
            Objects.requireNonNull(config, "config");
            Objects.requireNonNull(instanceId, "instanceId");
            pullWhenUnset = List.copyOf(pullWhenUnset);
        }

        @Override
        public String describe() {
            return "embedded (" + (config.sandbox().backend() == null ? "auto" : config.sandbox().backend()) + ")";
        }
    }

    /** The server at {@code url}, with {@code apiKey} (or none). */
    record Remote(String url, String apiKey) implements Target {
        public Remote {
            Objects.requireNonNull(url, "url");
        }

        @Override
        public String describe() {
            return url;
        }

        /** Never shows the key. */
        @Override
        public String toString() {
            return "Remote[" + url + "]";
        }
    }

    /**
     * The one rule of every front end: a URL (an option, else {@value #BASE_URL_ENV}) means that server, with the
     * key of {@value #API_KEY_ENV}; otherwise a kernel here, from the configuration {@code config} loads (only
     * then loaded).
     */
    static Target choose(String urlOption, Map<String, String> env, Supplier<AgentKernelConfig> config,
                         String instanceId, List<String> pullWhenUnset) {
        String url = urlOption != null && !urlOption.isBlank() ? urlOption : env.get(BASE_URL_ENV);
        if (url != null && !url.isBlank()) {
            String key = env.get(API_KEY_ENV);
            return new Remote(url, key == null || key.isBlank() ? null : key);
        }
        return new Embedded(config.get(), instanceId, pullWhenUnset);
    }
}
