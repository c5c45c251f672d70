package dev.agentkernel.server;

import dev.agentkernel.api.ErrorCode;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;

/**
 * Signs and checks the tokens of signed port URLs: {@code base64url(expiry seconds, 8 bytes + HMAC-SHA256(key,
 * name|port|expiry|uuid))}. The key is an HMAC of the API key under a fixed label, so every replica with the same
 * key agrees and rotating the API key revokes every URL; without an API key (a server open to all anyway) a random
 * key per process. The uuid binds a token to one sandbox: a later sandbox of the same name does not accept it.
 */
final class PortSigner {
    private static final String LABEL = "agentkernel port url v1";
    private static final int MAC_BYTES = 32;
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final byte[] key;

    PortSigner(String apiKey) {
        if (apiKey == null) {
            key = new byte[32];
            new SecureRandom().nextBytes(key);
        } else {
            key = hmac(apiKey.getBytes(StandardCharsets.UTF_8), LABEL.getBytes(StandardCharsets.UTF_8));
        }
    }

    String sign(String name, int port, String uuid, Instant expiresAt) {
        long expiry = expiresAt.getEpochSecond();
        ByteBuffer b = ByteBuffer.allocate(8 + MAC_BYTES);
        b.putLong(expiry);
        b.put(mac(name, port, uuid, expiry));
        return ENCODER.encodeToString(b.array());
    }

    /**
     * Checks a token for this sandbox and port now: a missing or expired one is {@code UNAUTHORIZED} (the browser
     * needs a new URL), a malformed or forged one, or one for another sandbox or port, {@code FORBIDDEN}. The MAC is
     * compared in constant time.
     */
    void check(String token, String name, int port, String uuid, Instant now) {
        if (token == null || token.isEmpty()) {
            throw HttpFailure.of(ErrorCode.UNAUTHORIZED, "This preview needs a signed URL (POST /sandboxes/" + name
                    + "/ports/" + port + "/url)");
        }
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            raw = new byte[0];
        }
        // Only the one encoding the server writes: the decoder ignores the last character's spare bits, so other
        // spellings of the same bytes would pass (not a forgery, but a token is compared as the bytes it names).
        if (raw.length != 8 + MAC_BYTES || !ENCODER.encodeToString(raw).equals(token)) {
            throw forged();
        }
        ByteBuffer b = ByteBuffer.wrap(raw);
        long expiry = b.getLong();
        byte[] given = new byte[MAC_BYTES];
        b.get(given);
        if (!MessageDigest.isEqual(given, mac(name, port, uuid, expiry))) {
            throw forged();
        }
        if (expiry <= now.getEpochSecond()) {
            throw HttpFailure.of(ErrorCode.UNAUTHORIZED, "The signed URL expired at " + Instant.ofEpochSecond(expiry)
                    + "; ask for a new one");
        }
    }

    /** The expiry a well-formed token carries (for the cookie's lifetime), or null. Not a check. */
    static Instant expiryOf(String token) {
        try {
            byte[] raw = Base64.getUrlDecoder().decode(token);
            return raw.length == 8 + MAC_BYTES ? Instant.ofEpochSecond(ByteBuffer.wrap(raw).getLong()) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static HttpFailure forged() {
        return HttpFailure.of(ErrorCode.FORBIDDEN, "The signed URL is not valid for this sandbox and port");
    }

    private byte[] mac(String name, int port, String uuid, long expiry) {
        String message = name + "|" + port + "|" + expiry + "|" + (uuid == null ? "" : uuid);
        return hmac(key, message.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
