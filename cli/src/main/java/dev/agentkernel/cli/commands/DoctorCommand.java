package dev.agentkernel.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.ConfigFiles;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import dev.agentkernel.cli.setup.EngineProbe;
import dev.agentkernel.cli.setup.EngineSetup;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.Backends;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.config.AgentKernelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        header = "Check what agentkernel needs and say how to fix what is wrong.",
        description = {
                "Embedded: the Docker engine (version, API, runtime, storage, cgroups), the default images, the sandbox network and its host firewall, the backend, the configuration file, the pool settings and the audit log. With --url: the server's health and pool. Changes nothing (use 'agentkernel setup' to fix the engine and images). Exit status 0 when everything is fine, 1 otherwise.",
                "",
                "Example:",
                "  agentkernel doctor"})
public final class DoctorCommand extends BaseCommand {

    @Mixin
    JsonOption json;

    /** One finding: what was checked, what was found, and when something is wrong, the fix. */
    record Check(String name, boolean ok, String found, String fix) {
    }

    @Override
    protected int execute() {
        List<Check> checks = new ArrayList<>();
        String url = root().connection().url() != null ? root().connection().url() : root().env().get("AGENTKERNEL_BASE_URL");
        if (url != null && !url.isBlank()) {
            remoteChecks(checks, url);
        } else {
            embeddedChecks(checks);
        }
        boolean ok = checks.stream().allMatch(Check::ok);
        if (json.json()) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("ok", ok);
            doc.put("checks", checks.stream().map(c -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", c.name());
                m.put("ok", c.ok());
                m.put("found", c.found());
                if (c.fix() != null) {
                    m.put("fix", c.fix());
                }
                return m;
            }).toList());
            console().out().println(Json.write(doc));
        } else {
            for (Check c : checks) {
                String mark = c.ok() ? console().style("@|green ok |@") : console().style("@|red,bold BAD|@");
                console().out().printf("%s %-8s %s%n", mark, c.name(), c.found());
                if (c.fix() != null) {
                    console().out().println("             fix: " + c.fix());
                }
            }
            console().out().println(ok ? "everything looks fine" : "problems found: see the fixes above");
        }
        return ok ? 0 : 1;
    }

    private void remoteChecks(List<Check> checks, String url) {
        try (Sandboxes client = root().clientFactory().open(root().connection(), console())) {
            BackendHealth h = client.health();
            checks.add(new Check("server", h.available(), url + ": " + h.message() + " " + h.details(),
                    h.available() ? null : "the server's backend is down: run 'agentkernel doctor' on the server's machine"));
            PoolStats p = client.poolStats();
            checks.add(new Check("pool", true, (p.enabled() ? "enabled" : "disabled") + ", " + p.size() + " warm, target "
                    + p.targetPerKey() + " per key, max " + p.max(), null));
        } catch (AgentKernelException e) {
            checks.add(new Check("server", false, e.getMessage(),
                    "start one with 'agentkernel serve', or check --url / $AGENTKERNEL_BASE_URL and $AGENTKERNEL_API_KEY"));
        }
    }

    private void embeddedChecks(List<Check> checks) {
        Map<String, String> env = root().env();
        EngineSetup setup = new EngineSetup(env);
        EngineProbe probe = setup.probe();
        EngineProbe.Result ping = probe.ping();
        if (!ping.ok()) {
            checks.add(new Check("engine", false, "no answer at " + probe.endpoint() + ": " + ping.why(), engineFix(probe, ping)));
        } else {
            JsonNode v = probe.version().orElse(Json.MAPPER.createObjectNode());
            JsonNode i = probe.info().orElse(Json.MAPPER.createObjectNode());
            checks.add(new Check("engine", true, "Docker " + v.path("Version").asText("?") + " (API "
                    + v.path("ApiVersion").asText("?") + ") at " + probe.endpoint() + "; runtime "
                    + i.path("DefaultRuntime").asText("?") + ", storage " + i.path("Driver").asText("?") + ", cgroup v"
                    + i.path("CgroupVersion").asText("?") + " (" + i.path("CgroupDriver").asText("?") + ")", null));
            for (String image : setup.defaultImages()) {
                boolean present = probe.imagePresent(image);
                checks.add(new Check("image", present, image + (present ? " present" : " missing"),
                        present ? null : "agentkernel setup   (builds it offline, once)"));
            }
            checks.add(firewallCheck(setup));
            checks.add(gvisorCheck(setup));
        }

        AgentKernelConfig config;
        try {
            Optional<Path> file = ConfigFiles.locate(root().connection(), env);
            config = ConfigFiles.load(root().connection(), env);
            checks.add(new Check("config", true, file.map(f -> f.toAbsolutePath().toString()).orElse("built-in defaults")
                    + "; default profile " + config.sandbox().profile().wireName() + ", base image "
                    + config.sandbox().image(), null));
        } catch (AgentKernelException e) {
            checks.add(new Check("config", false, e.getMessage(), "fix the file, or remove it to use the defaults"));
            return;
        }
        checks.add(new Check("pool", true, "serve keeps " + config.pool().size() + " warm sandbox(es) per key, at most "
                + config.pool().max() + " (embedded one-shot commands use none)", null));
        checks.add(auditCheck(config));

        if (ping.ok()) {
            try (Backend backend = Backends.open(BackendSettings.from(config, InstanceId.current(),
                    BackendSettings.PULL_NONE))) {
                BackendHealth h = backend.health();
                checks.add(new Check("backend", h.available(), backend.id() + ": " + h.message()
                        + (h.details().containsKey("exec_via") ? "; commands via " + h.details().get("exec_via") : ""),
                        h.available() ? null : "agentkernel setup"));
                String network = h.details().get("network");
                if (network != null) {
                    boolean usable = !network.startsWith("unusable");
                    checks.add(new Check("network", usable, network, usable ? null : "see the message; then agentkernel doctor"));
                }
                checks.add(runtimeCheck(h.details()));
                if (h.details().containsKey("disk")) {
                    checks.add(new Check("disk", true, h.details().get("disk"), null));
                }
                if (h.details().containsKey("image_pulls")) {
                    checks.add(new Check("pulls", true, "serve and the MCP server pull images: "
                            + h.details().get("image_pulls") + " ([sandbox] pull_registries)", null));
                }
            } catch (AgentKernelException e) {
                checks.add(new Check("backend", false, e.getMessage(), "agentkernel setup"));
            }
        }
    }

    /** The engine's runtimes, and whether every runtime a profile names is one of them (gVisor: runsc). */
    private static Check runtimeCheck(Map<String, String> details) {
        List<String> engine = List.of(details.getOrDefault("runtimes", "").split(","));
        String configured = details.get("profile_runtimes");
        String found = "engine runtimes " + String.join(", ", engine) + (engine.contains("runsc") ? " (gVisor available)" : "")
                + "; profiles: " + (configured == null ? "the engine's default" : configured);
        boolean ok = configured == null || java.util.Arrays.stream(configured.split(","))
                .map(p -> p.substring(p.indexOf('=') + 1)).allMatch(engine::contains);
        return new Check("runtime", ok, found, ok ? null
                : "agentkernel setup --runsc   (installs gVisor and registers it with the engine), or drop [profiles.*] runtime");
    }

    /** The host firewall that keeps sandboxes of the bridge profiles away from the host and private networks. */
    private static Check firewallCheck(EngineSetup setup) {
        EngineSetup.Status f = setup.firewall();
        if (f.ok() == null) {
            return new Check("firewall", true, "sandbox network firewall: " + f.found(), null);
        }
        return new Check("firewall", f.ok(), "sandbox network firewall " + f.found(), f.ok() ? null
                : "agentkernel setup   (as root; without it bridge-profile sandboxes reach the host's services)");
    }

    /** gVisor's registration: opt-in, so only one that would leave bridge profiles without network fails. */
    private static Check gvisorCheck(EngineSetup setup) {
        EngineSetup.Status g = setup.gvisor();
        return new Check("gvisor", g.ok() != Boolean.FALSE, "runsc " + g.found(), g.ok() == Boolean.FALSE
                ? "agentkernel setup --runsc   (registers it again with the expected arguments; nothing restarts)" : null);
    }

    private static Check auditCheck(AgentKernelConfig config) {
        Path path = config.audit().path();
        if (!config.audit().enabled()) {
            return new Check("audit", true, "disabled (AGENTKERNEL_AUDIT=0)", null);
        }
        Path dir = path.toAbsolutePath().getParent();
        Path existing = dir;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        boolean writable = Files.exists(path) ? Files.isWritable(path) : existing != null && Files.isWritable(existing);
        return new Check("audit", writable, path + (Files.exists(path) ? "" : " (not written yet)"),
                writable ? null : "make " + dir + " writable for this user, or set [audit] path in the configuration");
    }

    private static String engineFix(EngineProbe probe, EngineProbe.Result ping) {
        String why = String.valueOf(ping.why()).toLowerCase();
        if (why.contains("permission denied") || why.contains("access denied")) {
            return "sudo usermod -aG docker $USER, then log in again (or run as root)";
        }
        if (probe.socketPath().isPresent() && !probe.socketExists()) {
            return "agentkernel setup   (starts or installs the engine; or: sudo apt-get install docker.io && sudo systemctl start docker)";
        }
        return "agentkernel setup   (or check $DOCKER_HOST)";
    }
}
