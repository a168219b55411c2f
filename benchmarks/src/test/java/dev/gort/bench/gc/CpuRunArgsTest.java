package dev.gort.bench.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The CPU harnesses' [OPS_MILLIONS] [ROUNDS]: defaults, whole numbers, and refusals that name the accepted form. */
class CpuRunArgsTest {
    @Test
    void defaultsAndWholeNumbers() {
        assertEquals(new CpuRunArgs(10_000_000L, 8), CpuRunArgs.parse("MarkPhaseCpuRun", new String[0], 10, 8, 3));
        assertEquals(new CpuRunArgs(2_000_000L, 8), CpuRunArgs.parse("MarkPhaseCpuRun", new String[] {"2"}, 10, 8, 3));
        assertEquals(new CpuRunArgs(1_000_000L, 3), CpuRunArgs.parse("MarkPhaseCpuRun", new String[] {" 1", "3 "}, 10, 8, 3));
        long max = CpuRunArgs.MAX_OPS_MILLIONS;
        assertEquals(max * 1_000_000L, CpuRunArgs.parse("AllocCpuRun", new String[] {Long.toString(max)}, 20, 5, 1).ops());
    }

    @Test
    void badValuesAreRefusedNamingWhatIsAccepted() {
        String[][] bad = {{"ten"}, {"0"}, {"-5"}, {"2.5"}, {Long.toString(CpuRunArgs.MAX_OPS_MILLIONS + 1)}, {"2", "2"}, {"2", "x"},
                {"2", "99999999999"}, {"2", "8", "extra"}};
        for (String[] args : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CpuRunArgs.parse("MarkPhaseCpuRun", args, 10, 8, 3), String.join(" ", args));
            assertTrue(e.getMessage().startsWith("MarkPhaseCpuRun [OPS_MILLIONS: 1.." + CpuRunArgs.MAX_OPS_MILLIONS + ", default 10] [ROUNDS: 3..2147483647, default 8]")
                    && e.getMessage().contains(args[args.length - 1]), e.getMessage());
        }
    }
}
