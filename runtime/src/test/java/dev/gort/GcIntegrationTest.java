package dev.gort;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The collector started by the bootstrap: Gort.gc, GOGC, the pacer's own cycles, sysmon's forced GC. */
class GcIntegrationTest {
    static Gort.Options opts(Map<String, String> env) {
        return new Gort.Options().settings(env, Map.of());
    }

    @Test
    void gcAndSetGcPercent() {
        assertEquals(0, Gort.run(new String[0], args -> {
            long before = Gort.gcStats().numGC();
            Gort.gc();
            Gort.gc();
            assertEquals(before + 2, Gort.gcStats().numGC());
            assertEquals(100, Gort.setGCPercent(50));
            assertEquals(50, Gort.setGCPercent(100));
            // Any negative value is off (Go's debug.SetGCPercent), and the old value of off is -1.
            assertEquals(100, Gort.setGCPercent(-2));
            assertEquals(Config.GOGC_OFF, Gort.setGCPercent(100));
            Gort.gc();                            // usable: a forced cycle after the round trip
            assertEquals(before + 3, Gort.gcStats().numGC());
        }, opts(Map.of("GOMAXPROCS", "2"))));
    }

    /** Garbage allocated by goroutines is collected by cycles the pacer starts: the heap stays bounded. */
    @Test
    void garbageIsCollected() {
        assertEquals(0, Gort.run(new String[0], args -> {
            dev.gort.gc.Collector c = Gort.collector();
            dev.gort.sync.WaitGroup wg = new dev.gort.sync.WaitGroup();
            wg.add(2);
            for (int g = 0; g < 2; g++) {
                Gort.go(() -> {
                    for (int i = 0; i < 200_000; i++) {
                        c.allocBytes(256); // garbage at once: nothing holds it
                    }
                    wg.done();
                });
            }
            wg.await();
            long cycles = Gort.gcStats().numGC();
            assertTrue(cycles >= 2, "the pacer started " + cycles + " cycles for ~100 MiB of garbage");
            assertTrue(Gort.readMemStats().heapInuse() < 64L << 20, "heap bounded: " + Gort.readMemStats());
        }, opts(Map.of("GOMAXPROCS", "2", "GOGC", "100"))));
    }

    /** No allocation at all: sysmon forces a cycle after the (shortened) forced-GC period; not with GOGC=off. */
    @Test
    void forcedGcAfterThePeriod() {
        assertEquals(0, Gort.run(new String[0], args -> {
            long deadline = System.nanoTime() + 60_000_000_000L;
            // sysmon counts a forced GC after requestCycle returns, which can be after the cycle ended:
            // wait for both figures, not only the collector's.
            while ((Gort.gcStats().numGC() < 2 || Gort.sysmonStats().forcedGcs() < 2) && System.nanoTime() < deadline) {
                Gort.sleep(Duration.ofMillis(20));
            }
            assertTrue(Gort.gcStats().numGC() >= 2, "cycles: " + Gort.gcStats().numGC());
            assertTrue(Gort.sysmonStats().forcedGcs() >= 2, Gort.sysmonStats().toString());
            // Go's NumForcedGC counts runtime.GC's cycles only (work.userForced), not sysmon's
            // time-triggered ones: on lead31 it was >= 2 here.
            assertEquals(0, Gort.gcStats().numForcedGC(), "sysmon's cycles counted as forced: " + Gort.sysmonStats());
            Gort.gc();
            assertEquals(1, Gort.gcStats().numForcedGC(), "Gort.gc()'s cycle is forced");
        }, opts(Map.of("GOMAXPROCS", "1", "GORT_FORCEGC_PERIOD", "200ms"))));
        assertEquals(0, Gort.run(new String[0], args -> {
            Gort.sleep(Duration.ofMillis(800));
            assertEquals(0, Gort.gcStats().numGC(), "GOGC=off: never forced");
            assertEquals(0, Gort.sysmonStats().forcedGcs());
        }, opts(Map.of("GOMAXPROCS", "1", "GOGC", "off", "GORT_FORCEGC_PERIOD", "100ms"))));
    }
}
