package dev.agentkernel.server;

import dev.agentkernel.api.ErrorCode;
import io.vertx.core.MultiMap;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The API key check: {@code X-API-Key: <key>} or {@code Authorization: Bearer <key>}. Both sides are hashed
 * before a constant-time comparison, so neither the content nor the length of the key leaks through timing.
 * Exactly one credential must be sent; the key is never echoed, logged or kept in a message.
 */
final class ApiKeyCheck {
    static final String UNAUTHORIZED = "Unauthorized: missing or invalid API key";

    private final byte[] expectedDigest;

    /** @param apiKey the key, or null when the server has none (then every request passes) */
    ApiKeyCheck(String apiKey) {
        this.expectedDigest = apiKey == null ? null : sha256(apiKey);
    }

    boolean enabled() {
        return expectedDigest != null;
    }

    /** Empty when the request may pass, else why not (for the audit record; never contains the key). */
    Optional<String> refusal(MultiMap headers) {
        if (expectedDigest == null) {
            return Optional.empty();
        }
        List<String> credentials = new ArrayList<>(headers.getAll("X-API-Key"));
        for (String auth : headers.getAll("Authorization")) {
            String bearer = bearer(auth);
            if (bearer == null) {
                return Optional.of("unsupported Authorization scheme");
            }
            credentials.add(bearer);
        }
        if (credentials.isEmpty()) {
            return Optional.of("missing API key");
        }
        if (credentials.size() > 1) {
            return Optional.of("more than one credential");
        }
        return MessageDigest.isEqual(expectedDigest, sha256(credentials.get(0)))
                ? Optional.empty() : Optional.of("wrong API key");
    }

    /** Whether an {@code Authorization} header carries this server's key (so a proxy must not pass it on). */
    boolean carriesKey(String authorization) {
        String bearer = authorization == null ? null : bearer(authorization);
        return expectedDigest != null && bearer != null && MessageDigest.isEqual(expectedDigest, sha256(bearer));
    }

    /** The credential of {@code Authorization: Bearer <credential>}, or null for another scheme. */
    private static String bearer(String authorization) {
        return authorization.length() > 7 && authorization.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")
                ? authorization.substring(7).trim() : null;
    }

    static HttpFailure failure() {
        return HttpFailure.of(ErrorCode.UNAUTHORIZED, UNAUTHORIZED);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
