package dev.agentkernel.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.api.Sandboxes;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The MCP server over stdio: newline-delimited JSON-RPC on stdin/stdout, built on the official Java MCP SDK.
 * {@link #serve} blocks until the client closes stdin (the stdio transport's way of saying goodbye).
 */
public final class McpStdioServer {
    public static final String SERVER_NAME = "agentkernel";

    private static final Logger LOG = LoggerFactory.getLogger(McpStdioServer.class);
    /** After stdin ends, how long calls still running may take to finish and send their results. */
    private static final Duration DRAIN = Duration.ofSeconds(30);
    /** Time for the transport's writer thread to send the last queued responses. */
    private static final Duration FLUSH_GRACE = Duration.ofMillis(300);

    private McpStdioServer() {
    }

    /**
     * Takes the process's real stdout for the protocol and points {@link System#out} at stderr, so that a stray
     * {@code println} anywhere (ours or a library's) can never corrupt the protocol stream.
     */
    public static OutputStream claimStdout() {
        OutputStream protocol = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        return protocol;
    }

    /**
     * Serves the sandbox tools on {@code ops} until {@code in} ends, then closes {@code ops} (which removes the
     * temporary sandboxes it made). Also closes them when the process is terminated while serving.
     *
     * @param description where the sandboxes are (e.g. {@code embedded (docker)} or a server's URL), for the
     *                    instructions and the log
     */
    public static void serveAndClose(Sandboxes ops, String description, long maxOutputBytes, InputStream in,
                                     OutputStream out) throws InterruptedException {
        Thread hook = new Thread(ops::close, "agentkernel-mcp-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            serve(new SandboxTools(ops, maxOutputBytes), description, in, out);
        } finally {
            ops.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or about to; ops.close() is idempotent.
            }
        }
    }

    /** Serves {@code tools} until {@code in} ends; then closes the MCP session (not the operations). */
    public static void serve(SandboxTools tools, String description, InputStream in, OutputStream out)
            throws InterruptedException {
        CountDownLatch inputClosed = new CountDownLatch(1);
        InFlight inFlight = new InFlight();
        CallCancellations calls = new CallCancellations();
        McpJsonMapper mapper = new JacksonMcpJsonMapper(new ObjectMapper());
        ProtocolInput input = new ProtocolInput(in, out, inputClosed, calls);
        var transport = new StdioServerTransportProvider(mapper, input, out);
        McpSyncServer server = McpServer.sync(transport)
                .serverInfo(new McpSchema.Implementation(SERVER_NAME, "agentkernel sandboxes", version()))
                .instructions(instructions(description))
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .jsonMapper(mapper)
                .jsonSchemaValidator(new DefaultJsonSchemaValidator())
                // The handlers check every argument with messages that name the tool, the field and the rule.
                .validateToolInputs(false)
                .tools(specifications(tools, inFlight, calls))
                .build();
        LOG.info("MCP server on stdio ready: {} tools, sandboxes {}", tools.tools().size(), description);
        try {
            inputClosed.await();
            // A client may send its last requests and close stdin at once: answer what is already running.
            if (!inFlight.awaitIdle(DRAIN)) {
                LOG.warn("stdin closed; {} tool calls still running are abandoned", inFlight.count());
            }
            Thread.sleep(FLUSH_GRACE.toMillis());
            LOG.info("stdin closed; MCP server stopping");
        } finally {
            input.release();
            server.closeGracefully();
        }
    }

    static List<SyncToolSpecification> specifications(SandboxTools tools, InFlight inFlight, CallCancellations calls) {
        return tools.tools().stream()
                .map(tool -> SyncToolSpecification.builder()
                        .tool(tool)
                        .callHandler((exchange, request) -> {
                            inFlight.begin();
                            try {
                                return tools.call(tool.name(), request.arguments(),
                                        ExchangeProgress.of(exchange, request.progressToken()),
                                        calls.of(request.meta()));
                            } finally {
                                calls.closed(request.meta());
                                inFlight.end();
                            }
                        })
                        .build())
                .toList();
    }

    /** Counts tool calls being served, so that shutdown can wait for them. */
    static final class InFlight {
        private int count;

        synchronized void begin() {
            count++;
        }

        synchronized void end() {
            count--;
            notifyAll();
        }

        synchronized int count() {
            return count;
        }

        synchronized boolean awaitIdle(Duration max) throws InterruptedException {
            long end = System.nanoTime() + max.toNanos();
            while (count > 0) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    static String instructions(String description) {
        return "agentkernel runs commands in isolated sandboxes (containers; here: " + description + "). "
                + "Use sandbox_run for a one-off command in a fresh sandbox that is removed afterwards. For work "
                + "that spans several commands, sandbox_create a named sandbox, then sandbox_exec, "
                + "sandbox_file_write and sandbox_file_read in it, and sandbox_remove it when done. Commands are "
                + "argv arrays; wrap shell syntax in [\"sh\", \"-c\", \"...\"].";
    }

    static String version() {
        String v = McpStdioServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
