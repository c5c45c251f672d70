package dev.agentkernel.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.docker.DockerBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code agentkernel bench}: measures, on this host and in one run, what a user of the HTTP API gets (warm and cold
 * {@code /run}, exec in a named sandbox, streaming, files, a burst, a sustained load, server memory) next to what
 * they would otherwise use (docker run, docker exec, docker-java exec). Warm-up requests are not counted.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure latency, throughput and memory of agentkernel on this host, with Docker baselines.",
                "Starts a server of its own (child JVM, temporary audit log) unless --url is given (then no RSS "
                        + "figures); every sandbox and container it makes is removed at the end."})
public final class BenchCommand implements Callable<Integer> {
    private static final List<String> ECHO = List.of("echo", "hello");

    @Spec
    CommandSpec spec;

    @Option(names = "--image", defaultValue = "agentkernel/busybox:local", description = "Image for every figure (default: ${DEFAULT-VALUE}).")
    String image;

    @Option(names = "--stream-image", defaultValue = "agentkernel/python:local",
            description = "Image with python3, to timestamp output inside the sandbox (default: ${DEFAULT-VALUE}).")
    String streamImage;

    @Option(names = "--warm", defaultValue = "30", description = "Warm /run requests (default: ${DEFAULT-VALUE}).")
    int warm;

    @Option(names = "--warm-spacing-ms", defaultValue = "300", description = "Pause between warm /run requests so the pool refills (default: ${DEFAULT-VALUE}).")
    long warmSpacingMs;

    @Option(names = "--cold", defaultValue = "8", description = "Cold /run requests, fast=false (default: ${DEFAULT-VALUE}).")
    int cold;

    @Option(names = "--exec", defaultValue = "200", description = "Sequential execs in a named sandbox (default: ${DEFAULT-VALUE}).")
    int execs;

    @Option(names = "--exec-callers", defaultValue = "8", description = "Concurrent exec callers for throughput (default: ${DEFAULT-VALUE}).")
    int execCallers;

    @Option(names = "--exec-seconds", defaultValue = "5", description = "Exec throughput duration (default: ${DEFAULT-VALUE}).")
    int execSeconds;

    @Option(names = "--stream", defaultValue = "10", description = "/run/stream requests per stream figure (default: ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--files", defaultValue = "10", description = "1 MiB file write+read round trips (default: ${DEFAULT-VALUE}).")
    int files;

    @Option(names = "--burst", defaultValue = "100", description = "Concurrent /run requests in the burst (default: ${DEFAULT-VALUE}).")
    int burst;

    @Option(names = "--sustained-seconds", defaultValue = "15", description = "Duration of the sustained /run load (default: ${DEFAULT-VALUE}).")
    int sustainedSeconds;

    @Option(names = "--sustained-callers", defaultValue = "4", description = "Concurrent callers of the sustained load (default: ${DEFAULT-VALUE}).")
    int sustainedCallers;

    @Option(names = "--named", defaultValue = "100", description = "Named sandboxes held for the RSS figure (default: ${DEFAULT-VALUE}).")
    int named;

    @Option(names = "--adapt-seconds", defaultValue = "300",
            description = "How long to wait for the pool to adapt after the first burst (default: ${DEFAULT-VALUE}).")
    int adaptSeconds;

    @Option(names = "--baseline-runs", defaultValue = "10", description = "docker run --rm samples (default: ${DEFAULT-VALUE}).")
    int baselineRuns;

    @Option(names = "--baseline-execs", defaultValue = "40", description = "docker exec samples, CLI and docker-java each (default: ${DEFAULT-VALUE}).")
    int baselineExecs;

    @Option(names = "--server-jvm-opts",
            description = "JVM options of the server the benchmark starts (default: those `agentkernel serve` runs with, "
                    + "from serve.jvm-options).")
    String serverJvmOpts;

    @Option(names = "--exec-via", description = "auto, agent or docker-exec for the server it starts (AGENTKERNEL_DOCKER_EXEC).")
    String execVia;

