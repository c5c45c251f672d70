package dev.agentkernel.client;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorsTest {

    private static AgentKernelClientException map(int status, String body) {
        return Errors.fromResponse(Wire.newMapper(), status, body, Optional.empty());
    }

    @Test
    void mapsEachStatusToItsSubclassKeepingMessageAndCode() {
        String body = "{\"success\":false,\"error\":\"Sandbox 'missing' not found\",\"code\":\"not_found\"}";
        AgentKernelClientException e = map(404, body);
        assertThat(e).isInstanceOf(NotFoundException.class).hasMessage("Sandbox 'missing' not found");
        assertThat(e.status()).isEqualTo(404);
        assertThat(e.code()).isEqualTo("not_found");
        assertThat(map(400, body)).isInstanceOf(ValidationException.class);
        assertThat(map(413, body)).isInstanceOf(ValidationException.class);
        assertThat(map(401, body)).isInstanceOf(UnauthorizedException.class);
        assertThat(map(409, body)).isInstanceOf(ConflictException.class);
        assertThat(map(429, body)).isInstanceOf(UnavailableException.class);
        assertThat(map(503, body)).isInstanceOf(UnavailableException.class);
        assertThat(map(500, body)).isExactlyInstanceOf(AgentKernelClientException.class);
    }

    @Test
    void retryAfterIsParsed() {
        AgentKernelClientException e = Errors.fromResponse(Wire.newMapper(), 429,
                "{\"success\":false,\"error\":\"busy\",\"code\":\"busy\"}", Optional.of("3"));
        assertThat(((UnavailableException) e).retryAfter()).contains(Duration.ofSeconds(3));
    }

    @Test
    void nonJsonBodyKeepsStatusAndASnippet() {
        AgentKernelClientException e = map(502, "<html>Bad gateway</html>");
        assertThat(e.status()).isEqualTo(502);
        assertThat(e.code()).isNull();
        assertThat(e.getMessage()).isEqualTo("HTTP 502: <html>Bad gateway</html>");
    }

    @Test
    void transportFailuresHaveNoStatusAndAClientCode() {
        AgentKernelClientException refused = Errors.transport("GET /health", new ConnectException("refused"));
        assertThat(refused.isNetworkFailure()).isTrue();
        assertThat(refused.code()).isEqualTo(AgentKernelClientException.CODE_NETWORK);
        assertThat(refused).hasMessageContaining("cannot connect").hasCauseInstanceOf(ConnectException.class);
        assertThat(Errors.transport("x", new HttpTimeoutException("t")).code())
                .isEqualTo(AgentKernelClientException.CODE_TIMEOUT);
        assertThat(Errors.transport("x", new IOException("reset")).status()).isZero();
    }
}
