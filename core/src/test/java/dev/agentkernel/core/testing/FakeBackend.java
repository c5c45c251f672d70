package dev.agentkernel.core.testing;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.Backend;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.Capability;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.LeaseStore;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.core.OutputCollector;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.core.SandboxUuids;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.api.Validation;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory {@link Backend} for unit tests of core, the server and the CLI. Thread-safe.
 *
 * <p>It behaves like a real engine where callers can observe it, and passes the semantic part of the backend contract
 * ({@link BackendContractTest}, run by {@code FakeBackendContractTest}): unique names ({@code CONFLICT} on a taken
 * name), {@code NOT_FOUND} for unknown sandboxes and files, {@code CONFLICT} for exec and file operations on a
 * stopped sandbox, stop/start keeping the files, labels, kind and owner kept on the sandbox, and exec output
 * collected by {@link OutputCollector} so output caps and truncation behave as in the real backends.
 *
 * <p>Commands are not run: a {@link CommandHandler} interprets argv. The default handler
 * ({@link #DEFAULT_HANDLER}) understands:
 * <table>
 *   <caption>Commands of the default handler</caption>
 *   <tr><th>argv</th><th>effect</th></tr>
 *   <tr><td>{@code echo ARGS...}</td><td>prints the args joined by spaces and a newline (no options)</td></tr>
 *   <tr><td>{@code cat [FILE...]}</td><td>prints the files (or stdin when none); missing file: stderr, exit 1</td></tr>
 *   <tr><td>{@code touch FILE...}</td><td>creates empty files (kept like written files)</td></tr>
 *   <tr><td>{@code sleep SECONDS}</td><td>waits, honouring the timeout and cancellation (exit 137 when killed)</td></tr>
 *   <tr><td>{@code sh -c 'S1; S2; ...'}</td><td>each statement one of these commands, {@code exit N}, or a command
 *       followed by {@code >&2} (echo to stderr); words split at blanks, no quoting or expansion</td></tr>
 *   <tr><td>{@code ln -s TARGET LINK}, {@code mkdir -p DIR...}</td><td>a symbolic link, directories</td></tr>
 *   <tr><td>{@code wc -c}</td><td>counts stdin</td></tr>
 *   <tr><td>{@code true}, {@code false}</td><td>exit 0, exit 1</td></tr>
 *   <tr><td>{@code hostname}</td><td>prints the sandbox name</td></tr>
 *   <tr><td>{@code printenv NAME}</td><td>prints the exec env value (exit 1 when unset)</td></tr>
 *   <tr><td>{@code env}</td><td>prints the exec env as {@code NAME=value} lines</td></tr>
 *   <tr><td>{@code pwd}</td><td>prints the workdir ({@code /workspace} when none)</td></tr>
 *   <tr><td>{@code yes}</td><td>prints {@code y\n} until the output cap is reached (output flood)</td></tr>
 *   <tr><td>anything else</td><td>stderr {@code sh: PROGRAM: not found}, exit 127</td></tr>
 * </table>
 * Replace it with {@link #handler(CommandHandler)} to script other behaviour.
 *
 * <p>Test hooks: {@link #plant} inserts a sandbox with any owner and kind (e.g. one of a dead instance),
 * {@link #breakSandbox} makes one look dead as a crashed container would, {@link #setAvailable} takes the
 * whole engine down, {@link #localImages} limits which images are present, {@link #killDelay} makes cancelling
 * block as a kill sent to an agent that stopped reading would.
 */
public final class FakeBackend implements Backend {
    /** Interprets one command. Runs on the caller's thread; must return the exit code. */
    @FunctionalInterface
    public interface CommandHandler {
        int run(Command command) throws InterruptedException;
    }

    /** What a handler sees and can do while a command "runs". */
    public static final class Command {
        private final FakeBackend backend;
        private final String sandbox;
        private final ExecRequest request;
        private final OutputCollector collector;
        private final Cancellation cancellation;
        private final long deadlineNanos;
        private final CountDownLatch killed = new CountDownLatch(1);
        private volatile boolean wasKilled;

        Command(FakeBackend backend, String sandbox, ExecRequest request, OutputCollector collector,
                Cancellation cancellation) {
            this.backend = backend;
            this.sandbox = sandbox;
            this.request = request;
            this.collector = collector;
            this.cancellation = cancellation;
            this.deadlineNanos = request.timeout() == null ? Long.MAX_VALUE
                    : System.nanoTime() + request.timeout().toNanos();
        }

        public List<String> argv() {
            return request.argv();
        }

        public ExecRequest request() {
            return request;
        }

        public String sandbox() {
            return sandbox;
        }

        public byte[] stdin() {
            return request.stdin() == null ? new byte[0] : request.stdin();
        }

        /** Writes to stdout; returns false once the stdout cap is reached. */
        public boolean out(String text) {
            return out(text.getBytes(StandardCharsets.UTF_8));
        }

        public boolean out(byte[] bytes) {
            return collector.accept(OutputChunk.Stream.STDOUT, bytes);
        }

        public boolean err(String text) {
            return collector.accept(OutputChunk.Stream.STDERR, text.getBytes(StandardCharsets.UTF_8));
        }

        public Optional<byte[]> readFile(String path) {
            return backend.fileOf(sandbox, path);
        }

        public void writeFile(String path, byte[] content) {
            backend.writeFile(sandbox, new FileContent(path, content));
        }

        /** {@code ln -s}; false when the link's place is taken, its parent missing or read-only. */
        public boolean symlink(String target, String link) {
            return backend.onFiles(sandbox, fs -> fs.symlink(target, link));
        }

        /** {@code mkdir -p}; false when a file is in the way or the place is read-only. */
        public boolean mkdirs(String path) {
            return backend.onFiles(sandbox, fs -> fs.mkdirs(path));
        }

        /**
         * Waits like a running process: returns true when the time passed, false when the command was killed
         * by its timeout or by cancellation (the exec then reports {@code timedOut}).
         */
        public boolean sleep(Duration duration) throws InterruptedException {
            long until = System.nanoTime() + duration.toNanos();
            long stop = Math.min(until, deadlineNanos);
            long wait = stop - System.nanoTime();
            if (wait > 0 && killed.await(wait, TimeUnit.NANOSECONDS)) {
                return false;
            }
            if (until > deadlineNanos) {
                kill();
                return false;
            }
            return true;
        }

        void kill() {
            wasKilled = true;
            killed.countDown();
        }

        boolean killed() {
            return wasKilled || System.nanoTime() > deadlineNanos;
        }
    }

    /** The handler described in the class comment. */
    public static final CommandHandler DEFAULT_HANDLER = FakeBackend::defaultCommand;

    private static final SecureRandom RANDOM = new SecureRandom();
    /** What the fake shows as its backend-specific details. */
    public static final Map<String, String> DETAILS = Map.of("engine", "in-memory");

    private final String instanceId;
    private final Engine engine;
    private final LeaseStore leases = new FakeLeases();
    private final AtomicInteger creates = new AtomicInteger();
    private final AtomicInteger removes = new AtomicInteger();
    private final AtomicInteger execs = new AtomicInteger();
    private final AtomicInteger engineCalls = new AtomicInteger();
    private final Set<String> execsInFlight = ConcurrentHashMap.newKeySet();
    private volatile CommandHandler handler = DEFAULT_HANDLER;
    private volatile boolean available = true;
    private volatile Set<String> localImages;
    private volatile Set<Capability> capabilities = EnumSet.of(Capability.STOP_START, Capability.STOP_KEEPS_FILES,
            Capability.NETWORK_ISOLATION, Capability.PID_LIMIT, Capability.PORTS);
    private volatile Duration killDelay = Duration.ZERO;
    private volatile boolean closed;

    public FakeBackend() {
        this(InstanceId.current());
    }

    public FakeBackend(String instanceId) {
        this(instanceId, new Engine());
    }

    private FakeBackend(String instanceId, Engine engine) {
        this.instanceId = instanceId;
        this.engine = engine;
    }

    /**
     * Another instance's view of the same in-memory engine: the same sandboxes and leases, its own owner id,
     * counters and availability (taking it down models that instance losing the engine, or dying).
     */
    public FakeBackend sharedWith(String otherInstanceId) {
        return new FakeBackend(otherInstanceId, engine);
    }

    /** Replaces the command handler; returns this. */
    public FakeBackend handler(CommandHandler newHandler) {
        this.handler = newHandler;
        return this;
    }

    /** Only these images are present (null: every image is); see {@link #imageAvailable}. */
    public FakeBackend localImages(Set<String> images) {
        this.localImages = images == null ? null : Set.copyOf(images);
        return this;
    }

    /** Declares other capabilities (the default: stop/start keeping files, network isolation, PID limit, ports). */
    public FakeBackend capabilities(Set<Capability> declared) {
        this.capabilities = declared.isEmpty() ? Set.of() : EnumSet.copyOf(declared);
        return this;
    }

    @Override
    public LeaseStore leases() {
        return leases;
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    /**
     * Cancelling a command blocks the cancelling thread this long before the kill lands, as writing a KILL to an agent
     * that no longer reads would; returns this.
     */
    public FakeBackend killDelay(Duration delay) {
        this.killDelay = delay;
        return this;
    }

    /** When false, health is down and every operation fails with {@code BACKEND_UNAVAILABLE}. */
    public void setAvailable(boolean up) {
        this.available = up;
    }

    /** Inserts a sandbox as another (perhaps dead) instance would have left it. */
    public SandboxInfo plant(String name, SandboxKind kind, String owner, SandboxStatus status) {
        synchronized (engine) {
            if (engine.boxes.containsKey(name)) {
                throw new AgentKernelException.ConflictException("Sandbox '" + name + "' already exists");
            }
            Box box = new Box(new SandboxInfo(name, status, id(), "agentkernel/busybox:local", 1, 512, Instant.now(),
                    SecurityProfile.DEFAULT, kind, randomId(), owner, DETAILS).withUuid(SandboxUuids.newUuid()), Map.of());
            engine.boxes.put(name, box);
            return box.info;
        }
    }

    /** Makes a sandbox look like a crashed container: its status becomes {@code UNKNOWN}. */
    public void breakSandbox(String name) {
        synchronized (engine) {
            Box box = require(name);
            box.info = box.info.withStatus(SandboxStatus.UNKNOWN);
        }
    }

    public int createCount() {
        return creates.get();
    }

    public int removeCount() {
        return removes.get();
    }

    /** Calls that reached the "engine" (every sandbox operation; not health or image checks). */
    public int engineCalls() {
        return engineCalls.get();
    }

    public int execCount() {
        return execs.get();
    }

    /** Sandboxes with a command running now. */
    public Set<String> execsInFlight() {
        return Set.copyOf(execsInFlight);
    }

    public Set<String> names() {
        synchronized (engine) {
            return new HashSet<>(engine.boxes.keySet());
        }
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public String id() {
        return "fake";
    }

    @Override
    public String instanceId() {
        return instanceId;
    }

    @Override
    public SandboxInfo create(SandboxSpec spec) {
        checkUp();
        if (spec.image() == null) {
            throw new AgentKernelException.InvalidRequestException("Invalid image: the image must be resolved");
        }
        if (localImages != null && !localImages.contains(spec.image())) {
            throw new AgentKernelException.NotFoundException("Image '" + spec.image() + "' not found");
        }
        synchronized (engine) {
            if (engine.boxes.containsKey(spec.name())) {
                throw new AgentKernelException.ConflictException("Sandbox '" + spec.name() + "' already exists");
            }
            SandboxInfo info = new SandboxInfo(spec.name(), SandboxStatus.RUNNING, id(), spec.image(), spec.vcpus(),
                    spec.memoryMb(), Instant.now(), spec.profile(), spec.kind(), randomId(), instanceId, DETAILS)
                    .withUuid(SandboxUuids.newUuid());
            engine.boxes.put(spec.name(), new Box(info, spec.labels()));
            creates.incrementAndGet();
            return info;
        }
    }

    /** The user labels a sandbox was created with. */
    public Map<String, String> labels(String name) {
        synchronized (engine) {
            return require(name).labels;
        }
    }

    @Override
    public SandboxInfo start(String name) {
        synchronized (engine) {
            checkUp();
            Box box = require(name);
            box.info = box.info.withStatus(SandboxStatus.RUNNING);
            return box.info;
        }
    }

    @Override
    public SandboxInfo stop(String name) {
        synchronized (engine) {
            checkUp();
            Box box = require(name);
            box.info = box.info.withStatus(SandboxStatus.STOPPED);
            return box.info;
        }
    }

    @Override
    public void remove(String name) {
        checkUp();
        Command running;
        synchronized (engine) {
            Box box = engine.boxes.remove(name);
            if (box == null) {
                throw AgentKernelException.sandboxNotFound(name);
            }
            removes.incrementAndGet();
            running = box.running;
        }
        if (running != null) {
            running.kill(); // removing a container kills what runs in it
        }
    }

    @Override
    public Optional<SandboxInfo> inspect(String name) {
        synchronized (engine) {
            checkUp();
            Box box = engine.boxes.get(name);
            return box == null ? Optional.empty() : Optional.of(box.info);
        }
    }

    @Override
    public List<SandboxInfo> list() {
        synchronized (engine) {
            checkUp();
            List<SandboxInfo> out = new ArrayList<>();
            engine.boxes.values().forEach(b -> out.add(b.info));
            return Collections.unmodifiableList(out);
        }
    }

    @Override
    public ExecResult exec(String name, ExecRequest request, OutputListener listener, Cancellation cancellation) {
        checkUp();
        OutputCollector collector = new OutputCollector(request.maxOutputBytes(), listener);
        Command command = new Command(this, name, request, collector, cancellation);
        synchronized (engine) {
            Box box = requireRunning(name);
            box.running = command;
        }
        execs.incrementAndGet();
        execsInFlight.add(name);
        cancellation.onCancel(() -> {
            sleepQuietly(killDelay);
            command.kill();
        });
        long start = System.nanoTime();
        try {
            int exit = handler.run(command);
            boolean killed = command.killed();
            return collector.result(killed ? 137 : exit, Duration.ofNanos(System.nanoTime() - start), killed);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return collector.result(137, Duration.ofNanos(System.nanoTime() - start), true);
        } finally {
            execsInFlight.remove(name);
            synchronized (engine) {
                Box box = engine.boxes.get(name);
                if (box != null && box.running == command) {
                    box.running = null;
                }
            }
        }
    }

    @Override
    public FileContent readFile(String name, String path, long maxBytes) {
        checkUp();
        String normal = Validation.sandboxPath(path);
        byte[] bytes;
        synchronized (engine) {
            bytes = requireRunning(name).files.read(normal, name);
        }
        if (bytes.length > maxBytes) {
            throw new AgentKernelException.TooLargeException("File '" + normal + "' is larger than " + maxBytes + " bytes");
        }
        return new FileContent(normal, bytes);
    }

    @Override
    public void writeFile(String name, FileContent file) {
        checkUp();
        synchronized (engine) {
            requireRunning(name).files.write(file.path(), file.content(), name);
        }
    }

    @Override
    public void deleteFile(String name, String path) {
        checkUp();
        synchronized (engine) {
            requireRunning(name).files.delete(path, name);
        }
    }

    @Override
    public boolean imageAvailable(String image) {
        Set<String> images = localImages;
        return available && (images == null || images.contains(image));
    }

    @Override
    public BackendHealth health() {
        return available ? BackendHealth.up(id(), Map.of("engine", "in-memory"))
                : BackendHealth.down(id(), "The fake engine is down");
    }

    @Override
    public void close() {
        closed = true;
    }

    private Optional<byte[]> fileOf(String name, String path) {
        synchronized (engine) {
            Box box = engine.boxes.get(name);
            return Optional.ofNullable(box == null ? null : box.files.contentFollowingLinks(path));
        }
    }

    /** Runs {@code change} on a sandbox's files under the engine lock; false when the sandbox is gone. */
    private boolean onFiles(String name, java.util.function.Predicate<FakeFileSystem> change) {
        synchronized (engine) {
            Box box = engine.boxes.get(name);
            return box != null && change.test(box.files);
        }
    }

    private static void sleepQuietly(Duration d) {
        if (d.isZero()) {
            return;
        }
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void checkUp() {
        engineCalls.incrementAndGet();
        if (!available) {
            throw new AgentKernelException.BackendUnavailableException("The fake engine is down", null);
        }
    }

    /**
     * The fake sandbox shares the host's loopback: a connection to its port is one to {@code 127.0.0.1:port} on the
     * host (so a test can serve the "sandbox's" port with a JDK HttpServer). See {@link FakePortStream}.
     */
    @Override
    public dev.agentkernel.api.PortStream openPort(String name, int port, dev.agentkernel.api.PortListener listener) {
        checkUp();
        synchronized (engine) {
            requireRunning(name);
        }
        FakePortStream stream = new FakePortStream(port, listener);
        stream.start();
        return stream;
    }

    private Box require(String name) {
        Box box = engine.boxes.get(name);
        if (box == null) {
            throw AgentKernelException.sandboxNotFound(name);
        }
        return box;
    }

    private Box requireRunning(String name) {
        Box box = require(name);
        if (!box.info.running()) {
            throw new AgentKernelException.ConflictException("Sandbox '" + name + "' is not running");
        }
        return box;
    }

    private static String randomId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static int defaultCommand(Command c) throws InterruptedException {
        return builtin(c, c.argv(), false);
    }

    /** One command of the default handler; {@code toStderr} sends echo's output to stderr ({@code >&2}). */
    private static int builtin(Command c, List<String> argv, boolean toStderr) throws InterruptedException {
        String program = argv.get(0);
        List<String> args = argv.subList(1, argv.size());
        switch (program) {
            case "echo": {
                String line = String.join(" ", args) + "\n";
                if (toStderr) {
                    c.err(line);
                } else {
                    c.out(line);
                }
                return 0;
            }
            case "true":
                return 0;
            case "false":
                return 1;
            case "hostname":
                c.out(c.sandbox() + "\n");
                return 0;
            case "pwd":
                c.out((c.request().workdir() == null ? "/workspace" : c.request().workdir()) + "\n");
                return 0;
            case "env":
                c.request().env().forEach((k, v) -> c.out(k + "=" + v + "\n"));
                return 0;
            case "printenv": {
                String value = args.isEmpty() ? null : c.request().env().get(args.get(0));
                if (value == null) {
                    return 1;
                }
                c.out(value + "\n");
                return 0;
            }
            case "cat": {
                if (args.isEmpty()) {
                    c.out(c.stdin());
                    return 0;
                }
                int exit = 0;
                for (String f : args) {
                    Optional<byte[]> bytes = c.readFile(f);
                    if (bytes.isPresent()) {
                        c.out(bytes.get());
                    } else {
                        c.err("cat: can't open '" + f + "': No such file or directory\n");
                        exit = 1;
                    }
                }
                return exit;
            }
            case "touch":
                for (String f : args) {
                    if (c.readFile(f).isEmpty()) {
                        try {
                            c.writeFile(f, new byte[0]);
                        } catch (AgentKernelException e) {
                            c.err("touch: " + f + ": " + e.getMessage() + "\n");
                            return 1;
                        }
                    }
                }
                return 0;
            case "ln":
                if (args.size() == 3 && args.get(0).equals("-s") && c.symlink(args.get(1), args.get(2))) {
                    return 0;
                }
                c.err("ln: cannot create the link\n");
                return 1;
            case "mkdir":
                for (String d : args) {
                    if (!d.equals("-p") && !c.mkdirs(d)) {
                        c.err("mkdir: cannot create directory '" + d + "'\n");
                        return 1;
                    }
                }
                return 0;
            case "wc":
                if (args.equals(List.of("-c"))) {
                    c.out(c.stdin().length + "\n");
                    return 0;
                }
                c.err("wc: only -c of stdin in the fake backend\n");
                return 1;
            case "sleep": {
                double seconds = args.isEmpty() ? 0 : Double.parseDouble(args.get(0));
                return c.sleep(Duration.ofMillis((long) (seconds * 1000))) ? 0 : 137;
            }
            case "yes":
                while (c.out("y\n")) {
                    if (c.killed()) {
                        return 137;
                    }
                }
                return 0;
            case "sh":
                if (args.size() == 2 && args.get(0).equals("-c")) {
                    return script(c, args.get(1));
                }
                c.err("sh: unsupported script in the fake backend\n");
                return 2;
            default:
                c.err("sh: " + program + ": not found\n");
                return 127;
        }
    }

    /** What instances sharing the engine share; also the lock of everything in it. */
    private static final class Engine {
        final Map<String, Box> boxes = new LinkedHashMap<>();
        final Map<String, LeaseStore.Lease> leases = new LinkedHashMap<>();
    }

    /** Leases in the shared engine, with this JVM's clock (the one clock of every fake instance). */
    private final class FakeLeases implements LeaseStore {
        @Override
        public void renew(String holder, Duration ttl) {
            checkUp();
            synchronized (engine) {
                engine.leases.put(holder, new Lease(holder, Instant.now().plus(ttl), true));
            }
        }

        @Override
        public void expire(String holder) {
            checkUp();
            synchronized (engine) {
                engine.leases.put(holder, new Lease(holder, Instant.now(), false));
            }
        }

        @Override
        public void delete(String holder) {
            checkUp();
            synchronized (engine) {
                engine.leases.remove(holder);
            }
        }

        @Override
        public Map<String, Lease> leases() {
            checkUp();
            Instant now = Instant.now();
            Map<String, Lease> out = new LinkedHashMap<>();
            synchronized (engine) {
                engine.leases.values().forEach(l -> out.put(l.holder(), new Lease(l.holder(), l.expiresAt(),
                        l.expiresAt().isAfter(now))));
            }
            return out;
        }
    }

    /**
     * A tiny {@code sh -c}: statements separated by {@code ;}, words separated by blanks (no quoting, no
     * expansion), {@code exit N}, and {@code >&2} after a command; each statement is one of the builtins.
     */
    private static int script(Command c, String script) throws InterruptedException {
        int status = 0;
        for (String statement : script.split(";")) {
            List<String> words = new ArrayList<>(List.of(statement.trim().split("\\s+")));
            if (words.get(0).isEmpty()) {
                continue;
            }
            boolean toStderr = words.get(words.size() - 1).equals(">&2");
            if (toStderr) {
                words.remove(words.size() - 1);
            }
            if (words.get(0).equals("exit")) {
                return words.size() > 1 ? Integer.parseInt(words.get(1)) : status;
            }
            status = builtin(c, words, toStderr);
            if (c.killed()) {
                return 137;
            }
        }
        return status;
    }

    private static final class Box {
        volatile SandboxInfo info;
        final Map<String, String> labels;
        final FakeFileSystem files;
        Command running;

        Box(SandboxInfo info, Map<String, String> labels) {
            this.info = info;
            this.labels = Map.copyOf(labels);
            this.files = new FakeFileSystem(info.profile() == null ? SecurityProfile.DEFAULT : info.profile());
        }
    }
}