    @Option(names = "--pool-size", description = "Warm pool size of the server it starts (AGENTKERNEL_POOL_SIZE).")
    Integer poolSize;

    @Option(names = "--engine-floor", defaultValue = "20", description = "Containers created and started on the "
            + "sandboxes' network, " + FLOOR_AT_ONCE + " at a time, for the engine's floor of a burst; 0 skips it "
            + "(default: ${DEFAULT-VALUE}).")
    int engineFloor;

    /** As many at once as the pool creates by default ({@code pool.create_parallelism}). */
    private static final int FLOOR_AT_ONCE = 4;
    /** Execs before the exec figures, not counted. */
    private static final int EXEC_WARM_UP = 200;
    private long engineFloorNanos = -1;

    @Option(names = "--runtime-samples", defaultValue = "10", description = "Samples per figure of the runc vs runsc "
            + "(gVisor) comparison, made when the engine has runsc registered; 0 skips it (default: ${DEFAULT-VALUE}).")
    int runtimeSamples;

    @Option(names = "--json", description = "Print the results as JSON.")
    boolean json;

    private final String runId = UUID.randomUUID().toString().substring(0, 6);
    private static final String GVISOR = "runsc";
    private static final String RUNTIME_RUN = "docker run --rm";
    private static final String RUNTIME_EXEC = "docker exec";
    private static final String RUNTIME_FORK = "100 fork+exec in one exec";

    private static String runtimeFigure(String what, String runtime) {
        return "runtime " + runtime + ": " + what;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Progress progress = new Progress(err, true);
        String engine;
        Map<String, Samples> base = new HashMap<>();
        try (Baselines baselines = new Baselines(image)) {
            engine = baselines.engineVersion();
            progress.step("baselines: docker run --rm, docker exec (CLI), docker-java exec");
            boolean cli = Baselines.dockerCliPresent();
            if (cli) {
                base.put(BenchReport.DOCKER_RUN, repeat(Math.min(2, baselineRuns), baselineRuns, baselines::dockerRun));
                base.put(BenchReport.DOCKER_EXEC_CLI, repeat(5, baselineExecs, baselines::dockerExecCli));
            }
            base.put(BenchReport.DOCKER_JAVA_EXEC, repeat(5, baselineExecs, baselines::dockerJavaExec));
            if (cli && baselines.sandboxNetworkPresent()) {
                progress.step("baselines on the sandboxes' network: docker run --rm, " + engineFloor
                        + " containers created and started " + FLOOR_AT_ONCE + " at a time");
                base.put(BenchReport.DOCKER_RUN_NETWORK, repeat(1, baselineRuns, baselines::dockerRunOnSandboxNetwork));
                if (engineFloor > 0) {
                    engineFloorNanos = baselines.createAndStartOnSandboxNetwork(engineFloor, FLOOR_AT_ONCE);
                }
            }
            if (cli && runtimeSamples > 0 && Baselines.runtimePresent(GVISOR)) {
                progress.step("runtimes: runc vs runsc (gVisor), " + runtimeSamples + " samples each");
                for (String runtime : new String[]{null, GVISOR}) {
                    String name = runtime == null ? "runc" : runtime;
                    base.put(runtimeFigure(RUNTIME_RUN, name), repeat(1, runtimeSamples, s -> baselines.dockerRun(s, runtime)));
                    base.put(runtimeFigure(RUNTIME_EXEC, name), repeat(2, runtimeSamples, s -> baselines.dockerExecCli(s, runtime)));
                    base.put(runtimeFigure(RUNTIME_FORK, name), repeat(1, runtimeSamples, s -> baselines.forkExec(s, runtime)));
                }
            }
        }

        // --url is the top command's inherited option: benchmark that server instead of starting one (no RSS).
        String given = ((dev.agentkernel.cli.AgentKernelCli) spec.root().userObject()).connection().url();
        URI url = given == null || given.isBlank() ? null : URI.create(given);
        ServerProcess server = null;
        try {
            if (url == null) {
                if (!ServerProcess.available()) {
                    err.println("bench: the server is not on this class path; start one and pass --url");
                    return 2;
                }
                progress.step("starting a server");
                Map<String, String> env = new HashMap<>();
                if (execVia != null) {
                    env.put("AGENTKERNEL_DOCKER_EXEC", execVia);
                }
                if (poolSize != null) {
                    env.put("AGENTKERNEL_POOL_SIZE", poolSize.toString());
                }
                String opts = serverJvmOpts != null ? serverJvmOpts : ServerProcess.serveJvmOptions();
                server = ServerProcess.start(Arrays.asList(opts.trim().split("\\s+")), env);
            }
            BenchHttp http = new BenchHttp(server != null ? server.url() : url, System.getenv("AGENTKERNEL_API_KEY"));
            http.health();
            BenchReport report = measure(http, server, progress, engine, base);
            if (json) {
                out.println(report.json());
            } else {
                report.printTable(out);
            }
            out.flush();
            return 0;
        } finally {
            if (server != null) {
                progress.step("stopping the server");
                server.close();
            }
        }
    }

