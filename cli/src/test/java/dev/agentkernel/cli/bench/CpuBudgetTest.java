package dev.agentkernel.cli.bench;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class CpuBudgetTest {
    private static Map<String, Long> parts(long server, long agent, long commands, long engine, long client) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put(CpuBudget.SERVER, server);
        m.put(CpuBudget.AGENT, agent);
        m.put(CpuBudget.COMMANDS, commands);
        m.put(CpuBudget.ENGINE, engine);
        m.put(CpuBudget.CLIENT, client);
        return m;
    }

    @Test
    void perUnitIsEachPartsTicksInMillisecondsOverTheUnitsAndTheRestIsOther() {
        var before = new CpuBudget.Snapshot(parts(100, 50, 10, 30, 20), 1_000);
        var after = new CpuBudget.Snapshot(parts(300, 110, 210, 50, 60), 1_700);
        Map<String, Double> ms = CpuBudget.perUnit(before, after, 100);
        // 200 ticks of 10 ms over 100 execs
        assertThat(ms.get(CpuBudget.SERVER)).isCloseTo(20.0, offset(1e-9));
        assertThat(ms.get(CpuBudget.AGENT)).isCloseTo(6.0, offset(1e-9));
        assertThat(ms.get(CpuBudget.COMMANDS)).isCloseTo(20.0, offset(1e-9));
        assertThat(ms.get(CpuBudget.ENGINE)).isCloseTo(2.0, offset(1e-9));
        assertThat(ms.get(CpuBudget.CLIENT)).isCloseTo(4.0, offset(1e-9));
        // 700 busy ticks, 520 of them accounted for
        assertThat(ms.get(CpuBudget.OTHER)).isCloseTo(18.0, offset(1e-9));
        assertThat(ms.values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(70.0, offset(1e-9));
    }

    @Test
    void nothingDoneIsNoBudgetAndMoreAccountedThanBusyIsNoNegativeOther() {
        var before = new CpuBudget.Snapshot(parts(0, 0, 0, 0, 0), 100);
        assertThat(CpuBudget.perUnit(before, before, 0)).isEmpty();
        // per-process times and /proc/stat are sampled at slightly different moments
        var after = new CpuBudget.Snapshot(parts(50, 0, 0, 0, 0), 140);
        assertThat(CpuBudget.perUnit(before, after, 10).get(CpuBudget.OTHER)).isZero();
    }

    @Test
    void readsThisProcessesTimesFromProc() throws Exception {
        long[] first = CpuBudget.times(ProcessHandle.current().pid());
        assertThat(first).as("Linux /proc").isNotNull();
        long end = System.nanoTime() + 300_000_000L;
        long spin = 0;
        while (System.nanoTime() < end) {
            spin += Long.numberOfTrailingZeros(spin + System.nanoTime());
        }
        long[] second = CpuBudget.times(ProcessHandle.current().pid());
        assertThat(second[0]).as("300 ms of spinning (%d) shows as own CPU ticks", spin).isGreaterThan(first[0]);
        assertThat(CpuBudget.times(Long.MAX_VALUE)).isNull();
    }
}
