package dev.agentkernel.api;

/** Receives output chunks as a command produces them, on the backend's reading thread. Must not block for long. */
@FunctionalInterface
public interface OutputListener {
    OutputListener NONE = chunk -> { };

    void onOutput(OutputChunk chunk);
}