    private BenchReport measure(BenchHttp http, ServerProcess server, Progress progress, String engine,
                                Map<String, Samples> base) throws Exception {
        // -- warm-up (not counted): the JIT and the connection. fast=false: the pool's demand stays as it starts.
        progress.step("warm-up");
        for (int i = 0; i < 5; i++) {
            http.run(ECHO, image, false);
        }
        Thread.sleep(1500);
        double rssIdle = rss(server);

        // -- memory with named sandboxes, the pool at its starting size
        double rssNamed = Double.NaN;
        double perSandboxKib = Double.NaN;
        int namedMade = 0;
        if (server != null && named > 0) {
            progress.step("RSS with " + named + " named sandboxes");
            double before = rss(server);
            namedMade = holdNamed(http);
            rssNamed = rss(server);
            perSandboxKib = namedMade == 0 ? Double.NaN : (rssNamed - before) * 1024 / namedMade;
            progress.step("removing the named sandboxes");
            removeNamed(http);
        }

        // -- a burst from an idle server with the default pool, then once the pool has adapted
        progress.step("burst of " + burst + " concurrent /run from idle");
        Samples burstIdle = new Samples();
        ServerTimings t0 = timings(http);
        long burstIdleWall = burst(http, burstIdle);
        ServerTimings idleProfile = timings(http).since(t0);
        progress.step("waiting for the pool to adapt (at most " + adaptSeconds + " s)");
        long adaptStart = System.nanoTime();
        int poolSize = awaitPool(http, Math.min(burst, poolMax(http)), adaptSeconds);
        double adaptTime = (System.nanoTime() - adaptStart) / 1e9;
        progress.step("burst of " + burst + " concurrent /run, pool adapted (" + poolSize + " warm)");
        Samples burstAdapted = new Samples();
        t0 = timings(http);
        long burstAdaptedWall = burst(http, burstAdapted);
        ServerTimings adaptedProfile = timings(http).since(t0);
        progress.step("letting the engine settle: pool refilled, the bursts' sandboxes removed (at most "
                + adaptSeconds + " s)");
        double settleTime = settle(http, adaptSeconds);

        progress.step("warm /run x" + warm);
        Samples warmRun = new Samples();
        for (int i = 0; i < warm; i++) {
            warmRun.time(() -> expectHello(http.run(ECHO, image, true)));
            Thread.sleep(warmSpacingMs);
        }

        progress.step("cold /run x" + cold);
        Samples coldRun = new Samples();
        for (int i = 0; i < cold; i++) {
            coldRun.time(() -> expectHello(http.run(ECHO, image, false)));
        }

        progress.step("/run/stream x" + streams);
        Samples streamFirst = new Samples();
        for (int i = 0; i < streams; i++) {
            streamFirst.time(() -> {
                BenchHttp.FirstOutput f = http.streamFirstOutput(ECHO, image);
                if (!f.content().startsWith("hello")) {
                    throw new IllegalStateException("unexpected first output " + f.content());
                }
            });
            Thread.sleep(warmSpacingMs);
        }
        Samples printedToClient = new Samples();
        for (int i = 0; i < streams; i++) {
            try {
                BenchHttp.FirstOutput f = http.streamFirstOutput(List.of("python3", "-c",
                        "import time; print(time.time_ns(), flush=True); time.sleep(0.2)"), streamImage);
                long printed = Long.parseLong(f.content().trim());
                long arrived = f.at().getEpochSecond() * 1_000_000_000L + f.at().getNano();
                printedToClient.add(Math.max(0, arrived - printed));
            } catch (Exception e) {
                printedToClient.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }

        String sandbox = "bench-" + runId;
        Samples execLatency = new Samples();
        Samples fileRoundTrip = new Samples();
        double execRate;
        String execVia;
        ServerTimings execProfile;
        Samples execLoaded = new Samples();
        Map<String, Double> execCpu = Map.of();
        // The runs above leave the pool refilling and their sandboxes being removed: container work that would
        // otherwise be measured as part of every exec after them.
        progress.step("letting the engine settle before the exec figures (at most " + adaptSeconds + " s)");
        settle(http, adaptSeconds);
        progress.step("named sandbox: exec x" + execs + ", " + execCallers + " callers for " + execSeconds + " s, files x" + files);
        http.createSandbox(sandbox, image);
        try {
            JsonNode info = http.getSandbox(sandbox);
            execVia = info.has("exec_via") ? info.get("exec_via").asText() : info.path("execVia").asText("unknown");
            // not counted: the exec path's own code reaches the JIT's compiled tier, as in a server that has run a while
            for (int i = 0; i < EXEC_WARM_UP; i++) {
                http.exec(sandbox, ECHO);
            }
            t0 = timings(http);
            for (int i = 0; i < execs; i++) {
                execLatency.time(() -> expectHello(http.exec(sandbox, ECHO)));
            }
            execProfile = timings(http).since(t0);
            CpuBudget cpu = server == null ? null : CpuBudget.containerPid(DockerBackend.containerName(sandbox))
                    .stream().mapToObj(agent -> CpuBudget.open(server.pid(), agent)).findFirst().orElse(null);
            CpuBudget.Snapshot before = cpu == null ? null : cpu.snapshot();
            execRate = throughput(execCallers, execSeconds, () -> expectHello(http.exec(sandbox, ECHO)), execLoaded);
            if (cpu != null) {
                execCpu = CpuBudget.perUnit(before, cpu.snapshot(), execLoaded.summary().count());
            }
            byte[] mib = new byte[1 << 20];
            new java.util.Random(1).nextBytes(mib);
            for (int i = 0; i < files; i++) {
                fileRoundTrip.time(() -> {
                    http.writeFile(sandbox, "/tmp/bench.bin", mib);
                    if (!Arrays.equals(http.readFile(sandbox, "/tmp/bench.bin"), mib)) {
                        throw new IllegalStateException("file read back differs");
                    }
                });
            }
        } finally {
            http.deleteSandbox(sandbox);
        }

        progress.step("sustained /run for " + sustainedSeconds + " s with " + sustainedCallers + " callers");
        Thread.sleep(2000);
        Samples sustainedRuns = new Samples();
        double sustainedRate = throughput(sustainedCallers, sustainedSeconds,
                () -> expectHello(http.run(ECHO, image, true)), sustainedRuns);
        double rssEnd = rss(server);
        int poolEnd = poolSize(http);

        BenchReport report = new BenchReport(MachineFacts.collect(engine, execVia,
                server == null ? null : String.join(" ", server.jvmOptions())));
        report.latency("warm /run echo (pool)", warmRun, "spaced " + warmSpacingMs + " ms so the pool refills");
        report.latency("cold /run echo (fast=false)", coldRun, null);
        report.latency("exec in a named sandbox (HTTP)", execLatency, "exec via " + execVia);
        report.latency("exec, " + execCallers + " callers at once: each", execLoaded, null);
        report.latency("/run/stream: request -> first output", streamFirst, null);
        report.latency("/run/stream: printed -> at client", printedToClient, "python3 prints time.time_ns(); "
                + "client clock = same host clock");
        report.latency("file write+read 1 MiB (HTTP, base64)", fileRoundTrip, null);
        report.latency("burst from idle: each of " + burst + " /run", burstIdle, null);
        report.latency("burst, pool adapted: each of " + burst + " /run", burstAdapted, null);
        report.latency("sustained: each /run", sustainedRuns, null);
        for (String b : List.of(BenchReport.DOCKER_RUN, BenchReport.DOCKER_RUN_NETWORK, BenchReport.DOCKER_EXEC_CLI,
                BenchReport.DOCKER_JAVA_EXEC)) {
            if (base.containsKey(b)) {
                report.baseline(b, base.get(b));
            }
        }
        for (String what : List.of(RUNTIME_RUN, RUNTIME_EXEC, RUNTIME_FORK)) {
            for (String runtime : List.of("runc", GVISOR)) {
                Samples s = base.get(runtimeFigure(what, runtime));
                if (s != null) {
                    report.latency(runtimeFigure(what, runtime), s, runtime.equals(GVISOR)
                            ? "gVisor, ptrace platform (scripts/docker-bootstrap.sh --with-runsc)" : null);
                }
            }
            // gVisor's cost in one number per figure: both runtimes measured back to back in this run, so the
            // machine's load of the moment weighs on both alike.
            Samples runc = base.get(runtimeFigure(what, "runc"));
            Samples gvisor = base.get(runtimeFigure(what, GVISOR));
            if (runc != null && gvisor != null) {
                report.scalar("runsc / runc: " + what, gvisor.summary().p50() / runc.summary().p50(), "x (p50)",
                        "how much slower under gVisor");
            }
        }
        report.scalar("exec throughput, " + execCallers + " callers", execRate, "execs/s", null);
        cpuBudget(report, execCpu);
        report.scalar("burst " + burst + " /run from idle: succeeded", burstIdle.summary().count(), "of " + burst, null);
        report.scalar("burst " + burst + " /run from idle: wall time", burstIdleWall / 1e9, "s", null);
        report.scalar("pool adaptation after it", adaptTime, "s", poolSize + " warm members");
        report.scalar("burst " + burst + " /run, pool adapted: succeeded", burstAdapted.summary().count(), "of " + burst, null);
        report.scalar("burst " + burst + " /run, pool adapted: wall time", burstAdaptedWall / 1e9, "s", null);
        report.scalar("engine settled after the bursts", settleTime, "s", "pool refilled, run sandboxes removed");
        report.scalar("sustained /run", sustainedRate, "runs/s", sustainedCallers + " callers, " + sustainedSeconds + " s");
        Samples.Summary dockerRun = report.get(BenchReport.DOCKER_RUN);
        double seqDockerRate = dockerRun == null || dockerRun.count() == 0 ? Double.NaN : 1000.0 / dockerRun.mean();
        report.scalar("sequential docker run --rm loop", seqDockerRate, "runs/s", "1 / mean of the baseline");
        // What bounds a burst from idle and a cold run: the engine itself, on the network every sandbox is on.
        double floorRate = engineFloorNanos <= 0 ? Double.NaN : engineFloor / (engineFloorNanos / 1e9);
        report.scalar("engine floor: create+start on the sandbox net", floorRate, "containers/s",
                engineFloor + " plain containers, " + FLOOR_AT_ONCE + " at once");
        report.scalar("engine floor: " + burst + " such containers", burst / floorRate, "s", "at that rate");
        Samples.Summary runOnNetwork = report.get(BenchReport.DOCKER_RUN_NETWORK);
        Samples.Summary cold = report.get("cold /run echo (fast=false)");
        report.scalar("cold /run / docker run --rm on the sandbox net", runOnNetwork == null || runOnNetwork.count() == 0
                ? Double.NaN : cold.p50() / runOnNetwork.p50(), "x", "p50s; below 1 is faster");
        report.scalar("server RSS idle", rssIdle, "MiB", server == null ? "not measured with --url" : null);
        report.scalar("server RSS with " + namedMade + " named sandboxes", rssNamed, "MiB",
                server == null ? "not measured with --url" : "pool at its starting size");
        report.scalar("server RSS per named sandbox", perSandboxKib, "KiB", null);
        report.scalar("server RSS at the end", rssEnd, "MiB", poolEnd + " warm pool members");
        profile(report, "burst from idle", idleProfile, burstIdleWall);
        profile(report, "burst, pool adapted", adaptedProfile, burstAdaptedWall);
        profile(report, "sequential exec", execProfile, 0);
        checkTargets(report, rssIdle, rssNamed, execRate, burstIdleWall, burstIdle, burstAdaptedWall, burstAdapted,
                sustainedRate, seqDockerRate);
        return report;
    }

    /**
     * What a phase spent where, from the server's own histograms: each engine call kind (count, mean, and how many
     * ran at once on average over the phase's wall time), audit appends, admission waits and pool claims.
     */
    private static void profile(BenchReport r, String phase, ServerTimings t, long wallNanos) {
        t.of("agentkernel_engine_call").forEach((labels, s) -> r.scalar(phase + ": engine " + labels
                .replaceAll(".*operation=\"([a-z_]+)\".*outcome=\"([a-z]+)\".*", "$1 ($2)"), s.meanMs(), "ms mean",
                String.format(Locale.ROOT, "x%.0f%s", s.count(), wallNanos <= 0 ? ""
                        : String.format(Locale.ROOT, ", %.1f at once", s.seconds() / (wallNanos / 1e9)))));
        t.of("agentkernel_audit_append").forEach((labels, s) -> r.scalar(phase + ": audit append (forced)",
                s.meanMs(), "ms mean", String.format(Locale.ROOT, "x%.0f", s.count())));
        t.of("agentkernel_admission_wait").forEach((labels, s) -> r.scalar(phase + ": admission wait "
                + labels.replaceAll(".*outcome=\"([a-z]+)\".*", "$1"), s.meanMs(), "ms mean",
                String.format(Locale.ROOT, "x%.0f", s.count())));
        t.of("agentkernel_pool_claim").forEach((labels, s) -> r.scalar(phase + ": pool claim "
                + labels.replaceAll(".*result=\"([a-z]+)\".*", "$1"), s.meanMs(), "ms mean",
                String.format(Locale.ROOT, "x%.0f", s.count())));
    }

    /**
     * The exec throughput phase's CPU time per exec by process, their sum, and the rate this machine's cores would
     * allow at that cost if they did nothing else: the figure that says whether a throughput target is a matter of
     * our code or of the machine, and which process to look at.
     */
    private static void cpuBudget(BenchReport r, Map<String, Double> perExec) {
        if (perExec.isEmpty()) {
            return;
        }
        double total = 0;
        for (Map.Entry<String, Double> e : perExec.entrySet()) {
            r.scalar("exec CPU: " + e.getKey(), e.getValue(), "ms/exec", null);
            total += e.getValue();
        }
        r.scalar("exec CPU: all of the machine", total, "ms/exec", "during the throughput phase");
        int cores = Runtime.getRuntime().availableProcessors();
        r.scalar("exec ceiling at that cost", total <= 0 ? Double.NaN : cores * 1000 / total, "execs/s",
                cores + " cores / CPU per exec");
    }

    private static ServerTimings timings(BenchHttp http) {
        try {
            return ServerTimings.parse(http.metrics());
        } catch (Exception e) {
            return ServerTimings.parse(""); // a server without /metrics: no profile
        }
    }

    private static double rss(ServerProcess server) {
        return server == null ? Double.NaN : server.rssMib();
    }

    /** Warm members of the default image's keys now. */
    private int poolSize(BenchHttp http) {
        try {
            int size = 0;
            for (JsonNode k : http.pool().path("keys")) {
                if (image.equals(k.path("image").asText())) {
                    size += k.path("size").asInt();
                }
            }
            return size;
        } catch (Exception e) {
            return -1;
        }
    }

    private static int poolMax(BenchHttp http) {
        try {
            return http.pool().path("max").asInt(Integer.MAX_VALUE);
        } catch (Exception e) {
            return Integer.MAX_VALUE;
        }
    }

    /**
     * Waits until every pool key holds its target and no run sandbox is left to remove (or the time is up),
     * so the figures after it are not the bursts' after-effects; returns the seconds waited.
     */
    private double settle(BenchHttp http, int seconds) throws InterruptedException {
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            try {
                // every key, not only the default image's: the streams' python runs leave their own key refilling
                boolean filled = true;
                for (JsonNode k : http.pool().path("keys")) {
                    filled &= k.path("size").asInt() >= k.path("target").asInt();
                }
                boolean runsLeft = false;
                for (JsonNode s : http.sandboxes()) {
                    runsLeft |= "run".equals(s.path("kind").asText());
                }
                if (!runsLeft && filled) {
                    break;
                }
            } catch (Exception e) {
                // a busy server: ask again
            }
            Thread.sleep(1000);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Waits until the pool holds {@code want} warm members of the image (or the time is up); returns the size. */
    private int awaitPool(BenchHttp http, int want, int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        int size = poolSize(http);
        while (size < want && System.nanoTime() < end) {
            Thread.sleep(500);
            size = poolSize(http);
        }
        return size;
    }

    private List<String> namedNames() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < named; i++) {
            names.add("bench-" + runId + "-n" + i);
        }
        return names;
    }

