package dev.agentkernel.cli.commands;

import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.cli.ConfigFiles;
import dev.agentkernel.cli.DurationConverter;
import dev.agentkernel.cli.ExitStatus;
import dev.agentkernel.cli.Interrupts;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import dev.agentkernel.cli.LiveOutput;
import dev.agentkernel.cli.Profiles;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.image.ImageResolver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Run a command in a new temporary sandbox, then remove it.",
        description = {
                "The output is shown as it is produced (stdout on stdout, stderr on stderr) and agentkernel exits with the command's exit status (124 when --timeout killed it). The image is chosen from the command (python3 -> a Python image, sh -> a small base image, ...) unless --image is given.",
                "",
                "Examples:",
                "  agentkernel run -- python3 -c 'print(1+1)'",
                "  agentkernel run --no-network --timeout 10s -- sh -c 'echo hi; exit 3'",
                "  agentkernel run --keep -e GREETING=hello -- sh -c 'echo $GREETING > /tmp/g'"})
public final class RunCommand extends ClientCommand {
    @Option(names = "--image", paramLabel = "IMAGE", description = "Image to run in (default: detected from the command).")
    String image;

    @Option(names = "--profile", paramLabel = "PROFILE", completionCandidates = Profiles.class,
            description = "Security profile: ${COMPLETION-CANDIDATES} (default: from the configuration, moderate).")
    String profile;

    @Option(names = "--no-network",
            description = "No network at all: selects the restrictive profile (network none, read-only root with "
                    + "writable /tmp and workdir, no capabilities, non-root user).")
    boolean noNetwork;

    @Option(names = "--keep",
            description = "Keep the sandbox afterwards (as a named sandbox; its name is printed on stderr).")
    boolean keep;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Kill the command (and everything it started) after DURATION, e.g. 30s, 5m.")
    Duration timeout;

    @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Set an environment variable (repeatable).")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory inside the sandbox.")
    String workdir;

    @Option(names = "--vcpus", paramLabel = "N", description = "CPUs (default: from the configuration, 1).")
    Integer vcpus;

    @Option(names = "--memory", paramLabel = "MB", description = "Memory in MB, swap included (default: from the configuration, 512).")
    Integer memoryMb;

    @Option(names = "--no-pool",
            description = "Never take a warm sandbox from the server's pool (with --url; embedded runs keep no pool).")
    boolean noPool;

    @Mixin
    JsonOption json;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command;

    @Override
    protected int execute(Sandboxes client) {
        SecurityProfile chosen = Profiles.choose(profile, noNetwork);
        String chosenImage = image != null ? image : projectImage(command).orElse(null);
        RunRequest request = new RunRequest(command, chosenImage, chosen, !noPool, vcpus, memoryMb, env, workdir, timeout,
                null);
        if (keep) {
            // A named sandbox has no command to detect its image from: it is named here, as a run would detect it.
            return runKept(client, request.withImage(image != null ? image : detectedImage(command)));
        }
        LiveOutput live = new LiveOutput(console());
        RunListener listener = json.json() ? RunListener.NONE : live;
        Cancellation cancellation = Cancellation.create();
        RunResult result = Interrupts.cancelOnExit(cancellation, () -> client.runStreaming(request, listener,
                cancellation));
        live.finish();
        if (json.json()) {
            console().out().println(Json.write(Json.run(result)));
        }
        return ExitStatus.of(result.exec(), console(), cancellation);
    }

    /**
     * The image the project files of the current directory imply, for a program the image table does not know
     * (e.g. {@code ./manage.py} in a directory with requirements.txt), with the configuration's {@code [images]}
     * overrides; empty otherwise, and then agentkernel (embedded or the server) detects it from the command. A
     * known program such as {@code sh} keeps its own small image rather than, in a Maven project, a JDK image that
     * may not exist offline. The directory is this machine's, so this holds for remote runs too; the image is then
     * named in the request, and its offline alternative still applies.
     */
    private Optional<String> projectImage(List<String> command) {
        if (ImageResolver.tableImage(command.get(0)).isPresent()
                || ImageResolver.projectProgram(Path.of("").toAbsolutePath()).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(detectedImage(command));
    }

    /**
     * The image a run of {@code command} would be detected to need, with the configuration's {@code [images]}
     * (its offline alternative is applied by agentkernel when it creates the sandbox).
     */
    private String detectedImage(List<String> command) {
        AgentKernelConfig config = ConfigFiles.load(root().connection(), root().env());
        Path projectDir = ImageResolver.tableImage(command.get(0)).isPresent() ? null : Path.of("").toAbsolutePath();
        return new ImageResolver(config.images(), config.sandbox().image(), null)
                .resolve(command, projectDir, anyImage -> true).image();
    }

    /** --keep: the same command in a named sandbox that outlives this process. */
    private int runKept(Sandboxes client, RunRequest request) {
        byte[] id = new byte[4];
        new SecureRandom().nextBytes(id);
        String name = "kept-" + HexFormat.of().formatHex(id);
        SandboxSpec spec = new SandboxSpec(name, request.image(), request.vcpus(), request.memoryMb(),
                request.profile(), Map.of(), Map.of(), null);
        SandboxInfo info = client.create(spec);
        console().err().println("agentkernel: kept sandbox " + info.name()
                + " (agentkernel exec " + info.name() + " -- sh; agentkernel rm " + info.name() + ")");
        ExecRequest exec = new ExecRequest(request.command(), request.env(), request.workdir(), request.timeout(), null, 0);
        LiveOutput live = new LiveOutput(console());
        Cancellation cancellation = Cancellation.create();
        ExecResult result = Interrupts.cancelOnExit(cancellation,
                () -> client.execStreaming(info.name(), exec, json.json() ? RunListener.NONE : live, cancellation));
        live.finish();
        if (json.json()) {
            Map<String, Object> out = new LinkedHashMap<>(Map.of("sandbox", info.name()));
            out.putAll(Json.exec(result));
            console().out().println(Json.write(out));
        }
        return ExitStatus.of(result, console(), cancellation);
    }
}
