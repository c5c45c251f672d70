package dev.agentkernel.client;

import dev.agentkernel.api.AgentKernelException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentKernelClientBuilderTest {

    @Test
    void defaultsWithoutEnvironment() {
        AgentKernelClient.Builder b = new AgentKernelClient.Builder(k -> null);
        assertThat(b.baseUri()).hasToString("http://localhost:18888/");
        assertThat(b.apiKey()).isNull();
    }

    @Test
    void environmentGivesBaseUrlAndKey() {
        Map<String, String> env = Map.of("AGENTKERNEL_BASE_URL", "http://10.0.0.5:3000/prefix",
                "AGENTKERNEL_API_KEY", "s3cret");
        AgentKernelClient.Builder b = new AgentKernelClient.Builder(env::get);
        assertThat(b.baseUri()).hasToString("http://10.0.0.5:3000/prefix/");
        assertThat(b.apiKey()).isEqualTo("s3cret");
        assertThat(b.baseUrl("http://h:1").apiKey(null).apiKey()).isNull();
    }

    @Test
    void rejectsNonHttpUrlsAndNonPositiveTimeouts() {
        AgentKernelClient.Builder b = new AgentKernelClient.Builder(k -> null);
        assertThatThrownBy(() -> b.baseUrl("localhost:18888")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.timeout(java.time.Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void filePathsAreEncodedSegmentBySegment() {
        assertThat(HttpTransport.filePath("/tmp/a b/c%d.txt")).isEqualTo("tmp/a%20b/c%25d.txt");
        assertThat(HttpTransport.segment("my sandbox")).isEqualTo("my%20sandbox");
        assertThatThrownBy(() -> HttpTransport.filePath(" ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void networkFailureIsWrapped() {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        AgentKernelClient client = new AgentKernelClient.Builder(k -> null).baseUrl("http://127.0.0.1:1").build();
        assertThatThrownBy(client::list).isInstanceOf(AgentKernelException.BackendUnavailableException.class)
                .hasMessageStartingWith("cannot reach the agentkernel server at http://127.0.0.1:1");
    }

    @Test
    void noAnswerInTimeIsATimeout() throws Exception {
        // A loopback listener that accepts and never answers: the client's own timeout must end the call.
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            AgentKernelClient impatient = new AgentKernelClient.Builder(k -> null)
                    .baseUrl("http://127.0.0.1:" + silent.getLocalPort()).timeout(java.time.Duration.ofMillis(300)).build();
            assertThatThrownBy(impatient::list).isInstanceOfSatisfying(AgentKernelException.class,
                    e -> assertThat(e.code()).isEqualTo(dev.agentkernel.api.ErrorCode.TIMEOUT))
                    .hasMessageContaining("in time");
        }
    }
}
