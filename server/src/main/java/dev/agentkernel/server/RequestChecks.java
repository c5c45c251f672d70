package dev.agentkernel.server;

import dev.agentkernel.api.AgentKernelException.InvalidRequestException;
import dev.agentkernel.api.ErrorCode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Checks on the raw request that the router cannot make: dot segments in the path, and the body's media type. */
final class RequestChecks {
    private RequestChecks() {
    }

    /**
     * Refuses a {@code ..} segment anywhere in the path, also percent-encoded. The router resolves dot segments
     * before matching, which would turn {@code /files/tmp/../etc/passwd} silently into another file.
     */
    static void noDotDot(String rawPath) {
        String decoded = percentDecode(rawPath);
        for (String segment : decoded.split("/")) {
            if (segment.equals("..")) {
                throw new InvalidRequestException("Invalid path: '..' is not allowed");
            }
        }
    }

    /**
     * Bodies must be {@code application/json}: a cross-site form or {@code text/plain} POST (which a browser sends
     * without asking) is refused with 415. Operations without a body accept a request without a content type.
     */
    static void jsonContentType(HttpServerRequest request, boolean bodyExpected) {
        String type = request.getHeader("Content-Type");
        if (type == null) {
            if (bodyExpected) {
                throw unsupported("missing");
            }
            return;
        }
        String media = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!media.equals("application/json")) {
            throw unsupported("'" + dev.agentkernel.api.Validation.printable(media) + "'");
        }
    }

    static boolean mayCarryBody(HttpMethod m) {
        return m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.DELETE || m == HttpMethod.PATCH;
    }

    private static HttpFailure unsupported(String what) {
        return new HttpFailure(415, ErrorCode.INVALID_REQUEST,
                "Unsupported content type " + what + ": request bodies must be application/json");
    }

    /** Decodes %XX escapes once (a '+' stays a '+'); malformed escapes or bytes that are not UTF-8 are refused. */
    static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw new InvalidRequestException("Invalid path: malformed percent-encoding");
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new InvalidRequestException("Invalid path: malformed percent-encoding");
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidRequestException("Invalid path: not UTF-8");
        }
    }

    /**
     * The file path of a {@code /sandboxes/{name}/files/{path}} request, from the router's {@code {path}}: the rest of
     * the normalised route ({@code //} collapsed, {@code .} segments gone, the query cut off), still percent-encoded,
     * decoded here exactly once, so that {@code files/tmp/a.txt} and {@code files/tmp%2Fa.txt} both name
     * {@code /tmp/a.txt} and {@code files/a%252F} names a file called {@code a%2F}. Never sliced from the raw URI:
     * there {@code /sandboxes//NAME/files/tmp/a} would put {@code files} into the path.
     */
    static String filePath(String routePath) {
        if (routePath == null || routePath.isEmpty()) {
            throw new InvalidRequestException("Invalid path: a file path is required");
        }
        return "/" + percentDecode(routePath);
    }
}
