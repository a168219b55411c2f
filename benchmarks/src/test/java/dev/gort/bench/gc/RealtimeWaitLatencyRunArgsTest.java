package dev.gort.bench.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** RealtimeWaitLatencyRun's arguments: bad values refused before any thread is raised, naming what is accepted. */
class RealtimeWaitLatencyRunArgsTest {
    @Test
    void wholeNumbersAreReadAndTheRestRefused() {
        assertEquals(2000, RealtimeWaitLatencyRun.wholeAtLeast(" 2000", "ROUNDS", 1));
        for (String bad : new String[] {"x", "0", "-3", "2.5", "", "99999999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RealtimeWaitLatencyRun.wholeAtLeast(bad, "ROUNDS", 1), bad);
            assertTrue(e.getMessage().equals("ROUNDS '" + bad + "': accepted a whole number 1..1000000000"), e.getMessage());
        }
    }

    @Test
    void badArgumentsFailBeforeAnyRun() {
        String[][] bad = {{"middle"}, {"same", "ten"}, {"same", "10", "cap"}, {"same", "10", "unpark-5"}, {"same", "10", "fast"},
                {"same", "2", "product", "cap100", "unpark500"}};
        for (String[] args : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RealtimeWaitLatencyRun.main(args),
                    String.join(" ", args));
            assertTrue(e.getMessage().contains("accepted"), e.getMessage());
        }
    }
}