    /** Creates the named sandboxes (8 at a time); returns how many were made. */
    private int holdNamed(BenchHttp http) throws InterruptedException {
        AtomicInteger made = new AtomicInteger();
        parallel(8, namedNames(), n -> {
            http.createSandbox(n, image);
            made.incrementAndGet();
        });
        Thread.sleep(1000);
        return made.get();
    }

    private void removeNamed(BenchHttp http) throws InterruptedException {
        parallel(8, namedNames(), n -> {
            try {
                http.deleteSandbox(n);
            } catch (BenchHttp.HttpFailure e) {
                if (e.status != 404) {
                    throw e;
                }
            }
        });
    }

    private void checkTargets(BenchReport r, double rssIdle, double rssNamed, double execRate, long burstIdleWall,
                              Samples burstIdle, long burstAdaptedWall, Samples burstAdapted, double sustainedRate,
                              double seqDockerRate) {
        Samples.Summary w = r.get("warm /run echo (pool)");
        Samples.Summary c = r.get("cold /run echo (fast=false)");
        Samples.Summary e = r.get("exec in a named sandbox (HTTP)");
        Samples.Summary s = r.get("/run/stream: printed -> at client");
        Samples.Summary run = r.get(BenchReport.DOCKER_RUN);
        Samples.Summary dj = r.get(BenchReport.DOCKER_JAVA_EXEC);
        r.target("warm /run p50 <= 10 ms", BenchReport.ms(w.p50()) + " ms", cmp(w.p50(), 10));
        r.target("warm /run >= 8x faster than docker run --rm (p50)", run == null ? "no docker CLI"
                : BenchReport.ratio(run.p50(), w.p50()), run == null ? null : cmp(8, run.p50() / w.p50()));
        r.target("warm /run <= 0.5x the docker-java exec round trip (p50)", String.format(Locale.ROOT, "%.2fx",
                w.p50() / dj.p50()), cmp(w.p50() / dj.p50(), 0.5));
        r.target("warm /run p99 <= 100 ms", BenchReport.ms(w.p99()) + " ms", cmp(w.p99(), 100));
        r.target("exec in a named sandbox p50 <= 3 ms", BenchReport.ms(e.p50()) + " ms", cmp(e.p50(), 3));
        r.target("exec >= 1000/s with " + execCallers + " callers", BenchReport.num(execRate) + " /s", cmp(1000, execRate));
        r.target("cold /run p50 <= 0.8x docker run --rm", run == null ? "no docker CLI"
                : String.format(Locale.ROOT, "%.2fx", c.p50() / run.p50()), run == null ? null : cmp(c.p50() / run.p50(), 0.8));
        r.target("stream: first byte at the client <= 20 ms after printed (p50)", BenchReport.ms(s.p50()) + " ms",
                Double.isNaN(s.p50()) ? null : cmp(s.p50(), 20));
        r.target("burst of " + burst + " from idle: 100 % success", burstIdle.summary().count() + "/" + burst,
                burstIdle.summary().count() == burst);
        r.target("burst of " + burst + " from idle: wall <= 5 s", String.format(Locale.ROOT, "%.1f s", burstIdleWall / 1e9),
                burstIdleWall / 1e9 <= 5);
        r.target("burst of " + burst + ", pool adapted: 100 % success", burstAdapted.summary().count() + "/" + burst,
                burstAdapted.summary().count() == burst);
        r.target("burst of " + burst + ", pool adapted: wall <= 1.5 s",
                String.format(Locale.ROOT, "%.1f s", burstAdaptedWall / 1e9), burstAdaptedWall / 1e9 <= 1.5);
        r.target("sustained >= 2x a sequential docker run --rm loop", Double.isNaN(seqDockerRate) ? "no docker CLI"
                : String.format(Locale.ROOT, "%.2fx", sustainedRate / seqDockerRate),
                Double.isNaN(seqDockerRate) ? null : cmp(2, sustainedRate / seqDockerRate));
        r.target("server RSS idle <= 120 MiB", BenchReport.num(rssIdle) + " MiB", Double.isNaN(rssIdle) ? null : cmp(rssIdle, 120));
        r.target("server RSS with " + named + " named <= 200 MiB", BenchReport.num(rssNamed) + " MiB",
                Double.isNaN(rssNamed) ? null : cmp(rssNamed, 200));
    }

