package dev.agentkernel.core.testing;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.Backend;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.core.OutputCollector;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.api.SandboxInfo;
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
 * <p>It behaves like a real engine where callers can observe it: unique names ({@code CONFLICT} on a taken
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
 *   <tr><td>{@code sh -c 'exit N'}</td><td>exits with N; {@code sh -c 'echo X >&2'} writes X to stderr</td></tr>
 *   <tr><td>{@code true}, {@code false}</td><td>exit 0, exit 1</td></tr>
 *   <tr><td>{@code hostname}</td><td>prints the sandbox name</td></tr>
 *   <tr><td>{@code printenv NAME}</td><td>prints the exec env value (exit 1 when unset)</td></tr>
 *   <tr><td>{@code pwd}</td><td>prints the workdir ({@code /workspace} when none)</td></tr>
 *   <tr><td>{@code yes}</td><td>prints {@code y\n} until the output cap is reached (output flood)</td></tr>
 *   <tr><td>anything else</td><td>stderr {@code sh: PROGRAM: not found}, exit 127</td></tr>
 * </table>
 * Replace it with {@link #handler(CommandHandler)} to script other behaviour.
 *
 * <p>Test hooks: {@link #plant} inserts a sandbox with any owner and kind (e.g. one of a dead instance),
 * {@link #breakSandbox} makes one look dead as a crashed container would, {@link #setAvailable} takes the
 * whole engine down, {@link #localImages} limits which images are present.
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

    private final String instanceId;
    private final Map<String, Box> boxes = new LinkedHashMap<>();
    private final AtomicInteger creates = new AtomicInteger();
    private final AtomicInteger removes = new AtomicInteger();
    private final AtomicInteger execs = new AtomicInteger();
    private final AtomicInteger engineCalls = new AtomicInteger();
    private final Set<String> execsInFlight = ConcurrentHashMap.newKeySet();
    private volatile CommandHandler handler = DEFAULT_HANDLER;
    private volatile boolean available = true;
    private volatile Set<String> localImages;
    private volatile boolean closed;

    public FakeBackend() {
        this(InstanceId.current());
    }

    public FakeBackend(String instanceId) {
        this.instanceId = instanceId;
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

    /** When false, health is down and every operation fails with {@code BACKEND_UNAVAILABLE}. */
    public void setAvailable(boolean up) {
        this.available = up;
    }

    /** Inserts a sandbox as another (perhaps dead) instance would have left it. */
    public synchronized SandboxInfo plant(String name, SandboxKind kind, String owner, SandboxStatus status) {
        if (boxes.containsKey(name)) {
            throw new AgentKernelException.ConflictException("Sandbox '" + name + "' already exists");
        }
        Box box = new Box(new SandboxInfo(name, status, id(), "agentkernel/busybox:local", 1, 512, Instant.now(),
                SecurityProfile.DEFAULT, kind, randomId(), owner, "fake-exec"), Map.of());
        boxes.put(name, box);
        return box.info;
    }

    /** Makes a sandbox look like a crashed container: its status becomes {@code UNKNOWN}. */
    public synchronized void breakSandbox(String name) {
        Box box = require(name);
        box.info = with(box.info, SandboxStatus.UNKNOWN);
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

    public synchronized Set<String> names() {
        return new HashSet<>(boxes.keySet());
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
        synchronized (this) {
            if (boxes.containsKey(spec.name())) {
                throw new AgentKernelException.ConflictException("Sandbox '" + spec.name() + "' already exists");
            }
            SandboxInfo info = new SandboxInfo(spec.name(), SandboxStatus.RUNNING, id(), spec.image(), spec.vcpus(),
                    spec.memoryMb(), Instant.now(), spec.profile(), spec.kind(), randomId(), instanceId, "fake-exec");
            boxes.put(spec.name(), new Box(info, spec.labels()));
            creates.incrementAndGet();
            return info;
        }
    }

    /** The user labels a sandbox was created with. */
    public synchronized Map<String, String> labels(String name) {
        return require(name).labels;
    }

    @Override
    public synchronized SandboxInfo start(String name) {
        checkUp();
        Box box = require(name);
        box.info = with(box.info, SandboxStatus.RUNNING);
        return box.info;
    }

    @Override
    public synchronized SandboxInfo stop(String name) {
        checkUp();
        Box box = require(name);
        box.info = with(box.info, SandboxStatus.STOPPED);
        return box.info;
    }

    @Override
    public void remove(String name) {
        checkUp();
        Command running;
        synchronized (this) {
            Box box = boxes.remove(name);
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
    public synchronized Optional<SandboxInfo> inspect(String name) {
        checkUp();
        Box box = boxes.get(name);
        return box == null ? Optional.empty() : Optional.of(box.info);
    }

    @Override
    public synchronized List<SandboxInfo> list() {
        checkUp();
        List<SandboxInfo> out = new ArrayList<>();
        boxes.values().forEach(b -> out.add(b.info));
        return Collections.unmodifiableList(out);
    }

    @Override
    public ExecResult exec(String name, ExecRequest request, OutputListener listener, Cancellation cancellation) {
        checkUp();
        OutputCollector collector = new OutputCollector(request.maxOutputBytes(), listener);
        Command command = new Command(this, name, request, collector, cancellation);
        synchronized (this) {
            Box box = requireRunning(name);
            box.running = command;
        }
        execs.incrementAndGet();
        execsInFlight.add(name);
        cancellation.onCancel(command::kill);
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
            synchronized (this) {
                Box box = boxes.get(name);
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
        synchronized (this) {
            bytes = requireRunning(name).files.get(normal);
        }
        if (bytes == null) {
            throw new AgentKernelException.NotFoundException("File '" + normal + "' not found in sandbox '" + name + "'");
        }
        if (bytes.length > maxBytes) {
            throw new AgentKernelException.TooLargeException("File '" + normal + "' is larger than " + maxBytes + " bytes");
        }
        return new FileContent(normal, bytes.clone());
    }

    @Override
    public synchronized void writeFile(String name, FileContent file) {
        checkUp();
        requireRunning(name).files.put(file.path(), file.content().clone());
    }

    @Override
    public synchronized void deleteFile(String name, String path) {
        checkUp();
        String normal = Validation.sandboxPath(path);
        if (requireRunning(name).files.remove(normal) == null) {
            throw new AgentKernelException.NotFoundException("File '" + normal + "' not found in sandbox '" + name + "'");
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

    private synchronized Optional<byte[]> fileOf(String name, String path) {
        Box box = boxes.get(name);
        byte[] bytes = box == null ? null : box.files.get(Validation.sandboxPath(path));
        return Optional.ofNullable(bytes == null ? null : bytes.clone());
    }

    private void checkUp() {
        engineCalls.incrementAndGet();
        if (!available) {
            throw new AgentKernelException.BackendUnavailableException("The fake engine is down", null);
        }
    }

    private Box require(String name) {
        Box box = boxes.get(name);
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

    private static SandboxInfo with(SandboxInfo i, SandboxStatus status) {
        return new SandboxInfo(i.name(), status, i.backend(), i.image(), i.vcpus(), i.memoryMb(), i.createdAt(),
                i.profile(), i.kind(), i.id(), i.owner(), i.execVia());
    }

    private static String randomId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static int defaultCommand(Command c) throws InterruptedException {
        List<String> argv = c.argv();
        String program = argv.get(0);
        List<String> args = argv.subList(1, argv.size());
        switch (program) {
            case "echo":
                c.out(String.join(" ", args) + "\n");
                return 0;
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
                        c.writeFile(f, new byte[0]);
                    }
                }
                return 0;
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
                    String script = args.get(1).trim();
                    if (script.startsWith("exit ")) {
                        return Integer.parseInt(script.substring(5).trim());
                    }
                    if (script.startsWith("echo ") && script.endsWith(">&2")) {
                        c.err(script.substring(5, script.length() - 3).trim() + "\n");
                        return 0;
                    }
                }
                c.err("sh: unsupported script in the fake backend\n");
                return 2;
            default:
                c.err("sh: " + program + ": not found\n");
                return 127;
        }
    }

    private static final class Box {
        volatile SandboxInfo info;
        final Map<String, String> labels;
        final Map<String, byte[]> files = new LinkedHashMap<>();
        Command running;

        Box(SandboxInfo info, Map<String, String> labels) {
            this.info = info;
            this.labels = Map.copyOf(labels);
        }
    }
}
