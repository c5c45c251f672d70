package dev.agentkernel.cli.commands;

import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code secret set|ls|rm}: the secret store of the host that runs the sandboxes (this machine embedded, the
 * server's with {@code --url}), for {@code create --secret-file KEY}. A value is read from stdin or a file, never
 * from an argument (arguments are visible to every user of the machine in the process list).
 */
@Command(name = "secret", mixinStandardHelpOptions = true,
        header = "Secrets for sandboxes: stored 0600 on the host, written read-only into sandboxes that ask for them.",
        description = {"Values are never printed, logged or audited.", "",
                "Examples:", "  printf %%s \"$TOKEN\" | agentkernel secret set GITHUB_TOKEN",
                "  agentkernel create dev --secret-file GITHUB_TOKEN   # /run/agentkernel/secrets/GITHUB_TOKEN",
                "  agentkernel secret ls --json", "  agentkernel secret rm GITHUB_TOKEN"},
        subcommands = {SecretCommand.Set.class, SecretCommand.Ls.class, SecretCommand.Rm.class})
public final class SecretCommand extends BaseCommand {
    /** Read from stdin or a file; a secret is small. */
    static final int MAX_BYTES = 64 * 1024;

    @Override
    protected int execute() {
        spec.commandLine().usage(console().err());
        return 2;
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            header = "Store a secret from stdin (or --from-file); one trailing newline is dropped.")
    public static final class Set extends ClientCommand {
        @Parameters(index = "0", paramLabel = "KEY", description = "Letters, digits and '_', not starting with a digit.")
        String key;

        @Option(names = "--from-file", paramLabel = "FILE", description = "Read the value from FILE instead of stdin.")
        Path file;

        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) throws IOException {
            byte[] raw = file == null ? System.in.readNBytes(MAX_BYTES + 1) : readFile(file);
            if (raw.length > MAX_BYTES) {
                throw new dev.agentkernel.api.AgentKernelException.TooLargeException("Secret '" + key
                        + "' is larger than " + MAX_BYTES + " bytes");
            }
            String value = new String(raw, StandardCharsets.UTF_8);
            if (value.endsWith("\n")) {
                value = value.substring(0, value.length() - (value.endsWith("\r\n") ? 2 : 1));
            }
            client.setSecret(key, value);
            console().out().println(json.json() ? Json.write(Map.of("key", key, "stored", true)) : key);
            return 0;
        }

        /** At most one byte past the limit; a missing file is NOT_FOUND (exit 3), as for batch. */
        private static byte[] readFile(Path file) throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                return in.readNBytes(MAX_BYTES + 1);
            } catch (NoSuchFileException e) {
                throw new dev.agentkernel.api.AgentKernelException.NotFoundException("No such file: " + file);
            }
        }
    }

    @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true, header = "List the keys (never the values).")
    public static final class Ls extends ClientCommand {
        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            List<String> keys = client.listSecrets();
            console().out().println(json.json() ? Json.write(keys) : String.join("\n", keys));
            return 0;
        }
    }

    @Command(name = "rm", aliases = "remove", mixinStandardHelpOptions = true, header = "Remove secrets.")
    public static final class Rm extends ClientCommand {
        @Parameters(arity = "1..*", paramLabel = "KEY", description = "The keys.")
        List<String> keys;

        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            for (String k : keys) {
                client.removeSecret(k);
            }
            console().out().println(json.json() ? Json.write(Map.of("removed", keys)) : String.join("\n", keys));
            return 0;
        }
    }
}
