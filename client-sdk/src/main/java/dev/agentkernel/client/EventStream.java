package dev.agentkernel.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.client.generated.model.DoneEvent;
import dev.agentkernel.client.generated.model.ErrorEvent;
import dev.agentkernel.client.generated.model.OutputEvent;
import dev.agentkernel.client.generated.model.ProgressEvent;
import dev.agentkernel.client.generated.model.StartedEvent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The events of one streaming run or exec, read from the open HTTP response as the server sends them.
 * Iterate it (or use {@link #stream()}) on one thread; it ends after the terminal {@link StreamEvent.Done} or
 * {@link StreamEvent.Error}. {@link #close()} (from any thread, e.g. a timeout or a UI "stop" button) closes the
 * connection, which makes the server kill the command; the iteration then ends quietly.
 *
 * <p>A connection that breaks before the terminal event raises a {@code BACKEND_UNAVAILABLE}
 * {@link dev.agentkernel.api.AgentKernelException}.
 */
public final class EventStream implements Iterable<StreamEvent>, AutoCloseable {
    private final InputStream body;
    private final BufferedReader reader;
    private final ObjectMapper mapper;
    private final SseParser parser = new SseParser();
    private volatile boolean closed;
    private boolean finished;
    private boolean iterated;
    private StreamEvent next;
    private StreamEvent terminal;

    EventStream(InputStream body, ObjectMapper mapper) {
        this.body = body;
        this.reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        this.mapper = mapper;
    }

    /** Single use: the events are read from the network once. */
    @Override
    public synchronized Iterator<StreamEvent> iterator() {
        if (iterated) {
            throw new IllegalStateException("an EventStream can be iterated only once");
        }
        iterated = true;
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                if (next == null && !finished) {
                    next = readNext();
                    if (next == null) {
                        finished = true;
                    }
                }
                return next != null;
            }

            @Override
            public StreamEvent next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                StreamEvent out = next;
                next = null;
                return out;
            }
        };
    }

    /** The events as a sequential {@link Stream}; closing the Stream closes the connection. */
    public Stream<StreamEvent> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(),
                Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(this::close);
    }

    /**
     * Delivers every event to {@code listener} on this thread, then returns the terminal event ({@code Done} or
     * {@code Error}). If the stream was closed before its end, returns empty.
     */
    public Optional<StreamEvent> forEachEvent(StreamListener listener) {
        try (this) {
            for (StreamEvent event : this) {
                listener.onEvent(event);
            }
            return Optional.ofNullable(terminal);
        }
    }

    /** The terminal event once it has been read. */
    public Optional<StreamEvent> terminalEvent() {
        return Optional.ofNullable(terminal);
    }

    public boolean isClosed() {
        return closed;
    }

    /** Closes the connection; the server then kills the command. Idempotent, callable from any thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            body.close();
        } catch (IOException ignored) {
            // Closing is best effort: the connection is dropped either way.
        }
    }

    private StreamEvent readNext() {
        if (terminal != null || closed) {
            return null;
        }
        try {
            String line;
            while ((line = reader.readLine()) != null) {
                Optional<SseParser.Message> message = parser.accept(line);
                if (message.isEmpty()) {
                    continue;
                }
                Optional<StreamEvent> event = decode(message.get(), mapper);
                if (event.isEmpty()) {
                    continue; // an event type this client does not know: forward compatible
                }
                if (event.get().isTerminal()) {
                    terminal = event.get();
                    close();
                }
                return event.get();
            }
        } catch (IOException e) {
            if (closed) {
                return null; // closed by the caller (perhaps from another thread): a quiet end
            }
            close();
            throw Errors.transport(null, "the stream broke before its end", e);
        }
        if (closed) {
            return null;
        }
        close();
        throw Errors.protocol("the server ended the stream without a done or error event", null);
    }

    /** Decodes one SSE message into an event (data shapes: the generated {@code *Event} models); unknown names give empty. */
    static Optional<StreamEvent> decode(SseParser.Message message, ObjectMapper mapper) {
        try {
            return Optional.ofNullable(switch (message.event()) {
                case "started" -> {
                    StartedEvent e = mapper.readValue(message.data(), StartedEvent.class);
                    yield new StreamEvent.Started(e.getSandbox(), e.getImage(), e.getImageNote(),
                            Boolean.TRUE.equals(e.getPooled()));
                }
                case "progress" -> {
                    ProgressEvent e = mapper.readValue(message.data(), ProgressEvent.class);
                    yield new StreamEvent.Progress(e.getStage() == null ? "" : e.getStage().getValue());
                }
                case "output" -> {
                    OutputEvent e = mapper.readValue(message.data(), OutputEvent.class);
                    yield new StreamEvent.Output(e.getContent(), e.getStream() == null ? null : e.getStream().getValue());
                }
                case "done" -> {
                    DoneEvent e = mapper.readValue(message.data(), DoneEvent.class);
                    if (e.getExitCode() == null) {
                        throw Errors.protocol("'done' event without exit_code: " + message.data(), null);
                    }
                    yield new StreamEvent.Done(e.getExitCode(),
                            e.getDurationMs() == null ? null : Duration.ofMillis(e.getDurationMs()),
                            Boolean.TRUE.equals(e.getTimedOut()), Boolean.TRUE.equals(e.getTruncated()));
                }
                case "error" -> {
                    ErrorEvent e = mapper.readValue(message.data(), ErrorEvent.class);
                    yield new StreamEvent.Error(e.getMessage(), e.getCode() == null ? null : e.getCode().getValue());
                }
                default -> null;
            });
        } catch (IOException e) {
            throw Errors.protocol("bad JSON in '" + message.event() + "' event: " + message.data(), e);
        }
    }
}
