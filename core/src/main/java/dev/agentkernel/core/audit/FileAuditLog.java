package dev.agentkernel.core.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.LogQuery;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The JSON Lines file behind {@link AuditLog}.
 *
 * <p>Appends are group commits ({@link GroupCommit}): each caller serialises its event (on its own thread) and waits;
 * one writer thread per log takes every event waiting, chains them in arrival order, writes them with one
 * positional write and then {@link FileChannel#force}s once — every event is on disk before its {@link #record}
 * returns, and concurrent callers share one force instead of queueing for one each. Appends are serialised twice
 * more: a lock per file within this JVM (a {@link FileLock} cannot be held twice by one JVM) and a {@link FileLock}
 * across processes (the CLI and a server may share the file). Under both, the writer re-reads the tail when another
 * writer changed the file, so the chain stays linear.
 *
 * <p>Crash safety: a torn last line (no trailing newline) is skipped by readers; the next append first writes
 * a newline so it starts on a fresh line, and chains to the last complete line.
 */
final class FileAuditLog implements AuditLog {
    static final String GENESIS = "0".repeat(64);
    private static final Set<String> RESERVED = Set.of("timestamp", "event", "sandbox", "prev");
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
    private static final int TAIL_BLOCK = 64 * 1024;
    private static final byte[] PREV_FIELD = "\"prev\":\"".getBytes(StandardCharsets.US_ASCII);

    // Java time values in details are written as ISO-8601 text, like the timestamp.
    private final ObjectMapper json = new ObjectMapper()
            .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
            .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .disable(com.fasterxml.jackson.databind.SerializationFeature.FAIL_ON_EMPTY_BEANS);
    private final Path path;
    private final ReentrantLock lock;
    /**
     * Writes happen on its one thread: a {@link FileChannel} is closed when a thread using it is interrupted, and
     * callers' threads may be (cancelled requests, executor shutdowns). The writer thread is never interrupted.
     */
    private final GroupCommit<byte[]> commits = new GroupCommit<>("agentkernel-audit-writer", this::append,
            () -> AuditLog.unwritable(new IllegalStateException("the audit log is closed")));
    private FileChannel channel;
    private Object channelKey;
    private long knownSize = -1;
    private String lastHash;
    private boolean needsNewline;

    FileAuditLog(Path path) {
        this.path = path.toAbsolutePath().normalize();
        this.lock = JVM_LOCKS.computeIfAbsent(this.path, p -> new ReentrantLock());
        try {
            Files.createDirectories(this.path.getParent());
            channel = openChannel();
            channelKey = fileKey();
        } catch (IOException e) {
            throw AuditLog.unwritable(e);
        }
    }

    /** Whether the file was moved away or deleted (e.g. rotated) since it was opened: then a new one is started. */
    private boolean replaced() {
        Object key = fileKey();
        return key == null || !key.equals(channelKey);
    }

    private Object fileKey() {
        try {
            Object key = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            return key == null ? "no-file-keys" : key; // a file system without keys: never seen as replaced
        } catch (IOException e) {
            return null;
        }
    }

    private FileChannel openChannel() throws IOException {
        return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @Override
    public void record(AuditEvent event) {
        byte[] open;
        try {
            open = lineWithoutPrev(event); // on the caller's thread: a bad detail fails this caller only
        } catch (JsonProcessingException | RuntimeException e) {
            throw AuditLog.unwritable(e);
        }
        commits.submit(open);
    }

    /**
     * Runs on the writer thread only: appends the events (each an object without its closing brace, see
     * {@link #lineWithoutPrev}), chained in order, with one write and one force; all or none stay.
     */
    private void append(List<byte[]> events) {
        lock.lock();
        try {
            if (channel == null || !channel.isOpen() || replaced()) {
                if (channel != null) {
                    channel.close();
                }
                channel = openChannel();
                channelKey = fileKey();
                knownSize = -1;
            }
            try (FileLock ignored = channel.lock()) {
                long size = channel.size();
                if (size != knownSize) {
                    readTail(size);
                }
                int length = 1;
                for (byte[] e : events) {
                    length += e.length + PREV_FIELD.length + 64 + 3;
                }
                ByteBuffer buf = ByteBuffer.allocate(length);
                if (needsNewline) {
                    buf.put((byte) '\n');
                }
                String prev = lastHash;
                for (byte[] e : events) {
                    int start = buf.position();
                    buf.put(e).put(PREV_FIELD).put(prev.getBytes(StandardCharsets.US_ASCII)).put((byte) '"')
                            .put((byte) '}');
                    prev = sha256(buf.array(), start, buf.position() - start);
                    buf.put((byte) '\n');
                }
                buf.flip();
                long pos = size;
                try {
                    while (buf.hasRemaining()) {
                        pos += channel.write(buf, pos);
                    }
                    channel.force(false);
                } catch (IOException e) {
                    // A partial batch (volume full) would stay in the middle of the file once appends work again:
                    // roll the file back to its last whole line, so every line stays one JSON object.
                    try {
                        channel.truncate(size);
                    } catch (IOException rollbackFailed) {
                        // readers skip a torn line; the next append starts on a fresh line
                    }
                    throw e;
                }
                knownSize = pos;
                lastHash = prev;
                needsNewline = false;
            }
        } catch (IOException | RuntimeException e) {
            knownSize = -1; // re-read the tail next time: a partial write may be there
            throw AuditLog.unwritable(e);
        } finally {
            lock.unlock();
        }
    }

    /** Finds the hash of the last complete, parseable line and whether the file ends mid-line. */
    private void readTail(long size) throws IOException {
        needsNewline = false;
        lastHash = GENESIS;
        if (size == 0) {
            return;
        }
        for (long window = Math.min(size, TAIL_BLOCK); ; window = Math.min(size, window * 4)) {
            ByteBuffer buf = ByteBuffer.allocate((int) window);
            long pos = size - window;
            while (buf.hasRemaining()) {
                int n = channel.read(buf, pos + buf.position());
                if (n < 0) {
                    break;
                }
            }
            byte[] bytes = buf.array();
            needsNewline = bytes[bytes.length - 1] != '\n';
            int end = bytes.length;
            if (needsNewline) {
                end = lastIndexOf(bytes, end - 1) + 1; // drop the torn tail
            }
            // walk complete lines backwards; the first byte of the window is a line start only at offset 0
            while (end > 0) {
                int nl = lastIndexOf(bytes, end - 2);
                int start = nl + 1;
                if (nl < 0 && pos > 0) {
                    break; // this line may begin before the window
                }
                byte[] candidate = java.util.Arrays.copyOfRange(bytes, start, end - 1);
                if (parse(candidate) != null) {
                    lastHash = sha256(candidate);
                    return;
                }
                end = start;
            }
            if (window == size) {
                return; // no valid line at all: the chain starts afresh
            }
        }
    }

    private static int lastIndexOf(byte[] bytes, int from) {
        for (int i = from; i >= 0; i--) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /**
     * The event's line up to its last field: {@code {"timestamp":...,<details>,} without the closing brace, so that
     * the writer can add {@code "prev":"<hash>"}} — the line ends with the chain link, as it always did.
     */
    private byte[] lineWithoutPrev(AuditEvent event) throws JsonProcessingException {
        ObjectNode node = json.createObjectNode();
        node.put("timestamp", event.timestamp().toString());
        node.put("event", event.event());
        if (event.sandbox() == null) {
            node.putNull("sandbox");
        } else {
            node.put("sandbox", event.sandbox());
        }
        for (Map.Entry<String, Object> e : event.details().entrySet()) {
            if (!RESERVED.contains(e.getKey())) {
                node.set(e.getKey(), json.valueToTree(e.getValue()));
            }
        }
        // Jackson escapes control characters (newlines included) inside strings: one event is one line.
        byte[] whole = json.writeValueAsBytes(node); // {...}: at least timestamp and event, never empty
        byte[] open = java.util.Arrays.copyOf(whole, whole.length); // ...,} becomes ..., to be continued
        open[open.length - 1] = ',';
        return open;
    }

    private ObjectNode parse(byte[] line) {
        try {
            JsonNode node = json.readTree(line);
            if (node instanceof ObjectNode o && o.hasNonNull("timestamp") && o.hasNonNull("event")) {
                return o;
            }
        } catch (IOException | RuntimeException e) {
            // a torn or foreign line
        }
        return null;
    }

    private AuditEvent toEvent(ObjectNode node) {
        try {
            Map<String, Object> details = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (!RESERVED.contains(f.getKey())) {
                    details.put(f.getKey(), json.treeToValue(f.getValue(), Object.class));
                }
            }
            JsonNode sandbox = node.get("sandbox");
            return new AuditEvent(Instant.parse(node.get("timestamp").asText()), node.get("event").asText(),
                    sandbox == null || sandbox.isNull() ? null : sandbox.asText(), details);
        } catch (RuntimeException | JsonProcessingException e) {
            return null;
        }
    }

    @Override
    public List<AuditEvent> query(String sandbox, LogQuery query) {
        List<AuditEvent> out = new ArrayList<>();
        forEachLine((number, bytes) -> {
            ObjectNode node = parse(bytes);
            if (node == null || !node.path("sandbox").isTextual() || !node.get("sandbox").asText().equals(sandbox)) {
                return;
            }
            AuditEvent e = toEvent(node);
            if (e != null && (query.since() == null || !e.timestamp().isBefore(query.since()))) {
                out.add(e);
            }
        });
        out.sort(Comparator.comparing(AuditEvent::timestamp)); // stable: file order among equal times
        if (query.limit() > 0 && out.size() > query.limit()) {
            return List.copyOf(out.subList(out.size() - query.limit(), out.size()));
        }
        return List.copyOf(out);
    }

    @Override
    public Verification verify() {
        long[] counts = new long[2]; // lines, skipped
        String[] expected = {GENESIS};
        long[] firstBad = {0};
        String[] reason = {null};
        forEachLine((number, bytes) -> {
            counts[0] = number;
            if (firstBad[0] != 0) {
                return;
            }
            ObjectNode node = parse(bytes);
            if (node == null) {
                counts[1]++; // a torn line: it is not part of the chain
                return;
            }
            String prev = node.path("prev").asText(null);
            if (!expected[0].equals(prev)) {
                firstBad[0] = number;
                reason[0] = "line " + number + " does not chain to the line before it: that line was changed,"
                        + " or lines were removed or inserted";
                return;
            }
            expected[0] = sha256(bytes);
        });
        return new Verification(firstBad[0] == 0, counts[0], counts[1], firstBad[0], reason[0]);
    }

    private interface LineConsumer {
        void accept(long number, byte[] line);
    }

    /** Reads complete and torn lines in file order without holding the write lock. */
    private void forEachLine(LineConsumer consumer) {
        try (InputStream in = Files.newInputStream(path);
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            long number = 0;
            for (String s = reader.readLine(); s != null; s = reader.readLine()) {
                number++;
                consumer.accept(number, s.getBytes(StandardCharsets.UTF_8));
            }
        } catch (NoSuchFileException e) {
            // nothing recorded yet
        } catch (IOException e) {
            throw new dev.agentkernel.api.AgentKernelException(dev.agentkernel.api.ErrorCode.BACKEND_UNAVAILABLE,
                    "The audit log cannot be read", e);
        }
    }

    static String sha256(byte[] bytes) {
        return sha256(bytes, 0, bytes.length);
    }

    static String sha256(byte[] bytes, int offset, int length) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(bytes, offset, length);
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the JDK", e);
        }
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public void close() {
        commits.close();
        lock.lock();
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            // nothing left to flush: every record was forced
        } finally {
            channel = null;
            lock.unlock();
        }
    }
}
