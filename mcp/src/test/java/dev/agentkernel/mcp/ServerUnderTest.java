package dev.agentkernel.mcp;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How the integration tests start the real MCP server: a child JVM running {@link Main} on this module's class
 * path, with a home directory of its own (so its audit log is not the user's) and an owner id of the test's
 * choosing, written on every container it makes. Containers are counted and removed by that owner label only.
 */
final class ServerUnderTest {
    static final String OWNER_LABEL = "dev.agentkernel.owner";
    static final String BUSYBOX = "agentkernel/busybox:local";
    static final String PYTHON = "agentkernel/python:local";

    final String owner;
    final Path home;

    ServerUnderTest() throws IOException {
        byte[] nonce = new byte[4];
        new SecureRandom().nextBytes(nonce);
        // The InstanceId format (host/pid/nonce) with this test JVM's pid: once the test run is gone,
        // any later agentkernel may reap what a crash left behind.
        this.owner = hostName() + "/" + ProcessHandle.current().pid() + "/" + HexFormat.of().formatHex(nonce);
        this.home = Files.createTempDirectory("agentkernel-mcp-it-");
    }

    String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The JVM arguments after {@code java}: system properties, class path, main class, {@code mcp-server}. */
    List<String> args(String... extra) {
        List<String> args = new ArrayList<>();
        args.add("-Duser.home=" + home);
        args.add("-D" + Main.INSTANCE_PROPERTY + "=" + owner);
        args.add("-cp");
        args.add(System.getProperty("java.class.path"));
        args.add(Main.class.getName());
        args.add("mcp-server");
        args.addAll(List.of(extra));
        return args;
    }

    /** Ids of the containers carrying our owner label, running or not. */
    List<String> containers() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("docker", "ps", "-aq", "--filter", "label=" + OWNER_LABEL + "=" + owner)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("docker ps failed: " + out);
        }
        return out.lines().filter(l -> !l.isBlank()).toList();
    }

    /** Removes what is left with our owner label (after a failure); returns how many. */
    int removeLeftovers() throws IOException, InterruptedException {
        List<String> ids = containers();
        for (String id : ids) {
            new ProcessBuilder("docker", "rm", "-f", id).redirectErrorStream(true).start().waitFor(60, TimeUnit.SECONDS);
        }
        return ids.size();
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
