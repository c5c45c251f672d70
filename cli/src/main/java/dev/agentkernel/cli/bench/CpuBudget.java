package dev.agentkernel.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Where the CPU time of a phase went, by process, read from {@code /proc} before and after it: the server's JVM,
 * the sandbox's agent and the commands it ran (its reaped children), the engine's daemons (dockerd, containerd and
 * the sandbox's shim), this benchmark's own JVM (the HTTP client), and the rest of the machine (kernel threads,
 * interrupts, other processes). Divided by the work done in the phase it is the cost of one unit — what bounds a
 * throughput figure on a machine whose cores are all busy. Linux only; on anything else {@link #open} gives null.
 */
final class CpuBudget {
    /** /proc reports process times in USER_HZ, which Linux fixes at 100 for user space on every architecture. */
    private static final double MS_PER_TICK = 10.0;

    static final String SERVER = "server JVM";
    static final String AGENT = "agent";
    static final String COMMANDS = "commands (agent's children)";
    static final String ENGINE = "engine (dockerd, containerd, shim)";
    static final String CLIENT = "bench client JVM";
    static final String OTHER = "kernel and other processes";

    /** Ticks per part at one moment, and the machine's busy ticks. */
    record Snapshot(Map<String, Long> parts, long busy) {
    }

    private final long serverPid;
    private final long agentPid;
    private final List<Long> enginePids;

    private CpuBudget(long serverPid, long agentPid, List<Long> enginePids) {
        this.serverPid = serverPid;
        this.agentPid = agentPid;
        this.enginePids = enginePids;
    }

    /**
     * A budget for a server process and the PID (in this host's namespace) of the sandbox's agent; null when
     * {@code /proc} cannot be read for them (not Linux, the engine in another VM, a remote server).
     */
    static CpuBudget open(long serverPid, long agentPid) {
        if (times(serverPid) == null || times(agentPid) == null) {
            return null;
        }
        List<Long> engine = new ArrayList<>();
        Long shim = parentOf(agentPid);
        if (shim != null) {
            engine.add(shim);
        }
        engine.addAll(pidsNamed("dockerd"));
        engine.addAll(pidsNamed("containerd"));
        return new CpuBudget(serverPid, agentPid, List.copyOf(engine));
    }

    Snapshot snapshot() {
        Map<String, Long> parts = new LinkedHashMap<>();
        long[] server = orZero(times(serverPid));
        long[] agent = orZero(times(agentPid));
        parts.put(SERVER, server[0]);
        parts.put(AGENT, agent[0]);
        parts.put(COMMANDS, agent[1]);
        parts.put(ENGINE, enginePids.stream().mapToLong(p -> orZero(times(p))[0]).sum());
        parts.put(CLIENT, orZero(times(ProcessHandle.current().pid()))[0]);
        return new Snapshot(parts, busyTicks());
    }

    /**
     * Milliseconds of CPU per unit of work between two snapshots, by part, with {@link #OTHER} the machine's busy
     * time no part accounts for; empty when nothing was done.
     */
    static Map<String, Double> perUnit(Snapshot before, Snapshot after, long units) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (units <= 0) {
            return out;
        }
        long accounted = 0;
        for (Map.Entry<String, Long> e : after.parts().entrySet()) {
            long d = Math.max(0, e.getValue() - before.parts().getOrDefault(e.getKey(), 0L));
            accounted += d;
            out.put(e.getKey(), d * MS_PER_TICK / units);
        }
        out.put(OTHER, Math.max(0, after.busy() - before.busy() - accounted) * MS_PER_TICK / units);
        return out;
    }

    /** {utime + stime, cutime + cstime} of a process in ticks, or null when it cannot be read. */
    static long[] times(long pid) {
        String[] f = stat(pid);
        try {
            return f == null ? null
                    : new long[]{Long.parseLong(f[11]) + Long.parseLong(f[12]), Long.parseLong(f[13]) + Long.parseLong(f[14])};
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The fields of /proc/PID/stat after the command name (state first), or null when it cannot be read. */
    private static String[] stat(long pid) {
        String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        // the command name is in parentheses and may hold spaces: fields are counted after its closing one
        return stat == null ? null : stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    }

    private static long[] orZero(long[] t) {
        return t == null ? new long[2] : t;
    }

    private static Long parentOf(long pid) {
        String[] f = stat(pid);
        return f == null ? null : Long.valueOf(f[1]);
    }

    private static List<Long> pidsNamed(String name) {
        List<Long> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            String comm = read(Path.of("/proc", Long.toString(p.pid()), "comm"));
            if (comm != null && comm.trim().equals(name)) {
                out.add(p.pid());
            }
        });
        return out;
    }

    /**
     * Busy ticks of all CPUs since boot: user, nice, system, irq and softirq of the {@code cpu} line of /proc/stat.
     * Not idle or iowait, and not steal: time the hypervisor gave other guests is no process's cost here.
     */
    private static long busyTicks() {
        String stat = read(Path.of("/proc/stat"));
        if (stat == null) {
            return 0;
        }
        String[] f = stat.lines().filter(l -> l.startsWith("cpu ")).findFirst().orElse("cpu").trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i < f.length && i <= 7; i++) { // user nice system idle iowait irq softirq
            if (i != 4 && i != 5) {
                busy += Long.parseLong(f[i]);
            }
        }
        return busy;
    }

    /** The PID of the first process of a container, from the docker CLI; empty when it cannot be had. */
    static OptionalLong containerPid(String container) {
        try {
            Process p = new ProcessBuilder("docker", "inspect", "-f", "{{.State.Pid}}", container)
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            if (p.waitFor() == 0 && out.matches("[1-9][0-9]*")) {
                return OptionalLong.of(Long.parseLong(out));
            }
        } catch (IOException e) {
            // no docker CLI
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return OptionalLong.empty();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
