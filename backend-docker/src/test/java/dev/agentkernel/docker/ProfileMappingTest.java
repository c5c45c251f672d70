package dev.agentkernel.docker;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import dev.agentkernel.api.SecurityProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

class ProfileMappingTest {

    @ParameterizedTest
    @EnumSource(SecurityProfile.class)
    void everyProfileHasLimitsInitAndNoNewPrivileges(SecurityProfile p) {
        HostConfig hc = ProfileMapping.hostConfig(p, 2, 300, 8);
        assertThat(hc.getMemory()).isEqualTo(300L * 1024 * 1024);
        assertThat(hc.getMemorySwap()).as("no swap beyond memory").isEqualTo(300L * 1024 * 1024);
        assertThat(hc.getNanoCPUs()).isEqualTo(2_000_000_000L);
        assertThat(hc.getPidsLimit()).isEqualTo(ProfileMapping.pidsLimit(p)).isPositive();
        assertThat(hc.getInit()).isTrue();
        assertThat(hc.getPrivileged()).isFalse();
        assertThat(hc.getSecurityOpts()).containsExactly("no-new-privileges:true", SeccompProfile.securityOpt());
        assertThat(hc.getBinds()).as("no host mounts, no docker socket").isNullOrEmpty();
        assertThat(hc.getMounts()).isNullOrEmpty();
        assertThat(hc.getLogConfig().getType()).isEqualTo(LogConfig.LoggingType.JSON_FILE);
        assertThat(hc.getLogConfig().getConfig()).containsEntry("max-size", "1m").containsEntry("max-file", "1");
    }

    /**
     * The agent (PID 1) is out of the commands' reach because it is not dumpable; CAP_SYS_PTRACE would undo that
     * (it may open /proc/1/fd and ptrace PID 1 regardless). Docker's default set lacks it; no profile may add it.
     */
    @ParameterizedTest
    @EnumSource(SecurityProfile.class)
    void noProfileGrantsPtraceOverTheAgent(SecurityProfile p) {
        HostConfig hc = ProfileMapping.hostConfig(p, 1, 256, 2);
        Capability[] added = hc.getCapAdd() == null ? new Capability[0] : hc.getCapAdd();
        assertThat(added).doesNotContain(Capability.SYS_PTRACE, Capability.SYS_ADMIN);
        assertThat(hc.getPrivileged()).isFalse();
    }

    @Test
    void restrictiveIsOfflineReadOnlyWithoutCapabilitiesAndWithWritableTmpfs() {
        HostConfig hc = ProfileMapping.hostConfig(SecurityProfile.RESTRICTIVE, 1, 256, 2);
        assertThat(hc.getNetworkMode()).isEqualTo("none");
        assertThat(hc.getReadonlyRootfs()).isTrue();
        assertThat(hc.getCapDrop()).containsExactly(Capability.ALL);
        assertThat(hc.getCapAdd()).isNullOrEmpty();
        assertThat(hc.getPidsLimit()).isEqualTo(128L);
        assertThat(hc.getTmpFs()).containsOnlyKeys("/tmp", "/workspace");
        assertThat(hc.getTmpFs().get("/tmp")).contains("mode=1777", "size=64m", "nr_inodes=16384", "nosuid", "nodev");
        assertThat(hc.getTmpFs().get("/workspace")).contains("uid=65534", "gid=65534", "size=64m", "nr_inodes=16384");
        assertThat(ProfileMapping.user(SecurityProfile.RESTRICTIVE)).isEqualTo("65534:65534");
        assertThat(ProfileMapping.workingDir(SecurityProfile.RESTRICTIVE)).isEqualTo("/workspace");
    }

    @Test
    void moderateDropsAllButAFewCapabilitiesOnABridge() {
        HostConfig hc = ProfileMapping.hostConfig(SecurityProfile.MODERATE, 1, 512, 2);
        assertThat(hc.getNetworkMode()).as("our own bridge, not docker0").isEqualTo(SandboxNetwork.NAME);
        assertThat(hc.getReadonlyRootfs()).isFalse();
        assertThat(hc.getCapDrop()).containsExactly(Capability.ALL);
        assertThat(hc.getCapAdd()).containsExactlyInAnyOrder(Capability.CHOWN, Capability.DAC_OVERRIDE,
                Capability.FOWNER, Capability.FSETID, Capability.KILL, Capability.SETGID, Capability.SETUID);
        assertThat(hc.getTmpFs()).isNullOrEmpty();
        assertThat(ProfileMapping.user(SecurityProfile.MODERATE)).isNull();
        assertThat(ProfileMapping.workingDir(SecurityProfile.MODERATE)).isNull();
    }

