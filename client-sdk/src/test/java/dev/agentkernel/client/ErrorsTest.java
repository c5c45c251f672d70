package dev.agentkernel.client;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorsTest {

    private static AgentKernelException map(int status, String body) {
        return Errors.fromResponse(Wire.newMapper(), status, body);
    }

    private static String body(String code) {
        return "{\"success\":false,\"error\":\"Sandbox 'missing' not found\",\"code\":\"" + code + "\"}";
    }

    @Test
    void theAnswersCodeGivesTheExceptionOfThatCode() {
        AgentKernelException e = map(404, body("not_found"));
        assertThat(e).isInstanceOf(AgentKernelException.NotFoundException.class).hasMessage("Sandbox 'missing' not found");
        assertThat(map(400, body("invalid_request"))).isInstanceOf(AgentKernelException.InvalidRequestException.class);
        assertThat(map(413, body("payload_too_large"))).isInstanceOf(AgentKernelException.TooLargeException.class);
        assertThat(map(409, body("conflict"))).isInstanceOf(AgentKernelException.ConflictException.class);
        assertThat(map(429, body("busy"))).isInstanceOf(AgentKernelException.BusyException.class);
        assertThat(map(503, body("backend_unavailable")))
                .isInstanceOf(AgentKernelException.BackendUnavailableException.class);
        assertThat(map(504, body("timeout"))).isInstanceOf(AgentKernelException.OperationTimeoutException.class);
        assertThat(map(401, body("unauthorized")).code()).isEqualTo(ErrorCode.UNAUTHORIZED);
        // The code wins over the status (a proxy may change the status, never our envelope).
        assertThat(map(500, body("conflict")).code()).isEqualTo(ErrorCode.CONFLICT);
    }

    @Test
    void withoutACodeTheStatusIsReadThroughTheOneTable() {
        for (ErrorCode code : ErrorCode.values()) {
            // A broken sandbox shares 409 with a conflict; without its code it reads as the conflict.
            // A bare 502 is a gateway's in front of the server, never taken for a sandbox's port.
            ErrorCode expected = code == ErrorCode.SANDBOX_BROKEN ? ErrorCode.CONFLICT
                    : code == ErrorCode.PORT_UNREACHABLE ? ErrorCode.INTERNAL : code;
            assertThat(map(code.httpStatus(), "{\"success\":false,\"error\":\"x\"}").code()).as("%s", code)
                    .isEqualTo(expected);
        }
        assertThat(map(409, body("sandbox_broken"))).isInstanceOf(AgentKernelException.SandboxBrokenException.class);
        assertThat(map(501, body("unsupported"))).isInstanceOf(AgentKernelException.UnsupportedException.class);
        assertThat(map(502, body("port_unreachable")).code()).isEqualTo(ErrorCode.PORT_UNREACHABLE);
        assertThat(map(504, "").code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(map(418, "").code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(map(502, "").code()).isEqualTo(ErrorCode.INTERNAL);
        assertThat(map(400, body("a_code_of_a_newer_server")).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    @Test
    void nonJsonBodyKeepsStatusAndASnippet() {
        AgentKernelException e = map(502, "<html>Bad gateway</html>");
        assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
        assertThat(e.getMessage()).isEqualTo("HTTP 502: <html>Bad gateway</html>");
    }

    @Test
    void transportFailuresAreUnavailableOrTimeout() {
        URI server = URI.create("http://127.0.0.1:1/");
        AgentKernelException refused = Errors.transport(server, "GET health", new ConnectException(null));
        assertThat(refused).isInstanceOf(AgentKernelException.BackendUnavailableException.class)
                .hasMessage("cannot reach the agentkernel server at http://127.0.0.1:1 (GET health): connection refused")
                .hasCauseInstanceOf(ConnectException.class);
        assertThat(Errors.transport(server, "x", new HttpTimeoutException("t")))
                .isInstanceOf(AgentKernelException.OperationTimeoutException.class)
                .hasMessageContaining("at http://127.0.0.1:1 in time");
        assertThat(Errors.transport(null, "x", new IOException("reset")).code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
    }
}
