package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtySession;
import dev.agentkernel.core.config.AgentKernelConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PtySessionsTest {
    private static final PtyListener QUIET = new PtyListener() {
        @Override
        public void onOutput(byte[] data) {
        }

        @Override
        public void onExit(int exitCode) {
        }
    };

    @Test
    void slotsPerSandboxAreFreedWhenASessionEnds() {
        try (PtySessions sessions = new PtySessions(new AgentKernelConfig.Pty(2, Duration.ofMinutes(1)))) {
            Stub a = new Stub();
            sessions.open("box", QUIET, l -> a);
            sessions.open("box", QUIET, l -> new Stub());
            sessions.open("other", QUIET, l -> new Stub());
            assertThatThrownBy(() -> sessions.open("box", QUIET, l -> new Stub()))
                    .isInstanceOf(AgentKernelException.BusyException.class)
                    .hasMessageContaining("pty.max_sessions_per_sandbox");
            a.exit.complete(0);
            assertThat(sessions.openIn("box")).isEqualTo(1);
            sessions.open("box", QUIET, l -> new Stub());
        }
    }

    @Test
    void aFailedOpeningGivesItsSlotBack() {
        try (PtySessions sessions = new PtySessions(new AgentKernelConfig.Pty(1, Duration.ofMinutes(1)))) {
            assertThatThrownBy(() -> sessions.open("box", QUIET, l -> {
                throw new AgentKernelException.NotFoundException("gone");
            })).isInstanceOf(AgentKernelException.NotFoundException.class);
            assertThat(sessions.openIn("box")).isZero();
        }
    }

    @Test
    void anIdleSessionIsClosedAndAnActiveOneIsNot() throws Exception {
        try (PtySessions sessions = new PtySessions(new AgentKernelConfig.Pty(4, Duration.ofMillis(400)))) {
            Stub idle = new Stub();
            Stub busy = new Stub();
            sessions.open("box", QUIET, l -> idle);
            PtySession kept = sessions.open("box", QUIET, l -> busy);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!idle.closed && System.nanoTime() < end) {
                kept.write(new byte[]{'x'});
                Thread.sleep(50);
            }
            assertThat(idle.closed).as("the idle session is closed").isTrue();
            assertThat(busy.closed).as("the one typed into is not").isFalse();
        }
    }

    /** A session whose close throws (its connection broke) does not end the idle check for the others. */
    @Test
    void aSessionThatFailsToCloseDoesNotStopTheIdleCheck() throws Exception {
        try (PtySessions sessions = new PtySessions(new AgentKernelConfig.Pty(4, Duration.ofMillis(200)))) {
            Stub broken = new Stub();
            broken.failClose = true;
            sessions.open("box", QUIET, l -> broken);
            awaitClosed(broken);
            Stub later = new Stub();
            sessions.open("box", QUIET, l -> later);
            awaitClosed(later);
        }
    }

    @Test
    void closingClosesEverySessionEvenWhenOneFails() {
        Stub broken = new Stub();
        broken.failClose = true;
        Stub s = new Stub();
        PtySessions sessions = new PtySessions(new AgentKernelConfig.Pty(2, Duration.ofMinutes(1)));
        sessions.open("box", QUIET, l -> broken);
        sessions.open("box", QUIET, l -> s);
        sessions.close();
        assertThat(broken.closed).isTrue();
        assertThat(s.closed).isTrue();
    }

    private static void awaitClosed(Stub s) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!s.closed && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertThat(s.closed).as("closed by the idle check").isTrue();
    }

    @Test
    void closingClosesEverySession() {
        Stub s = new Stub();
        PtySessions sessions = new PtySessions(new AgentKernelConfig.Pty(1, Duration.ofMinutes(1)));
        sessions.open("box", QUIET, l -> s);
        sessions.close();
        assertThat(s.closed).isTrue();
    }

    /** Records what the kernel did to it; ends when {@link #exit} completes (as on close, here by hand). */
    private static final class Stub implements PtySession {
        final CompletableFuture<Integer> exit = new CompletableFuture<>();
        volatile boolean closed;
        volatile boolean failClose;

        @Override
        public void write(byte[] data) {
        }

        @Override
        public void resize(int rows, int cols) {
        }

        @Override
        public CompletableFuture<Integer> exitCode() {
            return exit;
        }

        @Override
        public void close() {
            closed = true;
            if (failClose) {
                throw new AgentKernelException.BackendUnavailableException("the connection is gone", null);
            }
        }
    }
}
