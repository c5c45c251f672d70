package dev.agentkernel.cli.commands;

import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import dev.agentkernel.cli.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.stream.Collectors;

@Command(name = "logs", mixinStandardHelpOptions = true,
        header = "Show the audit events of a sandbox (also after it was removed).",
        description = {"Examples:", "  agentkernel logs dev", "  agentkernel logs dev --since 10m --limit 20 --json"})
public final class LogsCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The sandbox (exact name).")
    String name;

    @Option(names = "--since", paramLabel = "WHEN", converter = SinceConverter.class,
            description = "Only events from WHEN on: an instant (2026-01-30T12:00:00Z) or an age (30s, 10m, 2h).")
    Instant since;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "At most the N most recent events (0: all).")
    int limit;

    @Mixin
    JsonOption json;

    @Override
    protected int execute(Sandboxes client) {
        List<AuditEvent> events = client.logs(name, new LogQuery(since, limit));
        if (json.json()) {
            console().out().println(Json.write(events.stream().map(Json::audit).toList()));
            return 0;
        }
        Table t = new Table("TIMESTAMP", "EVENT", "DETAILS");
        for (AuditEvent e : events) {
            t.row(e.timestamp(), e.event(), e.details().entrySet().stream()
                    .map(d -> d.getKey() + "=" + d.getValue()).collect(Collectors.joining(" ")));
        }
        t.print(console());
        return 0;
    }

    /** An ISO instant, or an age relative to now. */
    public static final class SinceConverter implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            try {
                return Instant.parse(value);
            } catch (DateTimeParseException notAnInstant) {
                try {
                    return Instant.now().minus(new dev.agentkernel.cli.DurationConverter().convert(value));
                } catch (TypeConversionException notAnAge) {
                    throw new TypeConversionException("'" + value
                            + "' is neither an instant (2026-01-30T12:00:00Z) nor an age (30s, 10m, 2h)");
                }
            }
        }
    }
}
