package dev.agentkernel.client;

/** Receives stream events as they arrive, on the thread reading the stream. */
@FunctionalInterface
public interface StreamListener {
    void onEvent(StreamEvent event);
}
