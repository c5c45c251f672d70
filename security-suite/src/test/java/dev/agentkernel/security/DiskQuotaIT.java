package dev.agentkernel.security;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The disk quota of writable-root sandboxes on this machine's storage (overlay2 on ext4: the engine cannot cap the
 * writable layer): one file stops at the quota (RLIMIT_FSIZE), and a sandbox whose writable layer passes the size
 * or inode quota is stopped by the backend's disk watch. A server of its own with a 32 MiB / 3000 inode quota.
 */
@SuiteKind(Kind.SANDBOX)
class DiskQuotaIT extends SuiteBase {
    private static final int QUOTA_MB = 32;
    private static SuiteServer small;

    @BeforeAll
    static void start() {
        small = SuiteServer.start(SuiteServer.Options.defaults()
                .withBackendProperty("docker.disk_mb", String.valueOf(QUOTA_MB))
                .withBackendProperty("docker.disk_inodes", "3000"));
    }

    @AfterAll
    static void stop() {
        small.close();
    }

    @Override
    protected SuiteServer server() {
        return small;
    }

    private String run(String box, int timeoutMs, String script) {
        RawHttp.Response r = track(http().post("/sandboxes/" + box + "/exec",
                cmd("\"timeout_ms\":" + timeoutMs, "sh", "-c", script)));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.data().path("output").asText();
    }

    /**
     * Runs a fill that the disk watch may stop before it ends: the watch samples every few seconds, so on a slow
     * machine it can stop the sandbox in the middle of the command, which then answers 409 (not running).
     */
    private void fill(String box, String script) {
        RawHttp.Response r = track(http().post("/sandboxes/" + box + "/exec",
                cmd("\"timeout_ms\":60000", "sh", "-c", script)));
        assertThat(r.status()).as(r.text()).isIn(200, 409);
        if (r.status() == 409) {
            assertThat(r.text()).contains("not running");
        }
    }

    private static boolean running(String box) {
        Boolean r = Engine.client().inspectContainerCmd(Engine.containerOf(box)).exec().getState().getRunning();
        return Boolean.TRUE.equals(r);
    }

    @ParameterizedTest(name = "[{index}] one file stops at the quota in {0}")
    @ValueSource(strings = {"permissive", "moderate"})
    void oneFileCannotOutgrowTheQuota(String profile) {
        String box = sandbox("dq-f-" + profile.substring(0, 4), profile, SuiteServer.BUSYBOX);
        String out = run(box, 60_000, "dd if=/dev/zero of=/root/big bs=1048576 count=" + (2 * QUOTA_MB)
                + " 2>/dev/null; echo exit=$?; wc -c < /root/big; rm -f /root/big");
        long size = Long.parseLong(out.lines().filter(l -> l.matches("\\s*\\d+\\s*")).findFirst().orElseThrow().trim());
        assertThat(size).as(out).isLessThanOrEqualTo(QUOTA_MB * 1024L * 1024L);
        assertThat(out).as("killed by SIGXFSZ (128 + 25)").contains("exit=153");
    }

    @ParameterizedTest(name = "[{index}] files over the size quota stop the sandbox in {0}")
    @ValueSource(strings = {"permissive", "moderate"})
    void manyFilesOverTheQuotaStopTheSandbox(String profile) {
        String box = sandbox("dq-s-" + profile.substring(0, 4), profile, SuiteServer.BUSYBOX);
        fill(box, "for i in 1 2 3 4 5 6; do dd if=/dev/zero of=/root/f$i bs=1048576 count=8 2>/dev/null; done; "
                + "echo written");
        assertThat(waitUntil(30_000, () -> !running(box))).as("stopped by the disk watch").isTrue();
        RawHttp.Response r = track(http().post("/sandboxes/" + box + "/exec", cmd(null, "echo", "more")));
        assertThat(r.status()).as("a stopped sandbox takes no more commands: " + r.text()).isEqualTo(409);
    }

    @ParameterizedTest(name = "[{index}] an inode fill stops the sandbox in {0}")
    @ValueSource(strings = {"permissive", "moderate"})
    void inodeFillStopsTheSandbox(String profile) {
        String box = sandbox("dq-i-" + profile.substring(0, 4), profile, SuiteServer.BUSYBOX);
        fill(box, "mkdir -p /root/i && cd /root/i && i=0; while [ $i -lt 5000 ]; do : > f$i; i=$((i+1)); done; "
                + "echo made");
        assertThat(waitUntil(60_000, () -> !running(box))).as("stopped by the disk watch").isTrue();
    }
}
