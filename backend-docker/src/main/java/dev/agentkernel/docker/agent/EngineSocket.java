package dev.agentkernel.docker.agent;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/** Opens raw connections to the Docker engine (unix socket or plain TCP), for the hijacked attach stream. */
public interface EngineSocket {
    SocketChannel connect() throws IOException;

    /** The HTTP Host header to send (HTTP/1.1 needs one; the engine ignores it on a unix socket). */
    String hostHeader();
}
