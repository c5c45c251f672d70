package dev.agentkernel.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately raw HTTP/1.1 client over a loopback socket: the suite must send what no well-behaved client
 * would (duplicate headers, a forged {@code Host}, undecoded {@code %2e%2e}, NUL bytes in the target, lying
 * lengths), so the request line and headers are written byte for byte as given.
 */
final class RawHttp {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int READ_TIMEOUT_MS = 120_000;

    private final int port;
    private final String apiKey;

    RawHttp(int port, String apiKey) {
        this.port = port;
        this.apiKey = apiKey;
    }

    int port() {
        return port;
    }

    /** A request with the defaults: Host 127.0.0.1:port, the API key, JSON content type when there is a body. */
    Request request(String method, String target) {
        return new Request(method, target).header("Host", "127.0.0.1:" + port).header("X-API-Key", apiKey);
    }

    Response get(String target) {
        return request("GET", target).send();
    }

    Response post(String target, String json) {
        return request("POST", target).json(json).send();
    }

    Response put(String target, String json) {
        return request("PUT", target).json(json).send();
    }

    Response delete(String target) {
        return request("DELETE", target).send();
    }

    /** One request under construction; headers keep their order and may repeat. */
    final class Request {
        private final String method;
        private final String target;
        private final List<String[]> headers = new ArrayList<>();
        private byte[] body;
        private boolean autoLength = true;

        Request(String method, String target) {
            this.method = method;
            this.target = target;
        }

        Request header(String name, String value) {
            if (value != null) {
                headers.add(new String[]{name, value});
            }
            return this;
        }

        /** Removes every header of that name (e.g. the default key or Host). */
        Request without(String name) {
            headers.removeIf(h -> h[0].equalsIgnoreCase(name));
            return this;
        }

        Request json(String text) {
            return without("Content-Type").header("Content-Type", "application/json").body(text.getBytes(StandardCharsets.UTF_8));
        }

        Request body(byte[] bytes) {
            this.body = bytes;
            return this;
        }

        /** Sends no Content-Length of our own (the caller sets one, or chunked encoding). */
        Request noAutoLength() {
            this.autoLength = false;
            return this;
        }

        byte[] bytes() {
            StringBuilder head = new StringBuilder();
            head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            for (String[] h : headers) {
                head.append(h[0]).append(": ").append(h[1]).append("\r\n");
            }
            if (autoLength && body != null) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("Connection: close\r\n\r\n");
            byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            if (body == null) {
                return h;
            }
            byte[] all = new byte[h.length + body.length];
            System.arraycopy(h, 0, all, 0, h.length);
            System.arraycopy(body, 0, all, h.length, body.length);
            return all;
        }

        Response send() {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                s.setSoTimeout(READ_TIMEOUT_MS);
                OutputStream out = s.getOutputStream();
                try {
                    out.write(bytes());
                    out.flush();
                } catch (IOException e) {
                    // The server may refuse early (413 on a declared length) and close while we still write.
                }
                return Response.read(s.getInputStream());
            } catch (IOException e) {
                throw new IllegalStateException("request " + method + " " + target + " failed: " + e, e);
            }
        }
    }

    /** A parsed response; header names are lower-cased; a chunked body is de-chunked. */
    record Response(int status, Map<String, List<String>> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (status " + status + "): " + text(), e);
            }
        }

        JsonNode data() {
            return json().get("data");
        }

        static Response read(InputStream in) throws IOException {
            String statusLine = line(in);
            if (statusLine == null) {
                throw new IOException("connection closed before a status line");
            }
            String[] parts = statusLine.split(" ", 3);
            int status = Integer.parseInt(parts[1]);
            Map<String, List<String>> headers = new java.util.LinkedHashMap<>();
            for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
                int c = l.indexOf(':');
                headers.computeIfAbsent(l.substring(0, c).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(l.substring(c + 1).trim());
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            List<String> te = headers.get("transfer-encoding");
            List<String> cl = headers.get("content-length");
            if (te != null && te.get(0).equalsIgnoreCase("chunked")) {
                while (true) {
                    String size = line(in);
                    if (size == null) {
                        break;
                    }
                    int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                    if (n == 0) {
                        line(in);
                        break;
                    }
                    body.write(in.readNBytes(n));
                    line(in);
                }
            } else if (cl != null) {
                body.write(in.readNBytes(Integer.parseInt(cl.get(0))));
            } else {
                body.write(in.readAllBytes());
            }
            return new Response(status, headers, body.toByteArray());
        }

        static String line(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    break;
                }
                if (c != '\r') {
                    b.write(c);
                }
            }
            if (c < 0 && b.size() == 0) {
                return null;
            }
            return b.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
