package dev.agentkernel.security;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Counts every case by kind and, when the run ends, prints the table of figures and the one line
 * {@code N passed, N failed} (also written to {@code target/security-suite-summary.md}).
 */
public final class SummaryListener implements TestExecutionListener {
    private long skipped;

    @Override
    public void executionSkipped(TestIdentifier id, String reason) {
        if (id.isTest()) {
            skipped++;
        }
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        Optional<Kind> kind = kindOf(id);
        if (kind.isEmpty()) {
            return;
        }
        if (!id.isTest()) {
            // A failing @BeforeAll/@AfterAll fails the class: count it, or a broken fixture would read as green.
            if (result.getStatus() == TestExecutionResult.Status.FAILED && id.getSource().orElse(null) instanceof ClassSource) {
                Scoreboard.row(kind.get()).failed.incrementAndGet();
            }
            return;
        }
        Scoreboard.Row row = Scoreboard.row(kind.get());
        row.cases.incrementAndGet();
        switch (result.getStatus()) {
            case SUCCESSFUL -> row.passed.incrementAndGet();
            case FAILED -> row.failed.incrementAndGet();
            case ABORTED -> skipped++;
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        if (Scoreboard.passed() + Scoreboard.failed() == 0) {
            return; // not a run of this suite
        }
        // Whatever a failed case left behind: only containers carrying this JVM's owner label.
        int swept = Engine.sweep(SuiteServer.owner());
        if (swept > 0) {
            System.out.println("(final sweep removed " + swept + " containers of this run)");
        }
        String table = Scoreboard.table();
        String line = Scoreboard.passed() + " passed, " + Scoreboard.failed() + " failed"
                + (skipped > 0 ? ", " + skipped + " skipped" : "");
        System.out.println();
        System.out.println("== agentkernel security suite");
        System.out.print(table);
        System.out.println(line);
        String file = System.getProperty("suite.summary.file");
        if (file != null) {
            try {
                Files.writeString(Path.of(file), "# agentkernel security suite\n\n" + table + "\n" + line + "\n",
                        StandardCharsets.UTF_8);
            } catch (IOException e) {
                System.out.println("(could not write " + file + ": " + e.getMessage() + ")");
            }
        }
    }

    private static Optional<Kind> kindOf(TestIdentifier id) {
        String className = id.getSource().map(s -> s instanceof MethodSource m ? m.getClassName()
                : s instanceof ClassSource c ? c.getClassName() : null).orElse(null);
        if (className == null) {
            return Optional.empty();
        }
        try {
            SuiteKind k = Class.forName(className, false, SummaryListener.class.getClassLoader()).getAnnotation(SuiteKind.class);
            return Optional.ofNullable(k).map(SuiteKind::value);
        } catch (ClassNotFoundException e) {
            return Optional.empty();
        }
    }
}
