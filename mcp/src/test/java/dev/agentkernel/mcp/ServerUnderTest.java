package dev.agentkernel.mcp;

import dev.agentkernel.testkit.EngineView;
import dev.agentkernel.testkit.TestOwners;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How the integration tests start the real MCP server: a child JVM running {@link Main} on this module's class
 * path, with a home directory of its own (so its audit log is not the user's) and an owner id of the test's
 * choosing, written on every container it makes. Containers are counted and removed by that owner label only.
 */
final class ServerUnderTest {
    static final String BUSYBOX = "agentkernel/busybox:local";
    static final String PYTHON = "agentkernel/python:local";

    final String owner;
    final Path home;

    ServerUnderTest() throws IOException {
        this.owner = TestOwners.ofThisJvm();
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
    List<String> containers() {
        return EngineView.containersOf(owner);
    }

    /** Removes what is left with our owner label (after a failure); returns how many. */
    int removeLeftovers() {
        return EngineView.removeAllOf(owner);
    }
}