    /** true when a <= b. */
    private static Boolean cmp(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? null : a <= b;
    }

    private static void expectHello(String output) {
        if (!"hello\n".equals(output)) {
            throw new IllegalStateException("unexpected output '" + output + "'");
        }
    }

    private static Samples repeat(int warmup, int n, java.util.function.Consumer<Samples> action) {
        Samples ignored = new Samples();
        for (int i = 0; i < warmup; i++) {
            action.accept(ignored);
        }
        Samples s = new Samples();
        for (int i = 0; i < n; i++) {
            action.accept(s);
        }
        return s;
    }

    /** Callers loop on {@code action} for {@code seconds}; returns completed actions per second. */
    private static double throughput(int callers, int seconds, Samples.ThrowingRunnable action, Samples samples)
            throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long start = System.nanoTime();
        try {
            for (int c = 0; c < callers; c++) {
                pool.execute(() -> {
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        try {
                            action.run();
                            done.incrementAndGet();
                            if (samples != null) {
                                samples.add(System.nanoTime() - t0);
                            }
                        } catch (Exception e) {
                            if (samples != null) {
                                samples.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
                            }
                        }
                    }
                });
            }
        } finally {
            pool.shutdown();
            pool.awaitTermination(seconds + 300L, TimeUnit.SECONDS);
        }
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }

    /** All requests released at once; returns the wall time until the last answered. */
    private long burst(BenchHttp http, Samples samples) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(burst);
        CountDownLatch ready = new CountDownLatch(burst);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
            futures.add(pool.submit(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                samples.time(() -> expectHello(http.run(ECHO, image, true)));
            }));
        }
        ready.await();
        long t0 = System.nanoTime();
        go.countDown();
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException ignored) {
                // counted in samples
            }
        }
        long wall = System.nanoTime() - t0;
        pool.shutdown();
        return wall;
    }

    private static void parallel(int threads, List<String> items, NameAction action) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (String item : items) {
            futures.add(pool.submit(() -> {
                action.run(item);
                return null;
            }));
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                // a failed create or delete shows up as a smaller count
            }
        }
        pool.shutdown();
    }

    @FunctionalInterface
    private interface NameAction {
        void run(String name) throws Exception;
    }

    /** Progress lines on stderr, so stdout stays the table or the JSON. */
    private record Progress(PrintWriter err, boolean on) {
        void step(String what) {
            if (on) {
                err.println("bench: " + Instant.now().toString().substring(11, 19) + " " + what);
                err.flush();
            }
        }
    }
}
