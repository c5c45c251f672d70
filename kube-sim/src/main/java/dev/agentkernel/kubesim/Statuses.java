package dev.agentkernel.kubesim;

import io.fabric8.mockwebserver.http.MockResponse;

/** The {@code Status} documents a kubelet and an API server answer with, written as the real ones are. */
final class Statuses {
    private Statuses() {
    }

    /**
     * The status a stream ends with on channel 3: success for exit code 0, otherwise {@code NonZeroExitCode} with
     * the code as the {@code ExitCode} cause (how clients learn it); {@code error} when the command did not run.
     */
    static String channelStatus(int exitCode, String error) {
        if (error != null) {
            return "{\"metadata\":{},\"status\":\"Failure\",\"message\":" + quote(error)
                    + ",\"reason\":\"InternalError\"}";
        }
        if (exitCode == 0) {
            return "{\"metadata\":{},\"status\":\"Success\"}";
        }
        return "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code: "
                + "exit code " + exitCode + "\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":"
                + "[{\"reason\":\"ExitCode\",\"message\":\"" + exitCode + "\"}]}}";
    }

    /** An API error, e.g. 404 NotFound or 400 BadRequest, as the body of a plain (not upgraded) response. */
    static MockResponse error(int code, String reason, String message) {
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
                        + quote(message) + ",\"reason\":\"" + reason + "\",\"code\":" + code + "}");
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
