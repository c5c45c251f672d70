package dev.agentkernel.cli.commands;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.PortUrl;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.Validation;
import dev.agentkernel.cli.ExitCodes;
import dev.agentkernel.cli.ExitStatus;
import dev.agentkernel.cli.Interrupts;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import dev.agentkernel.cli.PortForwarder;
import dev.agentkernel.cli.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code port NAME PORT}: exposes a sandbox's TCP port (idempotent) and gives the way to open it: a signed browser
 * URL when a server can sign one ({@code --url}), else (embedded) a local forwarder over {@link Sandboxes#openPort}.
 * Which one is decided by what the {@link Sandboxes} answers, not by how it was made.
 */
@Command(name = "port", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Open a TCP port of a sandbox: a browser URL (server) or a local forward (embedded).",
        description = {"Exposes PORT (the port a program inside the sandbox listens on at 127.0.0.1; idempotent, "
                + "audited). With a server (--url) it prints a signed URL that opens the port in a browser without "
                + "the API key, valid for --ttl. Embedded there is no server to sign one, so it forwards instead: "
                + "it listens on --listen (default: a free port on 127.0.0.1) and relays each connection to the "
                + "sandbox's port until Ctrl-C. --listen forces forwarding (it needs an embedded kernel).", "",
                "Examples:",
                "  agentkernel exec -d dev -- python3 -m http.server 8000",
                "  agentkernel port dev 8000                    # Forwarding http://127.0.0.1:N -> dev:8000",
                "  agentkernel port dev 8000 --listen 8080",
                "  agentkernel --url http://127.0.0.1:18888 port dev 8000 --ttl 30m",
                "  agentkernel port dev --list", "  agentkernel port dev 8000 --close"})
public final class PortCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The sandbox.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PORT", description = "The port inside the sandbox (1-65535).")
    Integer port;

    @Option(names = "--list", description = "List the exposed ports of the sandbox instead.")
    boolean list;

    @Option(names = "--close", description = "Close PORT instead: its connections end, its URLs are refused.")
    boolean close;

    @Option(names = "--ttl", paramLabel = "DURATION",
            description = "How long the URL is valid: seconds, or 30m, 2h (default: the server's, 1h; at most 24h).")
    String ttl;

    @Option(names = "--listen", paramLabel = "[HOST:]LOCALPORT", arity = "0..1", fallbackValue = "",
            description = "Forward local connections instead of printing a URL (default 127.0.0.1 and a free port).")
    String listen;

    @Mixin
    JsonOption json;

    @Override
    protected int execute(Sandboxes client) throws Exception {
        if (list) {
            return list(client.exposedPorts(name));
        }
        if (port == null) {
            console().err().println("error: PORT is required (or --list)");
            return ExitCodes.USAGE;
        }
        if (close) {
            client.unexposePort(name, port);
            print(Map.of("sandbox", name, "port", port, "closed", true), name + ":" + port + " closed");
            return 0;
        }
        // Checked before anything is exposed or listened on, as the kernel would check them.
        Validation.sandboxName(name);
        Validation.port(port);
        Duration validFor = ttl == null ? null : Validation.duration("ttl", ttl);
        InetSocketAddress address = listen == null ? null : PortForwarder.parseListen(listen);
        client.exposePort(name, port);
        if (address == null) {
            try {
                PortUrl url = client.portUrl(name, port, validFor);
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("sandbox", name);
                out.put("port", url.port());
                out.put("url", url.url().toString());
                out.put("expires_at", url.expiresAt().toString());
                print(out, url.url().toString());
                return 0;
            } catch (AgentKernelException.UnsupportedException noSigner) {
                console().detail("no URL (" + noSigner.getMessage() + "): forwarding instead");
                address = PortForwarder.parseListen(null);
            }
        }
        return forward(client, address);
    }

    private int forward(Sandboxes client, InetSocketAddress address) {
        try (PortForwarder forwarder = PortForwarder.start(client, name, port, address,
                problem -> console().warn(problem))) {
            InetSocketAddress at = forwarder.address();
            String host = at.getAddress().isAnyLocalAddress() ? "127.0.0.1" : at.getAddress().getHostAddress();
            String local = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + at.getPort();
            print(Map.of("sandbox", name, "port", port, "url", local, "forwarding", true),
                    "Forwarding " + local + " -> " + name + ":" + port + " (Ctrl-C to stop)");
            console().out().flush();
            Cancellation stop = Cancellation.create();
            stop.onCancel(forwarder::close);
            return Interrupts.cancelOnExit(stop, () -> {
                try {
                    forwarder.awaitClosed();
                    return 0;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return ExitStatus.INTERRUPTED;
                }
            });
        }
    }

    private int list(List<ExposedPort> ports) {
        if (json.json()) {
            console().out().println(Json.write(ports.stream()
                    .map(p -> Map.of("port", p.port(), "exposed_at", p.exposedAt().toString())).toList()));
            return 0;
        }
        Table table = new Table("PORT", "EXPOSED_AT");
        ports.forEach(p -> table.row(p.port(), p.exposedAt()));
        table.print(console());
        return 0;
    }

    private void print(Map<String, ?> asJson, String text) {
        console().out().println(json.json() ? Json.write(asJson) : text);
    }
}
