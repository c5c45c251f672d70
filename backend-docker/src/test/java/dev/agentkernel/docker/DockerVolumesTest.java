package dev.agentkernel.docker;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.VolumeMount;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** What {@link DockerVolumes#mount} refuses before it asks the engine anything (no engine here: a null client). */
class DockerVolumesTest {
    private final DockerVolumes volumes = new DockerVolumes(null, "i");

    @Test
    void theAgentsMountPointAndWhatIsBelowItAreReserved() {
        for (String path : new String[] {"/.agentkernel", "/.agentkernel/x"}) {
            AgentKernelException e = catchThrowableOfType(AgentKernelException.class,
                    () -> volumes.mount(new VolumeMount("data", path, false)));
            assertThat(e).as(path).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(e.getMessage()).contains("Invalid volumes entry 'data:" + path + "'", "/.agentkernel is reserved");
        }
    }
}
