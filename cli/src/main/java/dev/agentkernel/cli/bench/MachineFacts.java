package dev.agentkernel.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the numbers were measured on. */
final class MachineFacts {
    private MachineFacts() {
    }

    static Map<String, String> collect(String engineVersion, String execVia, String serverJvm) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        f.put("cpu_model", cpuModel());
        f.put("memory_total", memTotal());
        f.put("os", System.getProperty("os.name") + " " + read("/proc/sys/kernel/osrelease"));
        f.put("distribution", distribution());
        f.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        f.put("docker_engine", engineVersion);
        f.put("exec_via", execVia);
        if (serverJvm != null) {
            f.put("server_jvm_options", serverJvm);
        }
        return f;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String memTotal() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .map(l -> Math.round(Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0) + " GiB")
                    .findFirst().orElse("unknown");
        } catch (IOException | NumberFormatException e) {
            return "unknown";
        }
    }

    private static String distribution() {
        try {
            return Files.readAllLines(Path.of("/etc/os-release")).stream().filter(l -> l.startsWith("PRETTY_NAME="))
                    .map(l -> l.substring(12).replace("\"", "")).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException e) {
            return "";
        }
    }
}
