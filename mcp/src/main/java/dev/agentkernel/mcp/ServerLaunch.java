package dev.agentkernel.mcp;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How an MCP client starts our server: an absolute command, its arguments and extra environment.
 * Found from the launcher script when one started us, else from the jar or class path we run from.
 */
public record ServerLaunch(String command, List<String> args, Map<String, String> env) {
    /** Set by the {@code agentkernel} launcher script to its own absolute path. */
    public static final String LAUNCHER_PROPERTY = "agentkernel.launcher";
    public static final String LAUNCHER_ENV = "AGENTKERNEL_LAUNCHER";

    public ServerLaunch {
        Objects.requireNonNull(command, "command");
        args = List.copyOf(args);
        env = Map.copyOf(env);
    }

    /**
     * The launch of this installation with {@code serverArgs} (e.g. {@code mcp-server}) appended.
     *
     * @param launcher the launcher's path if known (property or environment), else null
     * @param mainClass the class to run when neither a launcher nor a jar is found
     */
    public static ServerLaunch detect(String launcher, Class<?> mainClass, List<String> serverArgs) {
        if (launcher != null && !launcher.isBlank()) {
            Path p = Path.of(launcher).toAbsolutePath().normalize();
            return new ServerLaunch(p.toString(), serverArgs, Map.of());
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path codeSource = codeSource(mainClass);
        List<String> args = new ArrayList<>();
        if (codeSource != null && Files.isRegularFile(codeSource) && codeSource.toString().endsWith(".jar")) {
            args.add("-jar");
            args.add(codeSource.toString());
        } else {
            args.add("-cp");
            args.add(System.getProperty("java.class.path"));
            args.add(mainClass.getName());
        }
        args.addAll(serverArgs);
        return new ServerLaunch(java, args, Map.of());
    }

    /** The launcher named by {@value #LAUNCHER_PROPERTY} or {@value #LAUNCHER_ENV}, or null. */
    public static String launcherFromEnvironment() {
        String p = System.getProperty(LAUNCHER_PROPERTY);
        return p != null && !p.isBlank() ? p : System.getenv(LAUNCHER_ENV);
    }

    private static Path codeSource(Class<?> c) {
        try {
            var source = c.getProtectionDomain().getCodeSource();
            return source == null ? null : Path.of(source.getLocation().toURI()).toAbsolutePath();
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }
}
