package dev.agentkernel.cli.commands;

import dev.agentkernel.cli.ConfigFiles;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.core.audit.AuditLog;
import dev.agentkernel.core.config.AgentKernelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

@Command(name = "audit", mixinStandardHelpOptions = true,
        header = "Work with the audit log (JSON Lines, one event a line, hash-chained).",
        description = {"Per-sandbox events are shown by 'agentkernel logs NAME'.", "",
                "Example:", "  agentkernel audit verify"},
        subcommands = AuditCommand.Verify.class)
public final class AuditCommand extends BaseCommand {
    @Override
    protected int execute() {
        spec.commandLine().usage(console().err());
        return 2;
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            header = "Check that no line of the audit log was changed, removed or inserted.",
            description = {
                    "Each line carries the SHA-256 of the line before it; verify walks the chain from the first line. "
                            + "A torn last line (a crash during a write) is reported as skipped, not as tampering. "
                            + "Reads the local file of the configuration's [audit] path (no engine needed). "
                            + "Exit status 0 when the chain holds, 1 when it is broken.",
                    "",
                    "Examples:", "  agentkernel audit verify", "  agentkernel audit verify --file /var/log/agentkernel/audit.jsonl --json"})
    public static final class Verify extends BaseCommand {
        @Option(names = "--file", paramLabel = "FILE", description = "The audit log to check (default: from the configuration, "
                + "~/.agentkernel/audit.jsonl).")
        Path file;

        @Mixin
        JsonOption json;

        @Override
        protected int execute() {
            Path path = file;
            if (path == null) {
                AgentKernelConfig config = ConfigFiles.load(root().connection(), root().env());
                path = config.audit().path();
            }
            if (!Files.exists(path)) {
                if (file != null) {
                    throw new AgentKernelException(ErrorCode.NOT_FOUND, "No such audit log: " + path);
                }
                report(path, new AuditLog.Verification(true, 0, 0, 0, null));
                return 0;
            }
            AuditLog.Verification v;
            try (AuditLog log = AuditLog.open(path)) {
                v = log.verify();
            }
            report(path, v);
            return v.ok() ? 0 : 1;
        }

        private void report(Path path, AuditLog.Verification v) {
            if (json.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("path", path.toString());
                m.put("ok", v.ok());
                m.put("lines", v.lines());
                m.put("skipped", v.skipped());
                if (!v.ok()) {
                    m.put("first_bad_line", v.firstBadLine());
                    m.put("reason", v.reason());
                }
                console().out().println(Json.write(m));
            } else if (v.ok()) {
                console().out().println("ok: " + path + ": " + v.lines() + " line(s), the chain holds"
                        + (v.skipped() > 0 ? "; " + v.skipped() + " torn line(s) skipped" : ""));
            } else {
                console().out().println("BROKEN: " + path + ": " + v.reason());
            }
        }
    }
}
