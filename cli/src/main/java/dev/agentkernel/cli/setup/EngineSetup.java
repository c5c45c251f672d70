package dev.agentkernel.cli.setup;

import dev.agentkernel.cli.Console;
import dev.agentkernel.api.AgentKernelException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Makes the machine ready for embedded use: a reachable Docker engine and the default local images.
 * The work itself is {@code scripts/docker-bootstrap.sh}, shipped inside the jar, so the CLI, CI and
 * {@code scripts/test.sh} set machines up the same way: find the engine ({@code DOCKER_HOST} or the default
 * socket), start it when installed, install it as root on Debian/Ubuntu (saying so), otherwise print the
 * commands to run; then build the busybox and python images offline from the distribution's own packages.
 */
public final class EngineSetup {
    private static final String SCRIPT_RESOURCE = "/dev/agentkernel/cli/docker-bootstrap.sh";

    private final Map<String, String> env;
    private final EngineProbe probe;

    public EngineSetup(Map<String, String> env) {
        this.env = env;
        this.probe = EngineProbe.fromEnv(env);
    }

    public EngineProbe probe() {
        return probe;
    }

    /** The images setup provides, as the bootstrap script names them. */
    public List<String> defaultImages() {
        return List.of(env.getOrDefault("AGENTKERNEL_BUSYBOX_IMAGE", "agentkernel/busybox:local"),
                env.getOrDefault("AGENTKERNEL_PYTHON_IMAGE", "agentkernel/python:local"));
    }

    /** What is missing now: nothing (ready), the engine, or some images. */
    public Readiness check() {
        EngineProbe.Result ping = probe.ping();
        if (!ping.ok()) {
            return new Readiness(false, ping.why(), defaultImages());
        }
        List<String> missing = new ArrayList<>();
        for (String image : defaultImages()) {
            if (!probe.imagePresent(image)) {
                missing.add(image);
            }
        }
        return new Readiness(true, null, missing);
    }

    /** Whether the engine answers and which default images are missing. */
    public record Readiness(boolean engineUp, String engineProblem, List<String> missingImages) {
        public boolean ready() {
            return engineUp && missingImages.isEmpty();
        }
    }

    /** Sets up only what is missing; silent when everything is there (the common, fast case). */
    public void ensureReady(Console console) {
        Readiness r = check();
        if (r.ready()) {
            return;
        }
        console.progress(r.engineUp()
                ? "first use: building the local images " + String.join(", ", r.missingImages())
                + " (once; about a minute)"
                : "the Docker engine is not reachable at " + probe.endpoint() + " (" + r.engineProblem()
                + "); setting it up");
        run(console);
    }

    /** Runs the whole setup (each step checks first) and fails with the engine-unavailable error if it cannot. */
    public void run(Console console) {
        int status = runScript(List.of(), line -> {
            console.err().println(line);
            console.err().flush();
        });
        if (status != 0) {
            throw new AgentKernelException.BackendUnavailableException(
                    "setup could not make the Docker engine ready (see the messages above); "
                            + "fix that, then run: agentkernel setup", null);
        }
        Readiness after = check();
        if (!after.ready()) {
            throw new AgentKernelException.BackendUnavailableException(after.engineUp()
                    ? "setup finished but these images are still missing: " + after.missingImages()
                    : "setup finished but the engine at " + probe.endpoint() + " does not answer: " + after.engineProblem(),
                    null);
        }
    }

    /** An answer of one of the bootstrap script's status options: {@code ok} null when there is no verdict. */
    public record Status(Boolean ok, String found) {
    }

    /**
     * Asks the bootstrap script (which owns the rules) whether the firewall is in place; changes nothing. No verdict
     * when that cannot be told (not root).
     */
    public Status firewall() {
        return status("--firewall-status");
    }

    /**
     * Asks the bootstrap script (which registers it) how gVisor is registered with the engine; changes nothing. No
     * verdict when it is not registered: gVisor is opt-in.
     */
    public Status gvisor() {
        return status("--runsc-status");
    }

    /** Exit status 0 is ok, 1 is not, anything else no verdict; the script's lines are what it found. */
    private Status status(String option) {
        StringBuilder out = new StringBuilder();
        int status = runScript(List.of(option), line -> out.append(out.isEmpty() ? "" : "; ").append(line));
        return new Status(status == 0 ? Boolean.TRUE : status == 1 ? Boolean.FALSE : null, out.toString());
    }

    /** Runs one step of the bootstrap script ({@code --firewall-remove}, {@code --with-runsc}, ...), failing if it fails. */
    public void runScriptOrFail(Console console, String option) {
        if (runScript(List.of(option), console.err()::println) != 0) {
            throw new AgentKernelException.BackendUnavailableException("setup " + option + " failed (see the messages "
                    + "above)", null);
        }
    }

    /** Runs the bootstrap script, handing its output lines (progress and answers) to {@code lines} as they come. */
    private int runScript(List<String> options, java.util.function.Consumer<String> sink) {
        Path script = extractScript();
        try {
            List<String> argv = new ArrayList<>(List.of("bash", script.toString()));
            argv.addAll(options);
            ProcessBuilder pb = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectErrorStream(true);
            pb.environment().putAll(env);
            Process p = pb.start();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    sink.accept(line);
                }
            }
            return p.waitFor();
        } catch (IOException e) {
            throw new AgentKernelException.BackendUnavailableException("cannot run the setup script (is bash installed?): "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentKernelException.BackendUnavailableException("setup was interrupted", e);
        } finally {
            try {
                Files.deleteIfExists(script);
            } catch (IOException ignored) {
                // a temporary file left in /tmp
            }
        }
    }

    private static Path extractScript() {
        try (InputStream in = EngineSetup.class.getResourceAsStream(SCRIPT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the setup script is missing from the agentkernel jar");
            }
            Path tmp = Files.createTempFile("agentkernel-setup", ".sh");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