    @Test
    void permissiveHasTheEngineDefaultCapabilitiesButNetRaw() {
        HostConfig hc = ProfileMapping.hostConfig(SecurityProfile.PERMISSIVE, 1, 512, 2);
        assertThat(hc.getCapDrop()).containsExactly(Capability.ALL);
        assertThat(hc.getCapAdd()).containsExactlyInAnyOrder(Capability.AUDIT_WRITE, Capability.CHOWN,
                Capability.DAC_OVERRIDE, Capability.FOWNER, Capability.FSETID, Capability.KILL, Capability.MKNOD,
                Capability.NET_BIND_SERVICE, Capability.SETFCAP, Capability.SETGID, Capability.SETPCAP,
                Capability.SETUID, Capability.SYS_CHROOT);
        assertThat(hc.getPidsLimit()).isEqualTo(1024L);
    }

    @ParameterizedTest
    @EnumSource(SecurityProfile.class)
    void noProfileCanTouchItsNeighboursTraffic(SecurityProfile p) {
        HostConfig hc = ProfileMapping.hostConfig(p, 1, 512, 2);
        // Dropping ALL first is what makes the added list the whole set (the engine's default set has NET_RAW).
        assertThat(hc.getCapDrop()).containsExactly(Capability.ALL);
        assertThat(hc.getCapAdd() == null ? new Capability[0] : hc.getCapAdd())
                .doesNotContain(Capability.NET_RAW, Capability.NET_ADMIN, Capability.NET_BROADCAST, Capability.SYS_ADMIN)
                .doesNotContainAnyElementsOf(ProfileMapping.FORBIDDEN);
    }

    @Test
    void cpusAreClampedToTheHost() {
        assertThat(ProfileMapping.hostConfig(SecurityProfile.MODERATE, 8, 512, 2).getNanoCPUs()).isEqualTo(2_000_000_000L);
        assertThat(ProfileMapping.hostConfig(SecurityProfile.MODERATE, 8, 512, -1).getNanoCPUs())
                .as("host count unknown").isEqualTo(8_000_000_000L);
    }

    @Test
    void theSeccompProfileRefusesTheRiskyCallsWithEnosysAndAllowsTheUsualOnes() {
        String json = SeccompProfile.json();
        assertThat(json).doesNotContain("\n", "\", \"").startsWith("{").endsWith("}");
        assertThat(json).contains("\"defaultAction\":\"SCMP_ACT_ERRNO\"", "\"errnoRet\":38");
        String denied = json.substring(json.indexOf("refused:"));
        String allowed = json.substring(0, json.indexOf("refused:"));
        for (String call : new String[]{"io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd", "bpf",
                "perf_event_open", "keyctl", "add_key", "request_key", "unshare", "setns", "clone3", "mount",
                "open_by_handle_at", "name_to_handle_at", "kexec_load", "init_module", "ptrace_no_such_call"}) {
            if (!call.endsWith("no_such_call")) {
                assertThat(denied).as(call).contains("\"" + call + "\"");
            }
            assertThat(allowed).as(call).doesNotContain("\"" + call + "\"");
        }
        for (String call : new String[]{"read", "write", "openat", "execve", "close_range", "faccessat2", "rseq",
                "ptrace", "socket", "statx", "getrandom", "futex", "epoll_pwait"}) {
            assertThat(allowed).as(call).contains("\"" + call + "\"");
        }
    }

    @Test
    void underGvisorThePidsCgroupLeavesRoomForItsThreadsAndTheProfileLimitIsNproc() {
        HostConfig hc = ProfileMapping.hostConfig(SecurityProfile.RESTRICTIVE, 1, 256, 2, "runsc");
        assertThat(hc.getRuntime()).isEqualTo("runsc");
        assertThat(hc.getPidsLimit()).isEqualTo(512L + 64 * 64);
        assertThat(hc.getUlimits()).extracting(u -> u.getName() + "=" + u.getHardLong()).containsExactly("nproc=64");
        HostConfig runc = ProfileMapping.hostConfig(SecurityProfile.RESTRICTIVE, 1, 256, 2, null);
        assertThat(runc.getRuntime()).isNull();
        assertThat(runc.getUlimits()).as("nproc is per host user under runc: never set").isNullOrEmpty();
        HostConfig permissive = ProfileMapping.hostConfig(SecurityProfile.PERMISSIVE, 1, 256, 2, "runsc");
        assertThat(permissive.getUlimits()).extracting(u -> u.getName() + "=" + u.getHardLong())
                .as("at most 64 processes under gVisor").containsExactly("nproc=64");
        assertThat(permissive.getPidsLimit()).isEqualTo(512L + 64 * 64);
    }
}
