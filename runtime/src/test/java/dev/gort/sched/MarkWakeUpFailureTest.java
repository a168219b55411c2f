package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Gort;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The collector's coordinator announces mark work through {@link Scheduler#wakeIdleP} (an idle P
 * asks for an idle mark worker). That wake-up's startm fails here, every time it is called from
 * wakeIdleP (injected through {@code MPool.faultForTest}, a seam of the scheduler's package, hence
 * this test's package). Go's newm failing is fatal; gort counts it and survives, so the failure
 * must not reach the coordinator: on lead34 wakeIdleP threw it, the coordinator's cycle failed for
 * good ("no cycle will run again") and {@code Gort.gc()} threw. Now the wake-up is owed
 * ({@code Scheduler.wakeOwed}) to sysmon, and the coordinator's own drain wait announces again.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MarkWakeUpFailureTest {

    @Test
    void collectionsCompleteWhenTheMarkWorkAnnouncementsStartmFails() {
        // Under gcstoptheworld=1|2 no cycle has a concurrent mark, so none announces mark work.
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.gort.sys.ForcedGcModes.get().stopTheWorld(0) == 0,
                () -> "needs the concurrent mark phase (its mark work announcement); this JVM forces -D"
                        + dev.gort.sys.ForcedGcModes.PROPERTY + "=" + dev.gort.sys.ForcedGcModes.get());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AtomicInteger faults = new AtomicInteger();
        AtomicReference<Throwable> fromGc = new AtomicReference<>();
        long[] cycles = new long[2];
        long[] failures = new long[1];
        int code = Gort.run(new String[0], args -> {
            Scheduler s = Go.scheduler();
            s.mpool.faultForTest = where -> {
                if (calledFrom("wakeIdleP")) {
                    faults.incrementAndGet();
                    throw new IllegalStateException("injected fault at " + where + " (wakeIdleP)");
                }
            };
            try {
                cycles[0] = Gort.gcStats().numGC();
                // Each cycle's mark start announces its work (wakeIdleP), but that wake-up calls
                // startm only when no M spins and a P is idle: under load a spinning M can answer
                // every one of three cycles (0 faults, seen once in session 34), so the cycles go on
                // until one announcement met the failure, at least three, within a 60 s guard.
                long guard = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                for (int i = 0; i < 3 || (faults.get() == 0 && System.nanoTime() < guard); i++) {
                    Gort.gc();
                }
                cycles[1] = Gort.gcStats().numGC();
            } catch (Throwable t) {
                fromGc.set(t);
            } finally {
                s.mpool.faultForTest = null;
            }
            failures[0] = s.startmFailures();
        }, new Gort.Options()
                .settings(Map.of("GOMAXPROCS", "2"), Map.of())
                .stderr(new PrintStream(err, true, StandardCharsets.UTF_8)));
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertNull(fromGc.get(), "a collection threw the mark work announcement's failed startm (faults " + faults.get()
                + "); stderr: " + stderr);
        assertTrue(faults.get() >= 1, "an announcement (wakeIdleP) called startm, which failed, within 60 s of cycles; stderr: " + stderr);
        assertTrue(failures[0] >= faults.get(), "every injected failure is counted (startmFailures "
                + failures[0] + ", faults " + faults.get() + ")");
        assertTrue(cycles[1] - cycles[0] >= 3, "the three collections completed (" + cycles[0] + " -> " + cycles[1] + ")");
        assertTrue(!stderr.contains("fatal error in the collector"), stderr);
        assertEquals(0, code, stderr);
    }

    private static boolean calledFrom(String method) {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> f.getMethodName().equals(method)));
    }
}
