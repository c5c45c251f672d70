package dev.agentkernel.docker.agent;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AgentErrorsTest {
    private static AgentKernelException map(int errno) {
        return AgentErrors.forFile(new AgentProtocol.Error(errno, AgentProtocol.STAGE_FILE, "/proc/self/mem: I/O error"),
                "read", "/proc/self/mem", "box");
    }

    @Test
    void unreadableSpecialFilesAreTheCallersProblem() {
        for (int errno : new int[]{AgentProtocol.EIO, AgentProtocol.ENXIO, AgentProtocol.ENODEV}) {
            assertThat(map(errno).code()).as("errno %d", errno).isEqualTo(ErrorCode.INVALID_REQUEST);
        }
    }

    @Test
    void notFoundStaysNotFound() {
        assertThat(map(AgentProtocol.ENOENT).code()).isEqualTo(ErrorCode.NOT_FOUND);
    }
}
