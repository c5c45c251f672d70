package dev.agentkernel.docker;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;

import static org.assertj.core.api.Assertions.assertThat;

class DockerErrorsTest {
    @Test
    void transportFailureIsUnavailableWithoutJavaClassNames() {
        AgentKernelException e = DockerErrors.map(new UncheckedIOException(new IOException("Broken pipe")));
        assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
        assertThat(e.getMessage()).isEqualTo("Docker engine not reachable: Broken pipe").doesNotContain("Exception");
    }

    @Test
    void transportFailureWithoutMessage() {
        AgentKernelException e = DockerErrors.map(new RuntimeException(new IOException()));
        assertThat(e.getMessage()).isEqualTo("Docker engine not reachable: connection failed");
    }
}
